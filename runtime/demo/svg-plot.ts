// Small SVG chart builders for the demo's figures: a line/marker chart with a log-10 y axis
// (decade ticks written 10^n) and a linear x axis, and a grouped bar chart on a log y axis, both
// with axis labels, units and a legend. Plain SVG 1.1 (text, tspan, path), which resvg renders.

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'none';
export interface Point { x: number; y: number; /** one standard deviation, drawn as an error bar */ err?: number }
export interface Series { label: string; color: string; points: Point[]; line?: boolean; dash?: string; marker?: Marker; hollow?: boolean }

const W = 1240, H = 620, M = { l: 90, r: 30, t: 56, b: 100 };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Width of the plot area's right edge from the figure's: the legend sits outside, on the right. */
let R = M.r;
const legendWidth = (labels: string[]) => 44 + Math.max(...labels.map((l) => l.length)) * 7.4;

function frame(title: string, xLabel: string, yLabel: string, inner: string, notes: string[] = []): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}" font-size="14">
<rect width="100%" height="100%" fill="white"/>
<defs><clipPath id="plot"><rect x="${M.l}" y="${M.t}" width="${W - M.l - R}" height="${H - M.t - M.b}"/></clipPath></defs>
<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>
<text x="22" y="${(M.t + H - M.b) / 2}" transform="rotate(-90 22 ${(M.t + H - M.b) / 2})" text-anchor="middle">${esc(yLabel)}</text>
<text x="${(M.l + W - R) / 2}" y="${H - M.b + 48}" text-anchor="middle">${esc(xLabel)}</text>
${notes.map((n, i) => `<text x="${M.l}" y="${H - M.b + 72 + i * 14}" font-size="11" fill="#444">${esc(n)}</text>`).join('')}
<rect x="${M.l}" y="${M.t}" width="${W - M.l - R}" height="${H - M.t - M.b}" fill="none" stroke="black"/>
${inner}
</svg>\n`;
}

/** Decades covering [min, max] (at least one). */
export function logDecades(min: number, max: number): [number, number] {
  const lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
  return [lo, Math.max(hi, lo + 1)];
}

function logY(min: number, max: number) {
  const [lo, hi] = logDecades(min, max);
  const y = (v: number) => H - M.b - ((Math.log10(v) - lo) / (hi - lo)) * (H - M.t - M.b);
  let ticks = '';
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e);
    ticks += `<line x1="${M.l}" y1="${yy}" x2="${W - R}" y2="${yy}" stroke="#ddd"/><line x1="${M.l - 5}" y1="${yy}" x2="${M.l}" y2="${yy}" stroke="black"/>`;
    ticks += `<text x="${M.l - 8}" y="${yy + 5}" text-anchor="end">10<tspan dy="-7" font-size="11">${e}</tspan></text>`;
    if (e < hi) for (let k = 2; k < 10; k++) { const ym = y(k * 10 ** e); ticks += `<line x1="${M.l - 3}" y1="${ym}" x2="${M.l}" y2="${ym}" stroke="black"/>`; }
  }
  return { y, ticks, clamp: (v: number) => Math.min(Math.max(v, 10 ** lo), 10 ** hi) };
}

/** 1-2-5 ticks over [a, b]. */
export function niceTicks(a: number, b: number, target = 8): number[] {
  const raw = (b - a) / target, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(a / step) * step; v <= b + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function marker(m: Marker, x: number, y: number, color: string, hollow: boolean): string {
  const fill = hollow ? 'white' : color, s = `stroke="${color}" stroke-width="2" fill="${fill}"`;
  if (m === 'circle') return `<circle cx="${x}" cy="${y}" r="5.5" ${s}/>`;
  if (m === 'square') return `<rect x="${x - 5}" y="${y - 5}" width="10" height="10" ${s}/>`;
  if (m === 'triangle') return `<path d="M${x} ${y - 6.5}L${x + 6} ${y + 4.5}L${x - 6} ${y + 4.5}Z" ${s}/>`;
  if (m === 'diamond') return `<path d="M${x} ${y - 7}L${x + 6} ${y}L${x} ${y + 7}L${x - 6} ${y}Z" ${s}/>`;
  return '';
}

function legend(series: Array<Pick<Series, 'label' | 'color' | 'line' | 'dash' | 'marker' | 'hollow'>>, x0: number, y0: number): string {
  const width = legendWidth(series.map((s) => s.label));
  let g = `<rect x="${x0}" y="${y0}" width="${width}" height="${series.length * 20 + 8}" fill="white" fill-opacity="0.9" stroke="#999"/>`;
  series.forEach((s, i) => {
    const y = y0 + 16 + i * 20;
    if (s.line) g += `<line x1="${x0 + 6}" y1="${y - 4}" x2="${x0 + 30}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
    g += marker(s.marker ?? 'none', x0 + 18, y - 4, s.color, !!s.hollow);
    g += `<text x="${x0 + 38}" y="${y}" font-size="13">${esc(s.label)}</text>`;
  });
  return g;
}

