// The demo's final report as text: the QKD table in the layout of the published one with our values
// beside the published ones and the deviation, then signatures, QBA consumption per pool per
// multicast round, the conference, stand-in keys and the total wall time.
import { renderQba } from '../cli/commands/qba.ts';
import type { QkdRow } from './paper.ts';
import type { StandIn } from './keys.ts';

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
  out.push('', 'QDS');
  for (const q of r.qds ?? []) {
    if (q.error) { out.push(`  ${q.name}: FAILED: ${q.error}`); continue; }
    const sr = q.signatureRatePerSecond;
    out.push(`  ${q.name}: ${q.signer} signs ${int(q.messageBytes)} bytes for ${q.forwarder}, third party ${q.verifier}; n = ${q.n}, ${q.bitsPerLink} bits per link per signature`);
    for (const k of q.imperfectKeys ?? []) {
      out.push(k.ok
        ? `    imperfect keys ${k.link}: ${int(k.keyBits)} reconciled bits (QBER ${fix(k.qber, 4)}, ${k.seconds} s at 1 GHz) from session ${k.sessionId}`
        : `    imperfect keys ${k.link}: session FAILED (${k.reason}); stand-in fallback`);
    }
    out.push(`    ${q.forwarder} ${q.forwarderAccept ? 'accepts' : 'rejects'}, ${q.verifier} ${q.verifierAccept ? 'accepts' : 'rejects'} (verdicts ${q.agree ? 'agree' : 'DISAGREE'}); ${q.wallMs} ms`);
    out.push(`    signature rate: ${sr.ours === null ? 'ours n/a (no QKD run)' : `${fix(sr.ours, 2)} /s from our key rates`}; ${fix(sr.fromPublished, 2)} /s from the published key rates`);
  }
  out.push('', 'QBA');
  for (const q of r.qba ?? []) {
    out.push(`  ${q.name}`);
    out.push(q.error ? `    FAILED: ${q.error}` : renderQba(q).split('\n').map((l) => '  ' + l).join('\n'));
  }
  const c = r.conference;
  out.push('', c?.error ? `Conference: FAILED: ${c.error}` : `Conference: ${c.sponsor} drew ${int(c.bits)} bits and one-time padded them to ${c.participants.join(', ')}: ${c.allRecovered ? 'all recovered K' : 'NOT all recovered'} (${c.results.map((p: { node: string; keyBits: number }) => `${p.node} ${int(p.keyBits)}`).join(', ')} pool bits incl. authentication)`);
  const q7 = r.qbaSeven;
  if (q7) {
    out.push('', 'QBA beyond the paper (all seven nodes)');
    if (q7.error || q7.available === false) out.push(`  ${q7.error ? `FAILED: ${q7.error}` : `not available: ${q7.reason}`}`);
    else {
      out.push(`  ${q7.name}: agreement ${q7.agreement ? 'yes' : 'NO'}, validity ${q7.validity === null ? 'n/a' : q7.validity ? 'yes' : 'NO'}; ${q7.multicastRounds} multicast-round actors, ${q7.qdsRuns} QDS runs, ${q7.messages} messages, ${int(q7.keyBitsTotal)} task + ${int(q7.authBitsTotal)} authentication key bits; ${(q7.wallMs / 1000).toFixed(1)} s`);
      const b = q7.baseline;
      out.push(`  classical OM(${q7.nodes.length - q7.honest.length}) (Lamport-Shostak-Pease): ${b.omToleratesAtN ? 'tolerates' : 'does NOT tolerate'} ${q7.nodes.length - q7.honest.length} traitors at N = ${q7.nodes.length} (${int(b.omMessagesAtN)} messages); needs N >= ${b.omMinimumN}: ${int(b.omMessagesAtMinimumN)} messages`);
    }
  }
  const si: StandIn[] = r.standIns ?? [];
  if (si.length) {
    out.push('', 'Stand-in keys (pools the QKD runs left short; CSPRNG blocks staged + committed on both ends like a session):');
    const groups = new Map<string, StandIn[]>();
    for (const s of si) groups.set(`${s.reason} [${s.kind}]`, [...(groups.get(`${s.reason} [${s.kind}]`) ?? []), s]);
    for (const [why, g] of groups) {
      const pools = [...new Set(g.map((s) => s.pool))];
      out.push(`  ${why}: ${int(g.reduce((a, s) => a + s.bits, 0))} bits in ${pools.length} pool${pools.length > 1 ? 's' : ''} (${pools.length <= 6 ? pools.join(', ') : `${pools.slice(0, 5).join(', ')}, ...`})`);
    }
  }
  out.push('', `Total wall time: ${(r.wallMs / 1000).toFixed(1)} s${r.failures?.length ? `; failures: ${r.failures.join('; ')}` : ''}`);
  return out.join('\n');
}
