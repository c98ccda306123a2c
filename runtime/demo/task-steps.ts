// The task steps of `hetqn demo paper` (docs/reference/reference-network.md, "Published task
// runs"): both QDS runs, both QBA trades, the conference key, and QBA with George and Henry. Every
// key a task uses comes from a QKD session of the network (keys.ts): the step first makes sure each
// lane it will withdraw from holds enough, running QKD sessions for the short pairs, and reports
// which sessions' keys the task used. A lane that cannot be filled makes the step "not available".
import { randomBytes } from 'node:crypto';
import { qbaKeyDemand, qbaStringLength, omMessages, omTolerates } from '../../protocols/tasks/qba.ts';
import { qbaDepthFor } from '../../protocols/tasks/qba-bounds.ts';
import { qdsKeyBitsPerLink, signatureRate } from '../../protocols/tasks/qds.ts';
import type { Dof, NodeId } from '../../protocols/types.ts';
import { canConvert } from '../../protocols/qkd/dof.ts';
import { AUTH_BITS_PER_LINK } from '../../actors/tasks/qds-roles.ts';
import { openNodeStore } from '../pool-users.ts';
import { taskRequest } from '../cli/task-client.ts';
import { fillLanes, withSupply, type FillSession, type FillSizer, type KeyContext, type KeySupply, type LaneNeed } from './keys.ts';
import type { PaperContext, QkdRow } from './paper.ts';
import { qkdAvailable, runQkd } from '../qkd-client.ts';
import { CONFERENCE, CONTRACT_BYTES, PUBLISHED_QKD, QBA_BEYOND, QBA_RUNS, QDS_RUNS, TRADE_BYTES } from './published.ts';

/** The published row of a pair (BB84 D–X, MDI C–C). */
const publishedRow = (a: NodeId, b: NodeId) => PUBLISHED_QKD.find((x) => (x.a === a && x.b === b) || (x.a === b && x.b === a));

/** Fill sessions ask "until k bits" (times 4 per earlier failure; at least MIN_SESSION_BITS, keys.ts):
 *  the control plane sizes the run by the finite-key prediction (orchestration.ts, smallest run with
 *  k bits), MDI included. Asking MDI pairs for the published acquisition time instead (1000 s) made
 *  sessions of about 10^6 bits for tasks that use at most a few 10^4, and those sessions were most of
 *  the demo's wall time (`hetqn qkd Alice Bob --bits 64000`: a 250 s run, 83 512 bits). */
const sizeFor: FillSizer = (_a, _b, bits, failedBefore) => ({ bits: bits * 4 ** failedBefore });

const keyContext = (ctx: PaperContext): KeyContext => ({ host: ctx.cluster.client, stores: ctx.stores, sizeFor });

/** Keys of one task: the sessions run to fill its lanes and the sessions whose keys it used. */
export interface TaskKeys { fills: FillSession[]; supply: KeySupply[] }

type TaskResult = Record<string, any> & { keys: TaskKeys };

/** Fill the lanes, then run the task and record its key supply; or say why it cannot run
 *  ({ available: false, reason }). */
async function withKeys(ctx: PaperContext, needs: LaneNeed[], run: () => Promise<Record<string, any>>): Promise<TaskResult> {
  const missing = await qkdAvailable();
  if (missing) return { available: false, reason: missing, keys: { fills: [], supply: [] } };
  const kc = keyContext(ctx);
  const fill = await fillLanes(kc, needs);
  if (!fill.ok) return { available: false, reason: `no QKD key for ${fill.reasons.join('; ')}`, keys: { fills: fill.sessions, supply: [] } };
  const { result, supply } = await withSupply(kc, needs, run);
  return { ...result, keys: { fills: fill.sessions, supply } };
}

/** The progress bar's last word on a task. */
function outcome(r: TaskResult, ok: (r: TaskResult) => string): string {
  return r.available === false ? `not available: ${r.reason}` : r.error ? `failed: ${r.error}` : ok(r);
}

// ---- QDS ----------------------------------------------------------------------------------------

export interface ImperfectKeyRun {
  link: string; peer: NodeId; ok: boolean; sessionId?: string; seconds: number; wallMs: number; reason?: string;
  /** Error-corrected (reconciled, verified, not privacy-amplified) bits committed, and their QBER. */
  ecBits?: number; qber?: number; lSift?: number;
  /** The published run of the same link (docs/reference/reference-network.md: 2 s; l_sift = its error-corrected length). */
  published?: { seconds: number; ecBits: number; qber: number };
}


/** Imperfect-key QKD (keyKind 'imperfect': the error-corrected, verified key before PA lands in both
 *  ends' `imperfect` pools) on each of the signer's links for the published acquisition time (2 s)
 *  times the scale, one after the other (they share the signer's detector). */
