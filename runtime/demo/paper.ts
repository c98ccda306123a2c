// The steps of `hetqn demo paper` after the network is up (shared/reference/reference-network.md,
// "Published task runs"): the ten QKD pairs, the joint-BSM run with George and Henry attached at
// runtime, both QDS runs, both QBA trades and the conference key. Every step talks to the network
// the way an agent does (platform.request for QKD, task.request for tasks); a step that cannot run
// says why ("not available: ...") and the demo goes on.
import { randomBytes } from 'node:crypto';
import type { Topology } from '../../infra/topology.ts';
import { omMessages, omTolerates, qbaStringLength } from '../../protocols/tasks/qba.ts';
import { signatureRate } from '../../protocols/tasks/qds.ts';
import { AUTH_BITS_PER_LINK } from '../../actors/tasks/qds-roles.ts';
import type { Cluster } from '../launcher.ts';
import { taskRequest } from '../cli/task-client.ts';
import { ensureBits, type StandIn } from './keys.ts';
import { qkdAvailable, runQkd, type QkdOutcome } from './qkd.ts';
import type { DemoProgress } from './progress.ts';
import { CONFERENCE, CONTRACT_BYTES, JOINT_BSM, PUBLISHED_QKD, QBA_RUNS, QBA_SEVEN, QDS_RUNS, TRADE_BYTES, type PublishedQkd } from './published.ts';
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import { openNodeStore } from '../pool-users.ts';

export interface PaperContext {
  cluster: Cluster;
  topology: Topology;
  scale: number;
  bars: DemoProgress;
  stores: Map<string, KeyPoolStore>;
  standIns: StandIn[];
  /** Results of earlier steps, by step name. */
  results: Record<string, any>;
}

const STAGES = ['accepted', 'planned', 'queued', 'reserved', 'switching', 'calibrating', 'running', 'sampling', 'processing', 'post-processing', 'staged', 'staging', 'confirming', 'committing', 'finished'];
/** Bar position of a progress stage; stages outside the list (aborting...) keep the last position. */
function stageTracker() {
  let last = 0;
  return (s: string) => { const i = STAGES.indexOf(s); if (i >= 0) last = i; return last; };
}

export interface QkdRow {
  pair: string; protocol: string; dof: string; T: number; L: number;
  published: PublishedQkd;
  ours?: { seconds: number; lSift: number; eB: number; lSec: number; f: number; protocol: string; wallMs: number };
  /** (ours - published x scale) / (published x scale) for l_sift and l_sec; e_b and f absolute. */
  deviation?: { lSift: number; lSec: number; eB: number; f: number };
  note?: string;
}

export function qkdRow(p: PublishedQkd, scale: number, o: QkdOutcome | undefined, why?: string): QkdRow {
  const base: QkdRow = { pair: p.pair, protocol: p.protocol, dof: p.dof, T: p.T * scale, L: p.L, published: p };
  if (!o) return { ...base, note: `not available: ${why}` };
  if (!o.ok || !o.result) return { ...base, note: `not available: ${o.reason ?? 'session failed'}` };
  const r = o.result;
  const ours = { seconds: Number(r.seconds), lSift: Number(r.l_sift ?? 0), eB: Number(r.qber ?? NaN), lSec: Number(r.l_sec ?? 0), f: Number(r.f ?? NaN), protocol: String(r.protocol), wallMs: o.wallMs };
  const rel = (x: number, y: number) => (y > 0 ? (x - y) / y : NaN);
  return { ...base, ours, deviation: { lSift: rel(ours.lSift, p.lSift * scale), lSec: rel(ours.lSec, p.lSec * scale), eB: ours.eB - p.eB, f: ours.f - p.f } };
}

export async function qkdPairsStep(ctx: PaperContext): Promise<{ available: boolean; reason?: string; rows: QkdRow[] }> {
  const missing = await qkdAvailable();
  if (missing) return { available: false, reason: missing, rows: PUBLISHED_QKD.map((p) => qkdRow(p, ctx.scale, undefined, missing)) };
  // All ten at once: the task manager queues the ones that need a busy detector or relay.
  const outcomes = await Promise.all(PUBLISHED_QKD.map(async (p, i) => {
    const bar = ctx.bars.bar(`QKD ${p.pair} (${p.protocol})`, STAGES.length - 1);
    const stageIndex = stageTracker();
    const o = await runQkd(ctx.cluster.client, { id: `demo-${Date.now().toString(36)}-${i}`, a: p.a, b: p.b, seconds: p.T * ctx.scale, protocol: p.protocol === 'BB84' ? 'bb84' : 'mdi' },
      (stage, detail) => bar.update(stageIndex(stage), detail?.detections !== undefined ? `${stage} ${detail.detections} det.` : stage), timeoutMs(p.T * ctx.scale));
    bar.done(o.ok ? `l_sec ${o.result?.l_sec} bits (${(o.wallMs / 1000).toFixed(0)} s)` : `failed: ${o.reason}`);
    return o;
  }));
  return { available: true, rows: PUBLISHED_QKD.map((p, i) => qkdRow(p, ctx.scale, outcomes[i])) };
}