export interface LineChart { title: string; xLabel: string; yLabel: string; series: Series[]; xRange: [number, number]; notes?: string[] }

export function lineChart(c: LineChart): string {
  R = legendWidth(c.series.map((s) => s.label)) + 30;
  const ys = c.series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0 && Number.isFinite(v));
  const { y, ticks, clamp } = logY(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = c.xRange;
  const x = (v: number) => M.l + ((v - x0) / (x1 - x0)) * (W - M.l - R);
  let g = ticks;
  for (const v of niceTicks(x0, x1)) g += `<line x1="${x(v)}" y1="${H - M.b}" x2="${x(v)}" y2="${H - M.b + 5}" stroke="black"/><text x="${x(v)}" y="${H - M.b + 22}" text-anchor="middle">${v}</text>`;
  for (const s of c.series) {
    const pts = s.points.filter((p) => p.y > 0 && Number.isFinite(p.y) && (s.line || (p.x >= x0 && p.x <= x1)));
    if (s.line && pts.length > 1) g += `<path clip-path="url(#plot)" d="${pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.x).toFixed(1)} ${y(p.y).toFixed(1)}`).join('')}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
    for (const p of pts) {
      if (p.err && p.err > 0) g += `<line x1="${x(p.x)}" y1="${y(clamp(p.y + p.err))}" x2="${x(p.x)}" y2="${y(clamp(Math.max(p.y - p.err, p.y / 100)))}" stroke="${s.color}" stroke-width="1.5"/>`;
      g += marker(s.marker ?? 'none', x(p.x), y(p.y), s.color, !!s.hollow);
    }
  }
  g += legend(c.series, W - R + 14, M.t);
  return frame(c.title, c.xLabel, c.yLabel, g, c.notes);
}

export interface BarChart { title: string; yLabel: string; xLabel: string; groups: Array<{ label: string; sub?: string; values: Array<{ v: number; err?: number }> }>; bars: Array<{ label: string; color: string; hatch?: boolean }>; notes?: string[] }

export function barChart(c: BarChart): string {
  R = legendWidth(c.bars.map((b) => b.label)) + 30;
  const vs = c.groups.flatMap((g) => g.values.map((v) => v.v)).filter((v) => v > 0);
  const { y, ticks, clamp } = logY(Math.min(...vs), Math.max(...vs));
  const bw = (W - M.l - R) / c.groups.length, inner = (bw - 14) / c.bars.length;
  let g = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/><line x1="0" y1="0" x2="0" y2="6" stroke="black" stroke-width="2.5"/></pattern></defs>` + ticks;
  const base = H - M.b;
  c.groups.forEach((grp, i) => {
    const gx = M.l + i * bw + 7;
    grp.values.forEach((val, k) => {
      const b = c.bars[k]!, bx = gx + k * inner;
      if (!(val.v > 0)) { g += `<text x="${bx + inner / 2}" y="${base - 6}" text-anchor="middle" font-size="10" fill="${b.color}">n/a</text>`; return; }
      const top = y(clamp(val.v));
      g += `<rect x="${bx}" y="${top}" width="${inner - 2}" height="${base - top}" fill="${b.color}" stroke="${b.color}"/>`;
      if (b.hatch) g += `<rect x="${bx}" y="${top}" width="${inner - 2}" height="${base - top}" fill="url(#hatch)" fill-opacity="0.35"/>`;
      if (val.err && val.err > 0) {
        const cx = bx + (inner - 2) / 2, hi = y(clamp(val.v + val.err)), lo = y(clamp(Math.max(val.v - val.err, val.v / 100)));
        g += `<line x1="${cx}" y1="${hi}" x2="${cx}" y2="${lo}" stroke="black" stroke-width="1.5"/><line x1="${cx - 4}" y1="${hi}" x2="${cx + 4}" y2="${hi}" stroke="black"/><line x1="${cx - 4}" y1="${lo}" x2="${cx + 4}" y2="${lo}" stroke="black"/>`;
      }
    });
    g += `<text x="${M.l + i * bw + bw / 2}" y="${base + 20}" text-anchor="middle">${esc(grp.label)}</text>`;
    if (grp.sub) g += `<text x="${M.l + i * bw + bw / 2}" y="${base + 36}" text-anchor="middle" font-size="11" fill="#555">${esc(grp.sub)}</text>`;
  });
  const ls = c.bars.map((b) => ({ label: b.label, color: b.color, marker: 'square' as Marker }));
  g += legend(ls, W - R + 14, M.t);
  return frame(c.title, c.xLabel, c.yLabel, g, c.notes);
}