async function imperfectKeysStep(ctx: PaperContext, signer: NodeId, peers: NodeId[]): Promise<ImperfectKeyRun[]> {
  const missing = await qkdAvailable();
  const runs: ImperfectKeyRun[] = [];
  for (const [i, peer] of peers.entries()) {
    const pub = publishedRow(signer, peer);
    const seconds = (pub?.T ?? 2) * ctx.scale;
    const base = { link: `${signer}–${peer}`, peer, seconds, ...(pub ? { published: { seconds: pub.T, ecBits: pub.lSift, qber: pub.eB } } : {}) };
    if (missing) { runs.push({ ...base, ok: false, wallMs: 0, reason: missing }); continue; }
    const o = await runQkd(ctx.cluster.client, { id: `demo-imperfect-${Date.now().toString(36)}-${i}`, a: signer, b: peer, seconds, protocol: 'bb84', keyKind: 'imperfect' }, () => undefined, Math.max(600_000, seconds * 20_000));
    const r = o.result;
    runs.push(o.ok && r
      ? { ...base, ok: true, sessionId: String(r.sessionId), ecBits: Number(r.keyBits), qber: Number(r.qber), lSift: Number(r.l_sift), wallMs: o.wallMs }
      : { ...base, ok: false, wallMs: o.wallMs, reason: o.reason ?? 'session failed' });
  }
  return runs;
}

/** Fill rate of a pair's secret pool from our QKD row (l_sec / T), or from the published one. */
function secretFillRate(rows: QkdRow[], a: NodeId, b: NodeId, source: 'ours' | 'published'): number | undefined {
  const r = rows.find((x) => (x.published.a === a && x.published.b === b) || (x.published.a === b && x.published.b === a));
  if (!r) return undefined;
  if (source === 'published') return r.published.lSec / r.published.T;
  return r.ours && r.ours.seconds > 0 ? r.ours.lSec / r.ours.seconds : undefined;
}

/** Signatures per second = min over the signer's two links of (fill rate / bits per signature). */
function rateOf(fillRates: Array<number | undefined>, bitsPerLink: number): number | null {
  if (fillRates.some((f) => f === undefined || !Number.isFinite(f))) return null;
  return signatureRate(fillRates.map((f) => ({ fillRateBitsPerSecond: f!, bitsPerSignature: bitsPerLink })));
}

export async function qdsStep(ctx: PaperContext): Promise<unknown[]> {
  const rows: QkdRow[] = ctx.results.qkd?.rows ?? [];
  const contract = new Uint8Array(randomBytes(CONTRACT_BYTES));
  const out: unknown[] = [];
  for (const q of QDS_RUNS) {
    const bar = ctx.bars.bar(q.name, 3);
    const peers = [q.receiver, q.thirdParty];
    let imperfectKeys: ImperfectKeyRun[] | undefined;
    if (q.variant === 'imperfect') {
      bar.update(0, 'imperfect-key QKD (2 s x scale per link)');
      imperfectKeys = await imperfectKeysStep(ctx, q.signer, peers);
    }
    const bitsPerLink = qdsKeyBitsPerLink(q.variant, { messageBytes: CONTRACT_BYTES, imperfectStringBits: q.bits });
    const needs: LaneNeed[] = [
      ...peers.map((peer) => ({ owner: q.signer, peer, kind: q.variant, bits: bitsPerLink })),
      { owner: q.receiver, peer: q.thirdParty, kind: 'secret', bits: AUTH_BITS_PER_LINK },
    ];
    bar.update(1, 'keys from QKD');
    const r = await withKeys(ctx, needs, async () => {
      bar.update(2, 'signing');
      return taskRequest(ctx.cluster.client, { kind: 'sign', signer: q.signer, receiver: q.receiver, thirdParty: q.thirdParty, variant: q.variant, message: contract });
    });
    const fromRuns = imperfectKeys?.map((k) => (k.ok && k.seconds > 0 ? k.ecBits! / k.seconds : undefined));
    const signatureRatePerSecond = q.variant === 'imperfect'
      ? { ours: rateOf(fromRuns!, bitsPerLink), fromPublished: rateOf(peers.map((p) => { const x = publishedRow(q.signer, p); return x ? x.lSift / x.T : undefined; }), bitsPerLink) }
      : { ours: rateOf(peers.map((p) => secretFillRate(rows, q.signer, p, 'ours')), bitsPerLink), fromPublished: rateOf(peers.map((p) => secretFillRate(rows, q.signer, p, 'published')), bitsPerLink) };
    bar.done(outcome(r, (x) => `${x.forwarderAccept && x.verifierAccept ? 'both accept' : 'REJECTED'}, n = ${x.n}`));
    out.push({ name: q.name, variant: q.variant, bitsPerLink, ...r, ...(imperfectKeys ? { imperfectKeys } : {}), signatureRatePerSecond });
  }
  return out;
}

// ---- QBA and conference -------------------------------------------------------------------------