/** Generous wall-clock budget for an acquisition of `seconds` at 1 GHz. */
const timeoutMs = (seconds: number) => Math.max(600_000, seconds * 20_000);

export async function jointBsmStep(ctx: PaperContext): Promise<Record<string, unknown>> {
  const missing = await qkdAvailable();
  const bar = ctx.bars.bar('joint BSM (George+Henry)', STAGES.length - 1);
  const stageIndex = stageTracker();
  if (missing) { bar.done('not available'); return { available: false, reason: missing }; }
  for (const name of ['George', 'Henry']) {
    const spec = ctx.topology.nodes.find((n) => n.name === name);
    if (!spec) { bar.done('not available'); return { available: false, reason: `${name} is not in the topology` }; }
    bar.update(0, `attaching ${name}`);
    await ctx.cluster.attach(spec);
  }
  // Let the control plane's view (polled from the hypervisor) see the new relays.
  await new Promise((r) => setTimeout(r, 2000));
  // David busy with a BB84 run while Bob and Charlie use George and Henry.
  const busy = runQkd(ctx.cluster.client, { id: `demo-busy-${Date.now().toString(36)}`, a: 'David', b: 'Alice', seconds: 0.05 * Math.max(ctx.scale, 0.01), protocol: 'bb84' }, () => undefined, timeoutMs(1));
  const o = await runQkd(ctx.cluster.client, { id: `demo-joint-${Date.now().toString(36)}`, a: JOINT_BSM.a, b: JOINT_BSM.b, seconds: JOINT_BSM.T * ctx.scale, relay: JOINT_BSM.relay, protocol: 'mdi' },
    (stage) => bar.update(stageIndex(stage), stage), timeoutMs(JOINT_BSM.T * ctx.scale));
  const davidBusy = await busy;
  bar.done(o.ok ? `l_sec ${o.result?.l_sec} bits` : `failed: ${o.reason}`);
  return {
    available: o.ok, reason: o.ok ? undefined : o.reason, pulses: JOINT_BSM.T * ctx.scale * 1e9,
    relay: o.result?.relay, lSift: o.result?.l_sift, eB: o.result?.qber, lSec: o.result?.l_sec, wallMs: o.wallMs,
    davidBusyRun: davidBusy.ok ? { lSec: davidBusy.result?.l_sec } : { reason: davidBusy.reason },
  };
}

/** Fill rate of a pair's pool for a QDS variant, bits/s: secret = l_sec / T; imperfect =
 *  error-corrected but not privacy-amplified key = l_sift / T. Ours when the QKD run worked. */
function fillRate(rows: QkdRow[], a: string, b: string, variant: 'secret' | 'imperfect', source: 'ours' | 'published'): number | undefined {
  const r = rows.find((x) => (x.published.a === a && x.published.b === b) || (x.published.a === b && x.published.b === a));
  if (!r) return undefined;
  if (source === 'published') return (variant === 'secret' ? r.published.lSec : r.published.lSift) / r.published.T;
  if (!r.ours || !(r.ours.seconds > 0)) return undefined;
  return (variant === 'secret' ? r.ours.lSec : r.ours.lSift) / r.ours.seconds;
}

async function topUp(ctx: PaperContext, owner: string, peer: string, kind: 'secret' | 'imperfect', bits: number, why: string): Promise<void> {
  const s = await ensureBits(ctx.stores, owner, peer, kind, bits, why);
  if (s) ctx.standIns.push(s);
}

export interface ImperfectKeyRun { link: string; ok: boolean; sessionId?: string; keyBits?: number; lSift?: number; qber?: number; seconds: number; wallMs: number; reason?: string }

