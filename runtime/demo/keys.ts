// Keys for the demo's tasks come only from QKD sessions the network runs. Before a task the demo
// works out how many bits each node will withdraw by size from its lane of each pool (`LaneNeed`);
// a lane that holds fewer gets a QKD session for that pair, asked for "until k bits" with the
// protocol left to the orchestration core (BB84 with a C node, MDI through a relay, BBM92 via an E
// node). A lane that stays short makes the task "not available" with the reason: no key bit is
// ever made up. Around each task the demo reads which committed blocks lost how many bits and
// reports them by the session that made them (`KeySupply`), from the pools' own block records.
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import type { NodeId } from '../../protocols/types.ts';
import type { ActorHost } from '../host.ts';
import { runQkd } from '../qkd-client.ts';

export type TaskKind = 'secret' | 'imperfect';
/** `owner` will withdraw `bits` by size from its lane of its pool with `peer`. */
export interface LaneNeed { owner: NodeId; peer: NodeId; kind: TaskKind; bits: number }
/** Bits of one session's key that one task used (both ends' withdrawals of the block). */
export interface KeySupply { sessionId: string | null; pair: string; protocol: string; kind: TaskKind; bits: number }
/** A QKD session the demo ran to fill a lane. */
export interface FillSession { pair: string; ok: boolean; asked: FillSize; sessionId?: string; protocol?: string; relay?: unknown; keyBits?: number; reason?: string; wallMs: number }

/** How large a fill session to ask for: "until `bits`" (the default), or an acquisition time. */
export type FillSize = { bits: number } | { seconds: number };
export type FillSizer = (a: NodeId, b: NodeId, bits: number, failedBefore: number) => FillSize;

export interface KeyContext {
  host: ActorHost;
  stores: Map<string, KeyPoolStore>;
  /** Size of the session for pair a–b that must make `bits` (default: until `bits`). */
  sizeFor?: FillSizer;
}

const pairName = (a: NodeId, b: NodeId) => (a < b ? `${a}–${b}` : `${b}–${a}`);

/** Sum needs per (owner, peer, kind). */
export function mergeNeeds(needs: readonly LaneNeed[]): LaneNeed[] {
  const m = new Map<string, LaneNeed>();
  for (const n of needs) {
    const k = `${n.owner}>${n.peer}:${n.kind}`;
    const e = m.get(k);
    if (e) e.bits += n.bits; else m.set(k, { ...n });
  }
  return [...m.values()];
}

/** Smallest session the demo asks for: below a few 10^4 secret bits the finite-key terms eat the
 *  whole key of an "until k bits" session planned from the asymptotic rate (seen: BB84 D–X and MDI
 *  sessions of a few thousand bits end with "no key"). */
export const MIN_SESSION_BITS = 64_000;

/** Key bits a session must make so that each of the pair's short lanes gets its shortfall: each
 *  end withdraws by size from its half of every block (infra/keypool/store.ts, lanes), so twice the
 *  larger shortfall, plus 2 % for the finite-key planner's rounding; at least MIN_SESSION_BITS,
 *  times 4 for every earlier attempt that ended without key. */
export function sessionBitsFor(shortA: number, shortB: number, failedBefore = 0): number {
  const s = Math.max(shortA, shortB, 0);
  return s === 0 ? 0 : Math.max(Math.ceil(2 * s * 1.02), MIN_SESSION_BITS) * 4 ** failedBefore;
}

let fillSeq = 0;

/** One fill session for the pair of `key` ("a|b|kind"). */
async function runFill(ctx: KeyContext, key: string, short: { a: number; b: number }, tries: number): Promise<FillSession> {
  const [a, b, kind] = key.split('|') as [NodeId, NodeId, TaskKind];
  const id = `demo-fill-${Date.now().toString(36)}-${++fillSeq}`;
  const size = ctx.sizeFor?.(a, b, sessionBitsFor(short.a, short.b), tries) ?? { bits: sessionBitsFor(short.a, short.b, tries) };
  const o = await runQkd(ctx.host, { id, a, b, ...size, protocol: 'auto', ...(kind === 'imperfect' ? { keyKind: 'imperfect' as const } : {}) }, () => undefined, 1_800_000);
  const r = o.result;
  return o.ok && r
    ? { pair: pairName(a, b), ok: true, asked: size, sessionId: String(r.sessionId), protocol: String(r.protocol), relay: r.relay, keyBits: Number(r.keyBits), wallMs: o.wallMs }
    : { pair: pairName(a, b), ok: false, asked: size, reason: o.reason ?? 'session failed', wallMs: o.wallMs };
}

/** Make every lane hold its need, running QKD sessions for the short pairs (all at once: the task
 *  manager queues those that share a device). Up to `attempts` rounds, since a finite-key session
 *  can fall short of its target; a pair the control plane refuses (no route) is not asked again. */