async function qbaBroadcast(ctx: PaperContext, label: string, q: { name: string; primary: NodeId; malicious: { node: NodeId; strategy: any }[] }, nodes: NodeId[]) {
  const bar = ctx.bars.bar(label, 3);
  const depth = qbaDepthFor(q.malicious.length);
  const trade = new Uint8Array(randomBytes(TRADE_BYTES));
  const needs = Object.entries(qbaKeyDemand(nodes, q.primary, depth, qbaStringLength(TRADE_BYTES, nodes.length), AUTH_BITS_PER_LINK))
    .map(([k, bits]) => { const [owner, peer] = k.split('>') as [NodeId, NodeId]; return { owner, peer, kind: 'secret' as const, bits }; });
  bar.update(1, 'keys from QKD');
  const r = await withKeys(ctx, needs, async () => {
    bar.update(2, `broadcasting, d = ${depth}`);
    return taskRequest(ctx.cluster.client, { kind: 'qba', primary: q.primary, nodes, depth, value: trade, malicious: q.malicious });
  });
  bar.done(outcome(r, (x) => `agreement ${x.agreement ? 'yes' : 'NO'}, validity ${x.validity === null ? 'n/a' : x.validity ? 'yes' : 'NO'}, ${x.qdsRuns} QDS runs`));
  return r;
}

export async function qbaStep(ctx: PaperContext): Promise<unknown[]> {
  const nodes = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];
  const out: unknown[] = [];
  for (const q of QBA_RUNS) out.push({ name: q.name, publishedDepth: q.publishedDepth, ...(await qbaBroadcast(ctx, q.name.slice(0, 11), q, nodes)) });
  return out;
}

export async function conferenceStep(ctx: PaperContext): Promise<unknown> {
  const bar = ctx.bars.bar('conference key', 3);
  const needs: LaneNeed[] = CONFERENCE.participants.map((peer) => ({ owner: CONFERENCE.sponsor, peer, kind: 'secret', bits: CONFERENCE.bits + AUTH_BITS_PER_LINK }));
  bar.update(1, 'keys from QKD');
  const r = await withKeys(ctx, needs, async () => {
    bar.update(2, 'delivering');
    return taskRequest(ctx.cluster.client, { kind: 'conference', sponsor: CONFERENCE.sponsor, participants: CONFERENCE.participants, bits: CONFERENCE.bits });
  });
  bar.done(outcome(r, (x) => (x.allRecovered ? 'all recovered K' : 'NOT recovered')));
  return r;
}

/** Pairs of `nodes` with no QKD route in this network: a C node whose DoF cannot be converted to
 *  what a D node measures (BB84 is the only protocol for a C–D pair). */
export function pairsWithoutQkd(ctx: PaperContext, nodes: readonly NodeId[]): string[] {
  const spec = (n: NodeId) => ctx.topology.nodes.find((x) => x.name === n);
  const out: string[] = [];
  for (const a of nodes) for (const b of nodes) {
    const c = spec(a), d = spec(b);
    if (c?.type === 'C' && d?.type === 'D' && c.dof !== d.dof && !canConvert(c.dof as Dof, d.dof as Dof)) out.push(`${a}–${b} (${c.dof} cannot be converted to ${d.dof})`);
  }
  return out;
}

/** Beyond the paper: QBA with George and Henry (attached at runtime) and Ivy as the entangled source
 *  of their D–D keys, against the classical OM(f) baseline. */
export async function qbaBeyondStep(ctx: PaperContext): Promise<unknown> {
  const q = QBA_BEYOND;
  const up = new Set((await ctx.cluster.status()).nodes.filter((n) => n.state === 'up').map((n) => n.name));
  for (const name of [...q.nodes, ...q.sources]) {
    if (up.has(name)) continue;
    const spec = ctx.topology.nodes.find((n) => n.name === name);
    if (!spec) return { name: q.name, available: false, reason: `${name} is not in the topology` };
    await ctx.cluster.attach(spec);
  }
  for (const name of q.nodes) if (!ctx.stores.has(name)) ctx.stores.set(name, openNodeStore(ctx.cluster, name));
  const noKey = pairsWithoutQkd(ctx, q.nodes);
  if (noKey.length) return { name: q.name, available: false, reason: `no QKD route for ${noKey.join(', ')}` };
  const r = await qbaBroadcast(ctx, `QBA N=${q.nodes.length}, ${q.malicious.length} malicious`, q, q.nodes);
  const N = q.nodes.length, m = q.malicious.length;
  return {
    name: q.name, ...r, leftOut: pairsWithoutQkd(ctx, q.candidates),
    baseline: { omMessagesAtN: omMessages(N, m), omToleratesAtN: omTolerates(N, m), omMinimumN: 3 * m + 1, omMessagesAtMinimumN: omMessages(3 * m + 1, m) },
  };
}
