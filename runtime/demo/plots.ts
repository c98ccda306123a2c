// The paper's figures for `hetqn demo paper --out DIR`, as SVG and PNG (rendered by resvg):
//   Fig. 3  key length per pair: published l_sec (x scale), ours ± run-to-run s, ours at the published f;
//   Fig. 4  QDS signature rate of one link vs effective fibre length, both variants (secret keys:
//           l_sec / T / 106 bits; imperfect keys: l_sift / T / 1800 bits): model curves from the
//           key-rate engine (BB84 and MDI), the published rows and ours;
//   key rate vs distance for every protocol (BB84, MDI, MDI joint BSM, BBM92): model curves, the
//           published rows and ours (secret key per second).
import fs from 'node:fs';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { QkdRow } from './paper.ts';
import { barChart, lineChart, type Series } from './svg-plot.ts';
import type { KeyRateCurve } from '../../protocols/keyrate/curves.ts';

const C = { published: '#6a8caf', ours: '#d2542c', atF: '#e8a23a', bb84: '#2a7f3f', mdi: '#3557c9', joint: '#8e44ad', bbm92: '#b8860b' };

export function keyLengthSvg(rows: QkdRow[], scale: number): string {
  return barChart({
    title: 'Fig. 3: secret key length per pair (l_sec)',
    yLabel: 'secret key length l_sec (bits)', xLabel: 'pair (protocol)',
    bars: [
      { label: `published (Lu et al. 2025)${scale !== 1 ? ` x ${scale}` : ''}`, color: C.published },
      { label: 'hetqn (± run-to-run s)', color: C.ours },
      { label: 'hetqn at the published f', color: C.atF, hatch: true },
    ],
    groups: rows.map((r) => ({
      label: r.pair, sub: r.protocol,
      values: [{ v: r.published.lSec * scale }, { v: r.ours?.lSec ?? 0, err: r.referee?.spread?.lSec.sd }, { v: r.referee?.lSecAtPublishedF ?? 0 }],
    })),
    notes: [`T = published T${scale !== 1 ? ` x ${scale}` : ''} at 1 GHz; hetqn at the published f: the same counts with the leak f_pub l_sift h(e_b)`],
  });
}

const perSecond = (bits: number, seconds: number) => (seconds > 0 ? bits / seconds : 0);

/** Single-link QDS signature rates: secret (l_sec / T / secretBits) and imperfect (l_sift / T / imperfectBits). */
export function signatureRateSvg(rows: QkdRow[], secretBits: number, imperfectBits: number, curves: KeyRateCurve[] = []): string {
  const series: Series[] = [];
  for (const c of curves.filter((k) => k.protocol === 'bb84' || k.protocol === 'mdi')) {
    const color = c.protocol === 'bb84' ? C.bb84 : C.mdi, name = c.protocol === 'bb84' ? 'BB84' : 'MDI';
    series.push({ label: `model, imperfect keys, ${name}`, color, line: true, dash: '7 4', points: c.points.map((p) => ({ x: p.lengthKm, y: p.siftedPerSecond / imperfectBits })) });
    series.push({ label: `model, secret keys, ${name}`, color, line: true, points: c.points.map((p) => ({ x: p.lengthKm, y: p.secretPerSecond / secretBits })) });
  }
  const pub = (kind: 'secret' | 'imperfect') => rows.map((r) => ({ x: r.L, y: perSecond(kind === 'secret' ? r.published.lSec : r.published.lSift, r.published.T) / (kind === 'secret' ? secretBits : imperfectBits) }));
  const ours = (kind: 'secret' | 'imperfect') => rows.filter((r) => r.ours && r.ours.seconds > 0).map((r) => {
    const sd = kind === 'secret' ? r.referee?.spread?.lSec.sd : r.referee?.spread?.lSift.sd;
    const bits = kind === 'secret' ? secretBits : imperfectBits;
    return { x: r.L, y: perSecond(kind === 'secret' ? r.ours!.lSec : r.ours!.lSift, r.ours!.seconds) / bits, ...(sd ? { err: sd / r.ours!.seconds / bits } : {}) };
  });
  // ours first, the hollow published markers drawn over them stay visible where they coincide
  series.push({ label: 'hetqn, imperfect keys', color: C.ours, marker: 'square', points: ours('imperfect') });
  series.push({ label: 'hetqn, secret keys', color: C.ours, marker: 'diamond', points: ours('secret') });
  series.push({ label: `published, imperfect keys (${imperfectBits} bits/signature)`, color: '#222', marker: 'circle', hollow: true, points: pub('imperfect') });
  series.push({ label: `published, secret keys (${secretBits} bits/signature)`, color: '#222', marker: 'triangle', hollow: true, points: pub('secret') });
  return lineChart({
    title: 'Fig. 4: QDS signature rate of one link vs fibre length',
    xLabel: 'effective fibre length L between the two nodes (km)', yLabel: 'signatures per second (one link)',
    series, xRange: [0, 120],
    notes: ['model: key-rate engine with the reference hardware (BB84: T = 2 s, e_mis 0.9 %; MDI: T = 1000 s, e_d 2.5 %, V 0.945), Cascade leak'],
  });
}

