// The demo's final report as text: the QKD table in the layout of the published one with our values
// beside the published ones and the deviation, then the tasks (report-tasks.ts: signatures, QBA
// consumption per pool per multicast round, the conference, the QKD sessions every task's keys came
// from) and the total wall time.
import type { QkdRow } from './paper.ts';
import { renderTasks } from './report-tasks.ts';

const int = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US').replace(/,/g, ' '));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`);
const fix = (x: number | undefined, d: number) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function renderQkd(rows: QkdRow[], scale: number): string {
  const head = ['pair', 'protocol', 'DoF', 'T (s)', 'L (km)', 'f pub', 'f ours', 'l_sift pub', 'l_sift ours', 'dev', 'e_b pub', 'e_b ours', 'l_sec pub', 'l_sec ours', 'dev'];
  const body = rows.map((r) => [
    r.pair, r.protocol, r.dof, String(r.T), fix(r.L, 1), fix(r.published.f, 3), fix(r.ours?.f, 3),
    int(r.published.lSift * scale), int(r.ours?.lSift), pct(r.deviation?.lSift),
    fix(r.published.eB, 4), fix(r.ours?.eB, 4), int(r.published.lSec * scale), int(r.ours?.lSec), pct(r.deviation?.lSec),
  ]);
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.pair}: ${r.note}`);
  return [
    `QKD (published values of Lu et al. 2025${scale !== 1 ? ` x scale ${scale} for l_sift and l_sec` : ''}; dev = (ours - published) / published)`,
    table(head, body), ...notes,
  ].join('\n');
}

export function renderReport(r: Record<string, any>): string {
  const out: string[] = [];
  out.push(renderQkd(r.qkd.rows, r.scale));
  const j = r.jointBsm;
  out.push('', `Joint BSM (Bob–Charlie tbp MDI, George + Henry measuring together, ${int(j?.pulses)} pulses): ${j?.available ? `l_sift ${int(j.lSift)}, e_b ${fix(j.eB, 4)}, l_sec ${int(j.lSec)} (${(j.wallMs / 1000).toFixed(0)} s)` : `not available: ${j?.reason}`}`);
  out.push(...renderTasks(r));
  out.push('', `Total wall time: ${(r.wallMs / 1000).toFixed(1)} s${r.failures?.length ? `; failures: ${r.failures.join('; ')}` : ''}`);
  return out.join('\n');
}