/** Acquisition time of an imperfect-key session that leaves `bits` in the owner's by-size lane
 *  (half of each block, store.ts): ten times the need at the published l_sift rate of the pair,
 *  at least 10 ms (about 8e4 reconciled bits on D–A). */
function imperfectSeconds(a: string, b: string, bits: number): number {
  const p = PUBLISHED_QKD.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));
  return Math.max(0.01, p ? (10 * 2 * bits) / (p.lSift / p.T) : 0.01);
}

/** Imperfect-key QKD (keyKind 'imperfect': the reconciled, verified key before PA lands in both
 *  ends' `imperfect` pools) for each of the signer's links, one after the other (they share the signer). */
async function imperfectKeysStep(ctx: PaperContext, signer: string, peers: string[], bits: number): Promise<ImperfectKeyRun[]> {
  const missing = await qkdAvailable();
  const runs: ImperfectKeyRun[] = [];
  for (const [i, peer] of peers.entries()) {
    const seconds = imperfectSeconds(signer, peer, bits);
    const link = `${signer}–${peer}`;
    if (missing) { runs.push({ link, ok: false, seconds, wallMs: 0, reason: missing }); continue; }
    const o = await runQkd(ctx.cluster.client, { id: `demo-imperfect-${Date.now().toString(36)}-${i}`, a: signer, b: peer, seconds, protocol: 'bb84', keyKind: 'imperfect' }, () => undefined, timeoutMs(seconds));
    const r = o.result;
    runs.push(o.ok && r
      ? { link, ok: true, sessionId: r.sessionId, keyBits: r.keyBits, lSift: r.l_sift, qber: r.qber, seconds, wallMs: o.wallMs }
      : { link, ok: false, seconds, wallMs: o.wallMs, reason: o.reason ?? 'session failed' });
  }
  return runs;
}

export async function qdsStep(ctx: PaperContext): Promise<unknown[]> {
  const rows: QkdRow[] = ctx.results.qkd?.rows ?? [];
  const contract = new Uint8Array(randomBytes(CONTRACT_BYTES));
  const out: unknown[] = [];
  for (const q of QDS_RUNS) {
    const bar = ctx.bars.bar(q.name, 3);
    const why = `${q.name}: pool short after QKD`;
    const n = q.variant === 'imperfect' ? q.bits : undefined;
    // Imperfect keys come from imperfect-key sessions on the signer's two links; a stand-in tops a
    // pool up only when its session failed or fell short (reported with the session's reason).
    let imperfectKeys: ImperfectKeyRun[] | undefined;
    if (q.variant === 'imperfect') {
      bar.update(0, 'imperfect-key QKD');
      imperfectKeys = await imperfectKeysStep(ctx, q.signer, [q.receiver, q.thirdParty], 2 * q.bits);
    }
    bar.update(1, 'checking pools');
    for (const [i, peer] of [q.receiver, q.thirdParty].entries()) {
      const run = imperfectKeys?.[i];
      const reason = run ? `${q.name}: imperfect-key QKD ${run.link} ${run.ok ? 'fell short' : `failed (${run.reason})`}, stand-in fallback` : why;
      await topUp(ctx, q.signer, peer, q.variant, 2 * (n ?? 64), reason);
    }
    await topUp(ctx, q.receiver, q.thirdParty, 'secret', AUTH_BITS_PER_LINK, why);
    bar.update(2, 'signing');
    const r = await taskRequest(ctx.cluster.client, { kind: 'sign', signer: q.signer, receiver: q.receiver, thirdParty: q.thirdParty, variant: q.variant, message: contract });
    const rate = (source: 'ours' | 'published') => {
      const links = [q.receiver, q.thirdParty].map((p) => ({ fillRateBitsPerSecond: fillRate(rows, q.signer, p, q.variant, source) ?? NaN, bitsPerSignature: r.bitsPerLink ?? 2 * q.bits }));
      return links.some((l) => !Number.isFinite(l.fillRateBitsPerSecond)) ? null : signatureRate(links);
    };
    bar.done(r.error ? `failed: ${r.error}` : `${r.forwarderAccept && r.verifierAccept ? 'both accept' : 'REJECTED'}, n = ${r.n}`);
    out.push({ name: q.name, ...r, ...(imperfectKeys ? { imperfectKeys } : {}), signatureRatePerSecond: { ours: rate('ours'), fromPublished: rate('published') } });
  }
  return out;
}