export async function fillLanes(ctx: KeyContext, needs: readonly LaneNeed[], attempts = 3): Promise<{ ok: boolean; reasons: string[]; sessions: FillSession[] }> {
  const sessions: FillSession[] = [];
  const reasons: string[] = [];
  const failed = new Map<string, number>();
  const refused = new Set<string>();
  for (let attempt = 0; attempt < attempts; attempt++) {
    const short = [...(await shortfalls(ctx, mergeNeeds(needs))).entries()].filter(([key]) => !refused.has(key));
    if (short.length === 0) break;
    const runs = await Promise.all(short.map(async ([key, s]) => {
      const fs = await runFill(ctx, key, s, failed.get(key) ?? 0);
      if (!fs.ok) failed.set(key, (failed.get(key) ?? 0) + 1);
      if (!fs.ok && /^refused:/.test(fs.reason ?? '')) { refused.add(key); reasons.push(`${fs.pair} (${key.split('|')[2]}): ${fs.reason}`); }
      return fs;
    }));
    sessions.push(...runs);
  }
  const left = await shortfalls(ctx, mergeNeeds(needs));
  for (const [key, s] of left) {
    if (refused.has(key)) continue;
    const [a, b, kind] = key.split('|') as [NodeId, NodeId, TaskKind];
    const tried = sessions.filter((x) => x.pair === pairName(a, b));
    const last = tried.filter((x) => !x.ok).at(-1)?.reason;
    reasons.push(`${pairName(a, b)} (${kind}) still short by ${Math.max(s.a, s.b)} bits after ${tried.length} QKD sessions${last ? ` (last failure: ${last})` : ''}`);
  }
  return { ok: left.size === 0, reasons, sessions };
}

/** Per pair ("a|b|kind", a < b): how many bits each end's lane lacks. */
async function shortfalls(ctx: KeyContext, needs: readonly LaneNeed[]): Promise<Map<string, { a: number; b: number }>> {
  const out = new Map<string, { a: number; b: number }>();
  for (const n of needs) {
    const store = ctx.stores.get(n.owner);
    if (!store) throw new Error(`no key-pool store for ${n.owner}`);
    const have = (await store.stats(n.peer, n.kind)).available;
    if (have >= n.bits) continue;
    const [a, b] = n.owner < n.peer ? [n.owner, n.peer] : [n.peer, n.owner];
    const key = `${a}|${b}|${n.kind}`;
    const e = out.get(key) ?? { a: 0, b: 0 };
    if (n.owner === a) e.a = n.bits - have; else e.b = n.bits - have;
    out.set(key, e);
  }
  return out;
}

interface BlockLevel { sessionId: string | null; protocol: string; left: number }

/** Bits left per committed block of each pool, read from the lexically smaller end's copy (which
 *  sees its own by-size withdrawals and its takes of the peer's lane, i.e. both ends' use). */
async function levels(ctx: KeyContext, pools: ReadonlyArray<{ a: NodeId; b: NodeId; kind: TaskKind }>): Promise<Map<string, BlockLevel>> {
  const out = new Map<string, BlockLevel>();
  for (const p of pools) {
    const [a, b] = p.a < p.b ? [p.a, p.b] : [p.b, p.a];
    for (const blk of await ctx.stores.get(a)!.committedBlocks(b, p.kind)) {
      out.set(`${a}|${b}|${p.kind}|${blk.id}`, { sessionId: blk.sessionId ?? null, protocol: String(blk.meta?.protocol ?? 'unknown'), left: (blk.availableOwn ?? 0) + (blk.availablePeer ?? 0) });
    }
  }
  return out;
}

/** The pools a set of needs touches, once each. */
export function poolsOf(needs: readonly LaneNeed[]): { a: NodeId; b: NodeId; kind: TaskKind }[] {
  const seen = new Map<string, { a: NodeId; b: NodeId; kind: TaskKind }>();
  for (const n of needs) {
    const [a, b] = n.owner < n.peer ? [n.owner, n.peer] : [n.peer, n.owner];
    seen.set(`${a}|${b}|${n.kind}`, { a, b, kind: n.kind });
  }
  return [...seen.values()];
}

/** Run a task and report which sessions' keys it used: block levels before minus after (a block no
 *  longer listed was used up), summed per session. */
export async function withSupply<T>(ctx: KeyContext, needs: readonly LaneNeed[], run: () => Promise<T>): Promise<{ result: T; supply: KeySupply[] }> {
  const pools = poolsOf(needs);
  const before = await levels(ctx, pools);
  const result = await run();
  const after = await levels(ctx, pools);
  const bySession = new Map<string, KeySupply>();
  for (const [key, b] of before) {
    const used = b.left - (after.get(key)?.left ?? 0);
    if (used <= 0) continue;
    const [a, peer, kind] = key.split('|') as [NodeId, NodeId, TaskKind];
    const k = `${b.sessionId}|${kind}`;
    const e = bySession.get(k) ?? { sessionId: b.sessionId, pair: pairName(a, peer), protocol: b.protocol, kind, bits: 0 };
    e.bits += used;
    bySession.set(k, e);
  }
  return { result, supply: [...bySession.values()].sort((x, y) => x.pair.localeCompare(y.pair) || String(x.sessionId).localeCompare(String(y.sessionId))) };
}
