// Hand-written SVG plots for `hetqn demo paper --out DIR`: key length per pair (ours next to the
// published) and signature rate vs fibre length for both QDS variants.
import fs from 'node:fs';
import path from 'node:path';
import type { QkdRow } from './paper.ts';

const W = 760, H = 420, M = { l: 70, r: 20, t: 40, b: 60 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function frame(title: string, yLabel: string, xLabel: string, inner: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>
<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="black"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="black"/>
${inner}
</svg>\n`;
}

function logAxis(min: number, max: number) {
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  const y = (v: number) => H - M.b - ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * (H - M.t - M.b);
  let ticks = '';
  for (let e = lo; e <= hi; e++) ticks += `<line x1="${M.l - 4}" y1="${y(10 ** e)}" x2="${W - M.r}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${M.l - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`;
  return { y, ticks };
}

export function keyLengthSvg(rows: QkdRow[], scale: number): string {
  const vals = rows.flatMap((r) => [r.published.lSec * scale, r.ours?.lSec ?? 0]).filter((v) => v > 0);
  const { y, ticks } = logAxis(Math.min(...vals), Math.max(...vals));
  const bw = (W - M.l - M.r) / rows.length;
  let bars = ticks;
  rows.forEach((r, i) => {
    const x = M.l + i * bw;
    const pub = r.published.lSec * scale, ours = r.ours?.lSec ?? 0;
    bars += `<rect x="${x + 6}" y="${y(pub)}" width="${bw / 2 - 8}" height="${H - M.b - y(pub)}" fill="#9ab"/>`;
    if (ours > 0) bars += `<rect x="${x + bw / 2}" y="${y(ours)}" width="${bw / 2 - 8}" height="${H - M.b - y(ours)}" fill="#d62"/>`;
    else bars += `<text x="${x + bw * 0.72}" y="${H - M.b - 6}" text-anchor="middle" fill="#d62">n/a</text>`;
    bars += `<text x="${x + bw / 2}" y="${H - M.b + 16}" text-anchor="middle">${esc(r.pair)}</text><text x="${x + bw / 2}" y="${H - M.b + 30}" text-anchor="middle" fill="#666">${r.protocol}</text>`;
  });
  bars += `<rect x="${W - 190}" y="${M.t}" width="12" height="12" fill="#9ab"/><text x="${W - 172}" y="${M.t + 10}">published${scale !== 1 ? ` x ${scale}` : ''}</text><rect x="${W - 190}" y="${M.t + 18}" width="12" height="12" fill="#d62"/><text x="${W - 172}" y="${M.t + 28}">hetqn</text>`;
  return frame('Secret key length per pair (l_sec)', 'bits', 'pair', bars);
}

/** Single-link signature rates: secret (l_sec / T / 106) and imperfect (l_sift / T / 1800). */
export function signatureRateSvg(rows: QkdRow[], secretBits: number, imperfectBits: number): string {
  type P = { L: number; v: number; kind: 'secret' | 'imperfect'; src: 'published' | 'ours' };
  const pts: P[] = [];
  for (const r of rows) {
    pts.push({ L: r.L, v: r.published.lSec / r.published.T / secretBits, kind: 'secret', src: 'published' });
    pts.push({ L: r.L, v: r.published.lSift / r.published.T / imperfectBits, kind: 'imperfect', src: 'published' });
    if (r.ours && r.ours.seconds > 0) {
      if (r.ours.lSec > 0) pts.push({ L: r.L, v: r.ours.lSec / r.ours.seconds / secretBits, kind: 'secret', src: 'ours' });
      if (r.ours.lSift > 0) pts.push({ L: r.L, v: r.ours.lSift / r.ours.seconds / imperfectBits, kind: 'imperfect', src: 'ours' });
    }
  }
  const { y, ticks } = logAxis(Math.min(...pts.map((p) => p.v)), Math.max(...pts.map((p) => p.v)));
  const x = (L: number) => M.l + ((L - 20) / 55) * (W - M.l - M.r);
  let g = ticks;
  for (let L = 20; L <= 75; L += 5) g += `<text x="${x(L)}" y="${H - M.b + 16}" text-anchor="middle">${L}</text>`;
  const color = { secret: '#2a6', imperfect: '#26c' };
  for (const p of pts) {
    g += p.src === 'published'
      ? `<circle cx="${x(p.L)}" cy="${y(p.v)}" r="5" fill="none" stroke="${color[p.kind]}" stroke-width="2"/>`
      : `<rect x="${x(p.L) - 4}" y="${y(p.v) - 4}" width="8" height="8" fill="${color[p.kind]}"/>`;
  }
  g += `<text x="${W - 330}" y="${M.t + 10}" fill="${color.imperfect}">imperfect keys (${imperfectBits} bits/link/signature)</text><text x="${W - 330}" y="${M.t + 26}" fill="${color.secret}">secret keys (${secretBits} bits/link/signature)</text><text x="${W - 330}" y="${M.t + 42}">circles: published rates, squares: hetqn</text>`;
  return frame('QDS signature rate of one link vs effective fibre length', 'signatures per second', 'L (km)', g);
}

export function writePlots(dir: string, rows: QkdRow[], scale: number, secretBits: number, imperfectBits: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'key-length-per-pair.svg'), path.join(dir, 'signature-rate-vs-length.svg')];
  fs.writeFileSync(files[0]!, keyLengthSvg(rows, scale));
  fs.writeFileSync(files[1]!, signatureRateSvg(rows, secretBits, imperfectBits));
  return files;
}