/** Secret key per second vs distance for every protocol: model curves, the published rows and ours. */
export function keyRateSvg(rows: QkdRow[], curves: KeyRateCurve[], joint?: { L: number; lSec?: number; seconds: number; sd?: number }): string {
  const color: Record<string, string> = { bb84: C.bb84, mdi: C.mdi, 'mdi-joint': C.joint, bbm92: C.bbm92 };
  const series: Series[] = curves.map((c) => ({ label: `model: ${c.label}`, color: color[c.protocol]!, line: true, ...(c.protocol === 'mdi-joint' ? { dash: '7 4' } : {}), points: c.points.map((p) => ({ x: p.lengthKm, y: p.secretPerSecond })) }));
  series.push({ label: 'hetqn runs (± run-to-run s)', color: C.ours, marker: 'square', points: rows.filter((r) => r.ours && r.ours.lSec > 0).map((r) => ({ x: r.L, y: r.ours!.lSec / r.ours!.seconds, ...(r.referee?.spread ? { err: r.referee.spread.lSec.sd / r.ours!.seconds } : {}) })) });
  series.push({ label: 'published rows (BB84: D–x, MDI: C–C)', color: '#222', marker: 'circle', hollow: true, points: rows.map((r) => ({ x: r.L, y: r.published.lSec / r.published.T })) });
  if (joint?.lSec) series.push({ label: 'hetqn joint BSM run (Bob–Charlie)', color: C.joint, marker: 'diamond', points: [{ x: joint.L, y: joint.lSec / joint.seconds, ...(joint.sd ? { err: joint.sd / joint.seconds } : {}) }] });
  return lineChart({
    title: 'Secret key rate vs distance, every protocol of the network',
    xLabel: 'fibre length between the two key holders (km)', yLabel: 'secret key rate (bits per second, 1 GHz)',
    series, xRange: [0, 200],
    notes: ['model: reference hardware (SPD 20 %, dark 1e-6, 0.2 dB/km), optimised parameters, the sessions\' Cascade leak; BBM92 e_d 1.5 %'],
  });
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'width', value: 1800 } }).render().asPng();
}

export interface FigureInputs { rows: QkdRow[]; scale: number; secretBits: number; imperfectBits: number; curves: KeyRateCurve[]; joint?: { L: number; lSec?: number; seconds: number; sd?: number } }

/** Writes every figure as NAME.svg and NAME.png into `dir`; returns the paths. */
export function writePlots(dir: string, x: FigureInputs): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const figs: Array<[string, string]> = [
    ['fig3-key-length-per-pair', keyLengthSvg(x.rows, x.scale)],
    ['fig4-signature-rate-vs-length', signatureRateSvg(x.rows, x.secretBits, x.imperfectBits, x.curves)],
    ['key-rate-vs-distance', keyRateSvg(x.rows, x.curves, x.joint)],
  ];
  const files: string[] = [];
  for (const [name, svg] of figs) {
    const f = path.join(dir, `${name}.svg`);
    fs.writeFileSync(f, svg);
    fs.writeFileSync(path.join(dir, `${name}.png`), svgToPng(svg));
    files.push(f, path.join(dir, `${name}.png`));
  }
  return files;
}
