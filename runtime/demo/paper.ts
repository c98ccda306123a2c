// The steps of `hetqn demo paper` after the network is up (docs/reference/reference-network.md,
// "Published task runs"): the ten QKD pairs and the joint-BSM run with George and Henry attached at
// runtime; the task steps (QDS, QBA, conference) are in task-steps.ts. Every step talks to the
// network the way an agent does (platform.request for QKD, task.request for tasks); a step that
// cannot run says why ("not available: ...") and the demo goes on.
import type { Topology } from '../../infra/topology.ts';
import type { Cluster } from '../launcher.ts';
import { qkdAvailable, runQkd, type QkdOutcome } from '../qkd-client.ts';
import type { DemoProgress } from './progress.ts';
import { JOINT_BSM, PUBLISHED_QKD, type PublishedQkd } from './published.ts';
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import { jointBsmDerivation, loadMdiCalibration, refereeOf, spreadOf, visibilityOf, type RowReferee } from './referee.ts';

export interface PaperContext {
  cluster: Cluster;
  topology: Topology;
  scale: number;
  bars: DemoProgress;
  /** Every node's key-pool store (tasks check and account their keys through them). */
  stores: Map<string, KeyPoolStore>;
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
  /** Prediction, spread, l_sec at the published f, HOM visibility explaining the published row (MDI). */
  referee?: RowReferee;
  note?: string;
}

export function qkdRow(p: PublishedQkd, scale: number, o: QkdOutcome | undefined, why?: string, visibility?: RowReferee['visibility'], topology?: Topology): QkdRow {
  const base: QkdRow = { pair: p.pair, protocol: p.protocol, dof: p.dof, T: p.T * scale, L: p.L, published: p, ...(visibility ? { referee: { visibility } } : {}) };
  if (!o) return { ...base, note: `not available: ${why}` };
  if (!o.ok || !o.result) return { ...base, note: `not available: ${o.reason ?? 'session failed'}` };
  const r = o.result;
  const ours = { seconds: Number(r.seconds), lSift: Number(r.l_sift ?? 0), eB: Number(r.qber ?? NaN), lSec: Number(r.l_sec ?? 0), f: Number(r.f ?? NaN), protocol: String(r.protocol), wallMs: o.wallMs };
  const rel = (x: number, y: number) => (y > 0 ? (x - y) / y : NaN);
  return { ...base, ours, deviation: { lSift: rel(ours.lSift, p.lSift * scale), lSec: rel(ours.lSec, p.lSec * scale), eB: ours.eB - p.eB, f: ours.f - p.f }, referee: refereeOf(p, r, visibility, topology) };
}

export async function qkdPairsStep(ctx: PaperContext): Promise<{ available: boolean; reason?: string; rows: QkdRow[] }> {
  const missing = await qkdAvailable();
  const cal = loadMdiCalibration(ctx.topology);
  const visibility = PUBLISHED_QKD.map((p) => (p.protocol === 'MDI' ? visibilityOf(p, cal) : undefined));
  if (missing) return { available: false, reason: missing, rows: PUBLISHED_QKD.map((p, i) => qkdRow(p, ctx.scale, undefined, missing, visibility[i])) };
  // All ten at once: the task manager queues the ones that need a busy detector or relay.
  // `force`: a scaled-down rehearsal runs the published runs as sized even where no key is predicted.
  const outcomes = await Promise.all(PUBLISHED_QKD.map(async (p, i) => {
    const bar = ctx.bars.bar(`QKD ${p.pair} (${p.protocol})`, STAGES.length - 1);
    const stageIndex = stageTracker();
    const o = await runQkd(ctx.cluster.client, { id: `demo-${Date.now().toString(36)}-${i}`, a: p.a, b: p.b, seconds: p.T * ctx.scale, protocol: p.protocol === 'BB84' ? 'bb84' : 'mdi', force: true },
      (stage, detail) => bar.update(stageIndex(stage), detail?.detections !== undefined ? `${stage} ${detail.detections} det.` : stage), timeoutMs(p.T * ctx.scale));
    bar.done(o.ok ? `l_sec ${o.result?.l_sec} bits (${(o.wallMs / 1000).toFixed(0)} s)` : `failed: ${o.reason}`);
    return o;
  }));
  return { available: true, rows: PUBLISHED_QKD.map((p, i) => qkdRow(p, ctx.scale, outcomes[i], undefined, visibility[i], ctx.topology)) };
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
  const busy = runQkd(ctx.cluster.client, { id: `demo-busy-${Date.now().toString(36)}`, a: 'David', b: 'Alice', seconds: 0.05 * Math.max(ctx.scale, 0.01), protocol: 'bb84', force: true }, () => undefined, timeoutMs(1));
  const o = await runQkd(ctx.cluster.client, { id: `demo-joint-${Date.now().toString(36)}`, a: JOINT_BSM.a, b: JOINT_BSM.b, seconds: JOINT_BSM.T * ctx.scale, relay: JOINT_BSM.relay, protocol: 'mdi', force: true },
    (stage) => bar.update(stageIndex(stage), stage), timeoutMs(JOINT_BSM.T * ctx.scale));
  const davidBusy = await busy;
  bar.done(o.ok ? `l_sec ${o.result?.l_sec} bits` : `failed: ${o.reason}`);
  const pulses = JOINT_BSM.T * ctx.scale * 1e9;
  // The physics of the prediction (derived optics, no parameter fitted to a joint-BSM key) and its
  // dependence on the one unpublished quantity, the server-to-node fibres.
  const derivation = jointBsmDerivation(ctx.topology, pulses);
  const pr = o.result?.prediction;
  return {
    available: o.ok, reason: o.ok ? undefined : o.reason, pulses,
    relay: o.result?.relay, lSift: o.result?.l_sift, eB: o.result?.qber, lSec: o.result?.l_sec, wallMs: o.wallMs,
    predicted: pr ? { lSift: pr.siftedBits, eB: pr.qber, lSec: pr.secretBits, reason: pr.reason } : undefined,
    spread: o.ok && o.result ? spreadOf(o.result, ctx.topology) : undefined,
    link: o.result?.link, derivation,
    davidBusyRun: davidBusy.ok ? { lSec: davidBusy.result?.l_sec } : { reason: davidBusy.reason },
  };
}
