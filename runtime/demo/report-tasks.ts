// The task rows of the demo's report: QDS (QDS 1's imperfect-key runs beside the published 2 s
// sessions, and the signature rates), the QBA trades and the broadcast with George and Henry, the conference
// key, and for every task the QKD sessions whose keys it used.
import { renderQba } from '../cli/commands/qba.ts';
import { SESSION_PROTOCOLS } from '../../protocols/qkd/registry.ts';
import type { KeySupply, FillSession } from './keys.ts';
import type { ImperfectKeyRun } from './task-steps.ts';
import { table } from './report.ts';

const int = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US').replace(/,/g, ' '));
const fix = (x: number | undefined | null, d: number) => (x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%` : '-');
/** Protocols a key block can come from: a QKD session of the network, nothing else. */
/** Key blocks a QKD session deposited name their protocol (protocols/qkd/registry.ts). */
const QKD_PROTOCOLS = new Set<string>(SESSION_PROTOCOLS);

/** QDS 1's imperfect-key runs against the published sessions of the same links (l_sift of a 2 s
 *  run is its error-corrected length), published lengths times the scale. */
export function renderImperfectRuns(runs: ImperfectKeyRun[], scale: number): string[] {
  const head = ['link', 'session', 'T (s)', 'EC bits pub', 'EC bits ours', 'dev', 'QBER pub', 'QBER ours'];
  const rows = runs.map((k) => {
    const pub = k.published ? k.published.ecBits * scale : undefined;
    return [k.link, k.ok ? k.sessionId! : `FAILED: ${k.reason}`, String(k.seconds), int(pub), int(k.ecBits), pub && k.ecBits !== undefined ? pct((k.ecBits - pub) / pub) : '-', fix(k.published?.qber, 4), fix(k.qber, 4)];
  });
  return table(head, rows).split('\n').map((l) => `    ${l}`);
}

function renderQds(q: Record<string, any>, scale: number): string[] {
  if (q.available === false) return [`  ${q.name}: not available: ${q.reason}`];
  if (q.error) return [`  ${q.name}: FAILED: ${q.error}`];
  const sr = q.signatureRatePerSecond;
  const out = [`  ${q.name}: ${q.signer} signs ${int(q.messageBytes)} bytes for ${q.forwarder}, third party ${q.verifier}; n = ${q.n}, ${q.bitsPerLink} bits per link per signature`];
  if (q.imperfectKeys) {
    out.push(`    imperfect keys: error-corrected, verified, not privacy-amplified (published: the 2 s sessions of the same links${scale !== 1 ? `, x scale ${scale}` : ''})`);
    out.push(...renderImperfectRuns(q.imperfectKeys, scale));
  }
  out.push(`    ${q.forwarder} ${q.forwarderAccept ? 'accepts' : 'rejects'}, ${q.verifier} ${q.verifierAccept ? 'accepts' : 'rejects'} (verdicts ${q.agree ? 'agree' : 'DISAGREE'}); ${q.wallMs} ms`);
  const from = q.variant === 'imperfect' ? 'the imperfect-key runs above (EC bits / T)' : 'our QKD rows (l_sec / T)';
  out.push(`    signature rate = min over the two links of (key rate / ${q.bitsPerLink} bits): ${sr.ours === null ? 'ours n/a (no run)' : `${fix(sr.ours, 2)} /s from ${from}`}; ${fix(sr.fromPublished, 2)} /s from the published runs`);
  return out;
}

function renderQbaRun(q: Record<string, any>): string[] {
  if (q.available === false) return [`  ${q.name}: not available: ${q.reason}`];
  if (q.error) return [`  ${q.name}: FAILED: ${q.error}`];
  const depth = q.publishedDepth !== undefined && q.publishedDepth !== q.depth ? ` (published d = ${q.publishedDepth}; d = f + 1 = ${q.depth} tolerates ${q.depth - 1}, protocols/tasks/qba-bounds.ts B3)` : '';
  return [`  ${q.name}${depth}`, ...renderQba(q).split('\n').map((l) => `  ${l}`)];
}

function renderQbaBeyond(q: Record<string, any> | undefined): string[] {
  if (!q) return [];
  const out = ['', 'QBA beyond the paper (George and Henry attached at runtime)'];
  if (q.available === false) return [...out, `  ${q.name}: not available: ${q.reason}`];
  if (q.error) return [...out, `  ${q.name}: FAILED: ${q.error}`];
  out.push(`  ${q.name}: agreement ${q.agreement ? 'yes' : 'NO'}, validity ${q.validity === null ? 'n/a' : q.validity ? 'yes' : 'NO'}; ${q.multicastRounds} multicast-round actors, ${q.qdsRuns} QDS runs, ${q.messages} messages, ${int(q.keyBitsTotal)} task + ${int(q.authBitsTotal)} authentication key bits; ${(q.wallMs / 1000).toFixed(1)} s`);
  if (q.leftOut?.length) out.push(`  not all seven nodes: no QKD route for ${q.leftOut.join(', ')}`);
  const b = q.baseline, f = q.nodes.length - q.honest.length;
  out.push(`  classical OM(${f}) (Lamport-Shostak-Pease): ${b.omToleratesAtN ? 'tolerates' : 'does NOT tolerate'} ${f} traitors at N = ${q.nodes.length} (${int(b.omMessagesAtN)} messages); needs N >= ${b.omMinimumN}: ${int(b.omMessagesAtMinimumN)} messages`);
  return out;
}

function renderConference(c: Record<string, any> | undefined): string[] {
  if (!c) return [];
  if (c.available === false) return ['', `Conference: not available: ${c.reason}`];
  if (c.error) return ['', `Conference: FAILED: ${c.error}`];
  return ['', `Conference: ${c.sponsor} drew ${int(c.bits)} bits and one-time padded them to ${c.participants.join(', ')}: ${c.allRecovered ? 'all recovered K' : 'NOT all recovered'} (${c.results.map((p: { node: string; keyBits: number }) => `${p.node} ${int(p.keyBits)}`).join(', ')} pool bits incl. authentication)`];
}

/** Every task with the QKD sessions whose keys it used, and the sessions run to fill its lanes. */
export function renderKeySources(tasks: Array<Record<string, any> | undefined>): string[] {
  const out = ['', 'Keys of every task, by the QKD session that made them (key bits the task used, each shared bit once; read from the pools before and after the task)'];
  for (const t of tasks) {
    if (!t?.keys) continue;
    const supply: KeySupply[] = t.keys.supply ?? [];
    const fills: FillSession[] = t.keys.fills ?? [];
    const foreign = supply.filter((s) => !s.sessionId || !QKD_PROTOCOLS.has(s.protocol));
    out.push(`  ${t.name ?? 'conference key'}: ${int(supply.reduce((a, s) => a + s.bits, 0))} bits from ${new Set(supply.map((s) => s.sessionId)).size} sessions${foreign.length ? `; NOT FROM A QKD SESSION: ${foreign.map((s) => `${s.pair} ${s.protocol} ${s.bits}`).join(', ')}` : ''}`);
    const rows = supply.map((s) => [s.sessionId ?? '(none)', s.pair, s.protocol.toUpperCase(), s.kind, int(s.bits)]);
    if (rows.length) out.push(...table(['session', 'pair', 'protocol', 'pool', 'bits used'], rows).split('\n').map((l) => `    ${l}`));
    for (const f of fills) {
      const asked = 'seconds' in f.asked ? `${f.asked.seconds} s` : `until ${int(f.asked.bits)} bits`;
      out.push(`    QKD run for this task (${asked}): ${f.pair} ${f.ok ? `session ${f.sessionId}, ${f.protocol?.toUpperCase()}, ${int(f.keyBits)} key bits` : `FAILED: ${f.reason}`} (${(f.wallMs / 1000).toFixed(1)} s)`);
    }
  }
  return out;
}

/** The task part of the report. */
export function renderTasks(r: Record<string, any>): string[] {
  const out: string[] = ['', 'QDS'];
  for (const q of r.qds ?? []) out.push(...renderQds(q, r.scale));
  out.push('', 'QBA');
  for (const q of r.qba ?? []) out.push(...renderQbaRun(q));
  out.push(...renderConference(r.conference));
  out.push(...renderQbaBeyond(r.qbaBeyond));
  out.push(...renderKeySources([...(r.qds ?? []), ...(r.qba ?? []), r.conference ? { name: 'conference key', ...r.conference } : undefined, r.qbaBeyond]));
  return out;
}