export async function qbaStep(ctx: PaperContext): Promise<unknown[]> {
  const trade = new Uint8Array(randomBytes(TRADE_BYTES));
  const nodes = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];
  const n = qbaStringLength(TRADE_BYTES, nodes.length);
  const out: unknown[] = [];
  for (const q of QBA_RUNS) {
    const bar = ctx.bars.bar(q.name.slice(0, 11), 3);
    bar.update(1, 'checking pools');
    // Per ordered pair: as signer 12n (root) + 8n (sub-round) bits, as forwarder up to 4 authentication keys.
    for (const a of nodes) for (const b of nodes) if (a !== b) await topUp(ctx, a, b, 'secret', 20 * n + 4 * AUTH_BITS_PER_LINK, `${q.name}: pool short after QKD`);
    bar.update(2, 'broadcasting');
    const r = await taskRequest(ctx.cluster.client, { kind: 'qba', primary: q.primary, nodes, depth: 2, value: trade, malicious: q.malicious });
    bar.done(r.error ? `failed: ${r.error}` : `agreement ${r.agreement ? 'yes' : 'NO'}, validity ${r.validity === null ? 'n/a' : r.validity ? 'yes' : 'NO'}`);
    out.push({ name: q.name, ...r });
  }
  return out;
}

export async function conferenceStep(ctx: PaperContext): Promise<unknown> {
  const bar = ctx.bars.bar('conference key', 3);
  bar.update(1, 'checking pools');
  for (const p of CONFERENCE.participants) await topUp(ctx, CONFERENCE.sponsor, p, 'secret', CONFERENCE.bits + AUTH_BITS_PER_LINK, 'conference: pool short after QKD');
  bar.update(2, 'delivering');
  const r = await taskRequest(ctx.cluster.client, { kind: 'conference', sponsor: CONFERENCE.sponsor, participants: CONFERENCE.participants, bits: CONFERENCE.bits });
  bar.done(r.error ? `failed: ${r.error}` : r.allRecovered ? 'all recovered K' : 'NOT recovered');
  return r;
}

/** Beyond the paper: QBA among all seven nodes (George and Henry attached), d = 3, 3 malicious,
 *  with the QDS runs and messages against the classical OM(3) baseline. */
export async function qbaSevenStep(ctx: PaperContext): Promise<unknown> {
  const bar = ctx.bars.bar('QBA N=7, 3 malicious', 3);
  const up = new Set((await ctx.cluster.status()).nodes.filter((n) => n.state === 'up').map((n) => n.name));
  for (const name of QBA_SEVEN.nodes) {
    if (up.has(name)) continue;
    const spec = ctx.topology.nodes.find((n) => n.name === name);
    if (!spec) { bar.done('not available'); return { available: false, reason: `${name} is not in the topology` }; }
    bar.update(0, `attaching ${name}`);
    await ctx.cluster.attach(spec);
  }
  for (const name of QBA_SEVEN.nodes) if (!ctx.stores.has(name)) ctx.stores.set(name, openNodeStore(ctx.cluster, name));
  const trade = new Uint8Array(randomBytes(TRADE_BYTES));
  const n = qbaStringLength(TRADE_BYTES, QBA_SEVEN.nodes.length);
  bar.update(1, 'checking pools');
  // Per ordered pair: as signer at most 20n + 16n + 5 x 12n bits, as forwarder at most 26 authentication keys.
  for (const a of QBA_SEVEN.nodes) for (const b of QBA_SEVEN.nodes) if (a !== b) await topUp(ctx, a, b, 'secret', 96 * n + 26 * AUTH_BITS_PER_LINK, 'QBA N = 7: no QKD link between these nodes or pool short');
  bar.update(2, 'broadcasting');
  const r = await taskRequest(ctx.cluster.client, { kind: 'qba', primary: QBA_SEVEN.primary, nodes: QBA_SEVEN.nodes, depth: 3, value: trade, malicious: QBA_SEVEN.malicious });
  bar.done(r.error ? `failed: ${r.error}` : `agreement ${r.agreement ? 'yes' : 'NO'}, ${r.qdsRuns} QDS runs`);
  const N = QBA_SEVEN.nodes.length, m = QBA_SEVEN.malicious.length;
  return { name: QBA_SEVEN.name, ...r, baseline: { omMessagesAtN: omMessages(N, m), omToleratesAtN: omTolerates(N, m), omMinimumN: 3 * m + 1, omMessagesAtMinimumN: omMessages(3 * m + 1, m) } };
}
