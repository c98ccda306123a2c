// The quantum key-pool store: one pool per (owner node, peer node, kind) in Redis, every state change one
// atomic call of the `hetqn` Redis Functions library (lua.ts, FCALL). A node opens the store with its own
// Redis ACL user (acl.ts), so it can reach only its own pools; nothing here needs NATS or an actor runtime,
// any process can use it.
//
// Life of a block: stage(block) on both ends -> key confirmation -> commit(blockId) on both ends.
// A block that is aborted, or whose stage deadline passes (the session died), is tombstoned and never
// usable; a committed block is never staged again under the same id.
//
// Withdrawal, both ends taking the same bits: every block is split into two lanes at `split` (default
// half). The lexically smaller NodeId of the pair withdraws *by size* from [0, split), the other from
// [split, len). The initiator gets references (block id, offset, length), possibly spanning blocks, and
// sends them to its peer, which takes exactly those ranges *by reference* from the initiator's lane of its
// copy. So the two ends never hand out the same bits for two different withdrawals, without talking to
// each other: by-size cursors are monotone in one's own lane, by-reference takes are recorded as an
// interval set in the peer lane and an overlapping second take is refused (TAKEN). Consumed bits are
// overwritten with zeros at once and a fully consumed block is deleted (a tombstone stays).
//
// Retries: every withdraw/take carries a request id (random unless given). Its answer is kept as a
// receipt for receiptTtlMs, so a retry after a lost reply (crash, reconnect) returns the same bits instead
// of consuming new ones, and ioredis's automatic resend of in-flight commands cannot consume twice.
//
// PERSISTENCE GUARANTEE (Redis with AOF, see infra/servers.ts startRedis):
// * Every function call's effects go to the AOF as one MULTI/EXEC; on restart a truncated tail is dropped whole,
//   so the pool is always at a state between two complete steps (never half a withdrawal).
// * appendfsync always: Redis fsyncs the AOF before it replies. Any step whose reply a client received
//   survives a kill -9 of Redis and a power loss: no committed block is lost and no consumed bit comes back.
//   Window: none. A step whose reply was lost may or may not have happened; retry it with the same
//   request id (withdraw/take) or the same block id (stage/commit/abort are idempotent).
// * appendfsync everysec (the default): Redis normally write()s the AOF before it replies, so a kill -9 of
//   the Redis process alone loses nothing (the OS still holds the data); but while a background fsync is
//   still running Redis postpones that write for up to 2 s and replies anyway, and an OS crash or power
//   loss loses what was not yet fsynced. Window: the steps acknowledged in the last ~1 s before an OS
//   crash, and up to 2 s before any crash when fsync is slow. Inside it a committed block may be lost
//   and, the dangerous case for one-time pads, bits handed out by a withdrawal may become available
//   again (and be handed out a second time). Use `always` wherever that matters.
// * Redis must not evict: run without maxmemory or with maxmemory-policy noeviction.
// * Replicated Redis (Sentinel, Redis Cluster): a step is acknowledged once `wait` replicas hold it and is
//   retried whole across a failover (durable.ts); with wait = every replica, a failover loses no acknowledged
//   step (README "Replication and failover").
import { Cluster } from 'ioredis';
import { quietErrors } from '../redis-errors.ts';
import { randomUUID } from 'node:crypto';
import type { NodeId, PoolKind, SessionId } from '../../protocols/types.ts';
import { POOL_KINDS } from '../../protocols/types.ts';
import { FN } from './lua.ts';
import { openOwnRedis, type RedisClient, type RedisConnectOptions } from './connect.ts';
import { durableCall, retrying } from './durable.ts';
import {
  checkBlockId, checkId, checkKind, keyIdKey, laneOf, lowWaterChannel, poolPrefix, statsIndexKey, statsKey,
} from './names.ts';

/** What the session knows about a key block when it stages it. */
export interface BlockMeta {
  protocol: string;
  /** Quantum bit error rate measured for the block. */
  qber?: number;
  /** Security parameter of the finite-key analysis the block was privacy-amplified for. */
  eps?: number;
  [extra: string]: unknown;
}

export interface KeyBlock {
  /** Agreed by both ends (from the session), e.g. `${sessionId}` or `${sessionId}:${n}`. */
  id: string;
  /** Key bits, bit i = bit (i & 7) of byte i >> 3 (protocols/bits.ts toBytes). */
  bytes: Uint8Array;
  /** Number of key bits (<= bytes.length * 8). */
  length: number;
  /** Creation time, ms since the epoch (used for key expiry). */
  createdAt: number;
  meta: BlockMeta;
  /** Session that produced it; an idempotent re-stage must name the same one. */
  sessionId?: SessionId;
  /** First bit of the higher NodeId's lane; both ends must use the same value. Default floor(length / 2). */
  split?: number;
}

/** One contiguous range of one block. */
export interface KeyRef { blockId: string; offset: number; length: number }

export interface WithdrawnKey {
  /** Where the bits came from, in order: what the peer needs to take the same bits. */
  refs: KeyRef[];
  /** The key bits, packed as in protocols/bits.ts toBytes. */
  bytes: Uint8Array;
  length: number;
}

export interface WithdrawResult {
  keys: WithdrawnKey[];
  /** Bits this side can still withdraw by size (initiator withdrawals) or, for take, peer-lane bits left. */
  available: number;
  /** True when this withdrawal took the pool below its low-water threshold (also published, see names.ts). */
  lowWater: boolean;
  /** True when this is the receipt of an earlier execution of the same request id. */
  replayed: boolean;
  requestId: string;
}

export interface PoolStats {
  owner: NodeId; peer: NodeId; kind: PoolKind;
  /** Bits committed ever. */
  bitsIn: number;
  /** Bits withdrawn by size (as initiator) and by reference (as responder). */
  bitsOut: number; bitsOutRef: number;
  /** Bits available to withdraw by size, and bits kept for the peer's withdrawals. */
  available: number; availablePeer: number;
  staged: number; blocks: number; withdrawals: number; takes: number;
  aborted: number; expiredStaged: number; expiredKeys: number;
  firstInAt?: number; lastInAt?: number; lastOutAt?: number;
  /** Mean commit rate since the first commit, bits/s (0 before two commits' worth of time). */
  fillRateBps: number;
  /** Mean consumption (by size and by reference) since the first commit, bits/s. */
  consumptionRateBps: number;
  lowWaterBits: number; belowLowWater: boolean; keyTtlMs: number;
}

export interface BlockInfo {
  id: string;
  state: 'staged' | 'committed' | 'aborted' | 'expired' | 'consumed';
  /** Absent for finished (tombstoned) blocks. */
  length?: number; createdAt?: number; meta?: BlockMeta; sessionId?: SessionId;
  /** Bits left in this node's by-size lane and in the peer's lane. */
  availableOwn?: number; availablePeer?: number;
}
const STATES: Record<string, BlockInfo['state']> = { s: 'staged', c: 'committed', a: 'aborted', e: 'expired', x: 'consumed' };

export type PoolErrorCode = 'NOSUCH' | 'EXISTS' | 'STAGED' | 'COMMITTED' | 'ABORTED' | 'EXPIRED' | 'CONSUMED' | 'TAKEN' | 'LANE' | 'RANGE' | 'SHORT' | 'INCONSISTENT' | 'NOPERM' | 'OTHER';

/** A refused pool operation; `code` says why (the first word of the script's error). */
export class PoolError extends Error {
  constructor(readonly code: PoolErrorCode, message: string, readonly available?: number) { super(message); this.name = 'PoolError'; }
}

export interface KeyPoolStoreOptions {
  /** Network name: all keys are under qn:<net>:. */
  net: string;
  /** The node whose pools this store opens (must match the Redis ACL user's node). */
  owner: NodeId;
  /** How long a stage may wait for its commit before it expires (default 10 min). */
  stageTtlMs?: number;
  /** How long a withdraw/take answer is kept for retries (default 2 min). */
  receiptTtlMs?: number;
  /** How long key-ID directory entries (withdraw opts.keyIds) live (default 1 h). */
  keyIdTtlMs?: number;
}

const CODES = new Set<PoolErrorCode>(['NOSUCH', 'EXISTS', 'STAGED', 'COMMITTED', 'ABORTED', 'EXPIRED', 'CONSUMED', 'TAKEN', 'LANE', 'RANGE', 'INCONSISTENT', 'NOPERM']);

function toPoolError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const word = err.message.split(' ')[0] as PoolErrorCode;
  if (CODES.has(word)) return new PoolError(word, err.message);
  if (/Function not found/i.test(err.message)) {
    return new Error(`${err.message}: the hetqn Redis Functions library is not loaded (the launcher's admin loads it, library.ts loadPoolLibrary)`);
  }
  return err;
}

/** Attempts of a withdrawal whose blocks changed under it (each retry declares the blocks the function asked for). */
const MAX_PLAN_ROUNDS = 8;

type Reply = [Buffer, Buffer, number];
type Segment = [string, number, number, number, number];
type Meta = { keys?: Segment[][] | Record<string, never>; avail?: number; low?: number; short?: number; retry?: string[] };

function decodeKeys(meta: Meta, reply: Reply): { keys: WithdrawnKey[]; avail: number; low: number; short?: number } {
  if (meta.short !== undefined) return { keys: [], avail: meta.short, low: 0, short: meta.short };
  const data = reply[1];
  const keys = (Array.isArray(meta.keys) ? meta.keys : []).map((segs) => extractKey(segs, data));
  return { keys, avail: meta.avail ?? 0, low: meta.low ?? 0 };
}

/** Assemble a key from its segments: each segment's bytes start at bit (offset & 7) of its first byte. */
function extractKey(segs: Segment[], data: Buffer): WithdrawnKey {
  const length = segs.reduce((n, s) => n + s[2], 0);
  const out = new Uint8Array((length + 7) >>> 3);
  let at = 0;
  for (const [, offset, len, start] of segs) {
    const sh = offset & 7;
    if (sh === 0 && (at & 7) === 0) {
      out.set(data.subarray(start, start + ((len + 7) >>> 3)), at >>> 3);
      if (len & 7) out[(at + len - 1) >>> 3] &= (1 << ((at + len) & 7 || 8)) - 1;
    } else {
      for (let i = 0; i < len; i++) {
        const src = sh + i;
        const bit = (data[start + (src >>> 3)] >>> (src & 7)) & 1;
        if (bit) out[(at + i) >>> 3] |= 1 << ((at + i) & 7);
      }
    }
    at += len;
  }
  return { refs: segs.map(([blockId, offset, len]) => ({ blockId, offset, length: len })), bytes: out, length };
}

export interface WithdrawOptions {
  /** Number of keys of `bits` bits each, taken atomically (all or none). Default 1. */
  count?: number;
  /**
   * Retry token: the same id returns the same keys (within receiptTtlMs), whatever the other arguments,
   * so it must be unique per logical request (a uuid). Default: a fresh uuid (no retry across calls).
   */
  requestId?: string;
  /**
   * Publish each key's references under these ids (one per key) in the key-ID directory the peer can read
   * (names.ts keyIdKey), atomically with the withdrawal. Used by the ETSI 014 server.
   */
  keyIds?: string[];
}

export class KeyPoolStore {
  readonly net: string;
  readonly owner: NodeId;
  readonly redis: RedisClient;
  private readonly stageTtlMs: number;
  private readonly receiptTtlMs: number;
  private readonly keyIdTtlMs: number;
  private readonly ownsConnection: boolean;
  /** Pools already entered in the owner's stats index by this store. */
  private readonly registered = new Set<string>();
  /** Per pool, the block the last withdrawal ended in: most likely the queue head of the next one. */
  private readonly headHint = new Map<string, string[]>();

  constructor(redis: RedisClient, opts: KeyPoolStoreOptions, ownsConnection = false) {
    this.net = checkId('net', opts.net);
    this.owner = checkId('owner', opts.owner);
    this.redis = redis;
    this.stageTtlMs = opts.stageTtlMs ?? 600_000;
    this.receiptTtlMs = opts.receiptTtlMs ?? 120_000;
    this.keyIdTtlMs = opts.keyIdTtlMs ?? 3_600_000;
    this.ownsConnection = ownsConnection;
  }

  /**
   * Open a store on its own connection as the node's own Redis user: connect(url, { net, owner, username,
   * password, tls }). Credentials in the URL are ignored (a REDIS_URL with the admin's password must not
   * make a node the admin); without username and password this throws, unless allowUrlCredentials is set
   * (tools and tests that run as the URL's user on purpose).
   */
  static connect(url: string, opts: KeyPoolStoreOptions & RedisConnectOptions): KeyPoolStore {
    return new KeyPoolStore(quietErrors(openOwnRedis(url, opts, `key pool of ${opts.owner}`), `key pools of ${opts.owner}`), opts, true);
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private pool(peer: NodeId, kind: PoolKind) {
    checkId('peer', peer); checkKind(kind);
    const P = poolPrefix(this.net, this.owner, peer, kind);
    return { P, S: statsKey(this.net, this.owner, peer, kind), lane: laneOf(this.owner, peer), chan: lowWaterChannel(this.net, this.owner) };
  }

  /** Run a Redis step, mapping refusals to PoolError; a Redis still loading its AOF after a restart, or failing
   *  over (durable.ts), is waited for: every step is idempotent, so it is retried whole. */
  private async run<T>(f: () => Promise<T>): Promise<T> {
    try { return await retrying(this.redis, f); } catch (err) { throw toPoolError(err); }
  }

  /** A state-changing function call of pool `P` (durable.ts: on a replicated Redis, acknowledged once on the
   *  replicas; `P:f` is the pool's fence key). Without P (the stats index), a plain call. */
  private fcall(fn: string, keys: string[], args: (string | number | Buffer)[], P?: string): Promise<unknown> {
    return this.run(() => (P ? durableCall(this.redis, ['FCALL', fn, keys.length, ...keys, ...args], { fence: ['SET', `${P}:f`, '1'] })
      : this.redis.call('FCALL', fn, keys.length, ...keys, ...args)));
  }

  private fcallBuffer(P: string, fn: string, keys: string[], args: (string | number)[]): Promise<Reply> {
    return this.run(() => durableCall(this.redis, ['FCALL', fn, keys.length, ...keys, ...args], { fence: ['SET', `${P}:f`, '1'], buffer: true }) as Promise<Reply>);
  }

  /** KEYS and ARGV tail that declare blocks to a function: P:b:<id>, P:d:<id> for each, and the ids. */
  private static blockKeys(P: string, ids: string[]): string[] {
    return ids.flatMap((id) => [`${P}:b:${id}`, `${P}:d:${id}`]);
  }

  /** Enter the pool in the owner's stats index (listPools, the server's `hetqn pools`), once per store. */
  private async register(peer: NodeId, kind: PoolKind): Promise<void> {
    const member = `${peer}:${kind}`;
    if (this.registered.has(member)) return;
    await this.fcall(FN.register, [statsIndexKey(this.net, this.owner)], [member]);
    this.registered.add(member);
  }

  /** Stage a block (not usable until commit). Idempotent for the same id, session and length. */
  async stage(peer: NodeId, kind: PoolKind, block: KeyBlock, opts: { ttlMs?: number } = {}): Promise<'staged' | 'already'> {
    const { P, S, lane } = this.pool(peer, kind);
    checkBlockId(block.id);
    const len = block.length;
    if (!Number.isInteger(len) || len <= 0) throw new RangeError(`block.length: must be a positive integer, got ${len}`);
    if (block.bytes.length !== (len + 7) >>> 3) throw new RangeError(`block.bytes: ${len} bits need ${(len + 7) >>> 3} bytes, got ${block.bytes.length}`);
    const split = block.split ?? Math.floor(len / 2);
    if (!Number.isInteger(split) || split < 0 || split > len) throw new RangeError(`block.split: must be an integer in [0, ${len}], got ${split}`);
    const [c, e, ps, pe] = lane === 0 ? [0, split, split, len] : [split, len, 0, split];
    const bytes = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength);
    if (len & 7) { const last = bytes.length - 1; if (bytes[last] >> (len & 7)) throw new RangeError('block.bytes: bits beyond block.length must be zero'); }
    await this.register(peer, kind);
    const [status, stale] = await this.fcall(FN.stage, [`${P}:b:${block.id}`, `${P}:d:${block.id}`, `${P}:st`, S], [
      block.id, bytes, len, c, e, ps, pe, Math.round(block.createdAt), JSON.stringify(block.meta ?? {}),
      block.sessionId ?? '', opts.ttlMs ?? this.stageTtlMs,
    ], P) as ['staged' | 'already', number];
    // Stages of dead sessions are expired here rather than inside the stage call, which may touch only its own block.
    if (Number(stale) > 0) await this.sweep(peer, kind).catch(() => undefined);
    return status;
  }

  /** Make a staged block usable (after key confirmation). Idempotent; fails with EXPIRED/ABORTED/NOSUCH otherwise. */
  async commit(peer: NodeId, kind: PoolKind, blockId: string): Promise<'committed' | 'already'> {
    const { P, S, chan } = this.pool(peer, kind);
    checkBlockId(blockId);
    return await this.fcall(FN.commit, [`${P}:b:${blockId}`, `${P}:d:${blockId}`, `${P}:st`, `${P}:q`, `${P}:all`, S],
      [blockId, this.owner, peer, kind, chan], P) as 'committed' | 'already';
  }

  /** Discard a staged block (or pre-empt one not yet staged). Fails with COMMITTED for a committed block. */
  async abort(peer: NodeId, kind: PoolKind, blockId: string): Promise<'aborted' | 'already'> {
    const { P, S } = this.pool(peer, kind);
    checkBlockId(blockId);
    return await this.fcall(FN.abort, [`${P}:b:${blockId}`, `${P}:d:${blockId}`, `${P}:st`, S], [blockId], P) as 'aborted' | 'already';
  }

  /**
   * Initiator side: take `bits` bits (times opts.count keys) from this node's lane, oldest block first.
   * Throws PoolError SHORT (with .available) when the pool holds fewer bits; nothing is taken then.
   */
  async withdraw(peer: NodeId, kind: PoolKind, bits: number, opts: WithdrawOptions = {}): Promise<WithdrawResult> {
    const { P, S, chan } = this.pool(peer, kind);
    const count = opts.count ?? 1;
    if (!Number.isInteger(bits) || bits <= 0) throw new RangeError(`bits: must be a positive integer, got ${bits}`);
    if (!Number.isInteger(count) || count <= 0) throw new RangeError(`count: must be a positive integer, got ${count}`);
    const requestId = opts.requestId ?? randomUUID();
    checkBlockId(requestId);
    const keyIds = opts.keyIds ?? [];
    if (keyIds.length > 0 && keyIds.length !== count) throw new RangeError(`keyIds: need ${count} ids, got ${keyIds.length}`);
    keyIds.forEach((id) => checkBlockId(id));
    const refKeys = keyIds.map((id) => keyIdKey(this.net, this.owner, peer, kind, id));
    let ids = this.headHint.get(P) ?? [];
    for (let round = 0; ; round++) {
      const reply = await this.fcallBuffer(P, FN.withdraw, [`${P}:q`, `${P}:all`, S, `${P}:r:w:${requestId}`, ...refKeys, ...KeyPoolStore.blockKeys(P, ids)], [
        P, bits, count, this.receiptTtlMs, this.owner, peer, kind, chan, this.keyIdTtlMs, refKeys.length, ids.length, ...ids,
      ]);
      const meta = JSON.parse(reply[0].toString('utf8')) as Meta;
      if (meta.retry) {
        if (round >= MAX_PLAN_ROUNDS) throw new PoolError('INCONSISTENT', `INCONSISTENT pool ${P}: no stable withdrawal plan after ${round + 1} rounds`);
        ids = [...new Set(meta.retry)];
        continue;
      }
      const d = decodeKeys(meta, reply);
      if (d.short !== undefined) throw new PoolError('SHORT', `SHORT pool ${this.owner}->${peer} ${kind} holds ${d.short} bits, ${bits * count} requested`, d.short);
      const last = d.keys.at(-1)?.refs.at(-1)?.blockId;
      if (last) this.headHint.set(P, [last]);
      return { keys: d.keys, available: d.avail, lowWater: d.low === 1, replayed: Number(reply[2]) === 1, requestId };
    }
  }

  /**
   * Responder side: take exactly the ranges the peer withdrew (one ref list per key). All or nothing;
   * a range taken before is refused with TAKEN, a range of the initiator's own lane with LANE.
   */
  async take(peer: NodeId, kind: PoolKind, keys: KeyRef[][], opts: { requestId?: string } = {}): Promise<WithdrawResult> {
    const { P, S } = this.pool(peer, kind);
    if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => !Array.isArray(k) || k.length === 0)) throw new RangeError('keys: need at least one key with at least one reference');
    const refs = keys.map((k) => k.map((r) => [checkBlockId(r.blockId), r.offset, r.length] as const));
    const ids = [...new Set(refs.flat().map((r) => r[0]))];
    const requestId = opts.requestId ?? randomUUID();
    checkBlockId(requestId);
    const reply = await this.fcallBuffer(P, FN.take, [S, `${P}:r:t:${requestId}`, `${P}:q`, `${P}:all`, ...KeyPoolStore.blockKeys(P, ids)],
      [P, this.receiptTtlMs, JSON.stringify(refs), ids.length, ...ids]);
    const d = decodeKeys(JSON.parse(reply[0].toString('utf8')) as Meta, reply);
    return { keys: d.keys, available: d.avail, lowWater: false, replayed: Number(reply[2]) === 1, requestId };
  }

  /** A block's state and metadata (no key bits); undefined when this pool never heard of it. */
  async block(peer: NodeId, kind: PoolKind, blockId: string): Promise<BlockInfo | undefined> {
    const { P } = this.pool(peer, kind);
    checkBlockId(blockId);
    const f = await this.run(() => this.redis.hmget(`${P}:b:${blockId}`, 'st', 'len', 'cr', 'meta', 'ses', 'c', 'e', 'ps', 'pe', 'pu'));
    if (!f[0]) return undefined;
    const state = STATES[f[0]] ?? 'consumed';
    if (f[1] === null) return { id: blockId, state };
    const n = (i: number) => Number(f[i]);
    return {
      id: blockId, state, length: n(1), createdAt: n(2), meta: JSON.parse(f[3] ?? '{}') as BlockMeta, sessionId: f[4] || undefined,
      availableOwn: n(6) - n(5), availablePeer: n(8) - n(7) - n(9),
    };
  }

  /** Committed blocks of one pool that still hold bits in either lane, oldest first, with their
   *  session, metadata and bits left (no key bits): where a pool's key came from. */
  async committedBlocks(peer: NodeId, kind: PoolKind): Promise<BlockInfo[]> {
    const { P } = this.pool(peer, kind);
    const ids = await this.run(() => this.redis.zrange(`${P}:all`, 0, -1));
    const out: BlockInfo[] = [];
    for (const id of ids) {
      const b = await this.block(peer, kind, id);
      if (b?.state === 'committed') out.push(b);
    }
    return out;
  }

  /** Blocks staged (not yet committed or aborted) in one pool, with the session that staged them:
   *  what a restarted node must settle (runtime/processes/session-recovery.ts). */
  async stagedBlocks(peer: NodeId, kind: PoolKind): Promise<{ id: string; sessionId?: SessionId }[]> {
    const { P } = this.pool(peer, kind);
    const ids = await this.run(() => this.redis.zrange(`${P}:st`, 0, -1));
    const out: { id: string; sessionId?: SessionId }[] = [];
    for (const id of ids) {
      const [st, ses] = await this.run(() => this.redis.hmget(`${P}:b:${id}`, 'st', 'ses'));
      if (st === 's') out.push({ id, sessionId: ses || undefined });
    }
    return out;
  }

  /** Expire stale stages and (with a key ttl) old committed blocks now, instead of lazily. */
  async sweep(peer: NodeId, kind: PoolKind): Promise<{ expiredStages: number; expiredKeyBits: number }> {
    const { P, S } = this.pool(peer, kind);
    const [stages, old] = await this.run(() => this.redis.call('FCALL_RO', FN.expired, 3, `${P}:st`, `${P}:all`, S)) as [string[], string[]];
    const ids = [...new Set([...stages, ...old])];
    if (ids.length === 0) return { expiredStages: 0, expiredKeyBits: 0 };
    const [expiredStages, expiredKeyBits] = await this.fcall(FN.sweep, [`${P}:st`, `${P}:all`, `${P}:q`, S, ...KeyPoolStore.blockKeys(P, ids)],
      [P, ids.length, ...ids], P) as [number, number];
    return { expiredStages: Number(expiredStages), expiredKeyBits: Number(expiredKeyBits) };
  }

  /** Set the low-water threshold (bits available by size; 0 = off) and the key ttl (ms; 0 = keys never expire). */
  async configure(peer: NodeId, kind: PoolKind, cfg: { lowWaterBits?: number; keyTtlMs?: number }): Promise<void> {
    const { S } = this.pool(peer, kind);
    const v = (x?: number) => (x === undefined ? '' : Math.max(0, Math.floor(x)));
    await this.register(peer, kind);
    await this.fcall(FN.configure, [S], [v(cfg.lowWaterBits), v(cfg.keyTtlMs)], poolPrefix(this.net, this.owner, peer, kind));
  }

  async stats(peer: NodeId, kind: PoolKind): Promise<PoolStats> {
    const { S } = this.pool(peer, kind);
    return parseStats(this.owner, peer, kind, await this.run(() => this.redis.hgetall(S)));
  }

  /** (peer, kind) of every pool of this owner, without reading stats. */
  async listPools(): Promise<{ peer: NodeId; kind: PoolKind }[]> {
    const members = await this.run(() => this.redis.smembers(statsIndexKey(this.net, this.owner)));
    return members.map((m) => m.split(':')).filter(([p, k]) => p && (POOL_KINDS as readonly string[]).includes(k))
      .map(([peer, kind]) => ({ peer, kind: kind as PoolKind })).sort((x, y) => (x.peer + x.kind).localeCompare(y.peer + y.kind));
  }

  /** Every pool of this owner. */
  async listStats(): Promise<PoolStats[]> {
    return this.run(() => readOwnerStats(this.redis, this.net, this.owner));
  }

  /** Resolve key ids that node `from` published for this node (withdraw opts.keyIds) into references. */
  async resolveKeyIds(from: NodeId, kind: PoolKind, keyIds: string[]): Promise<(KeyRef[] | undefined)[]> {
    checkId('from', from); checkKind(kind);
    if (keyIds.length === 0) return [];
    keyIds.forEach((id) => checkBlockId(id));
    const vals = await this.run(() => this.redis.mget(...keyIds.map((id) => keyIdKey(this.net, from, this.owner, kind, id))));
    // Written by another node: validate before use.
    return vals.map((v, i) => {
      if (v === null) return undefined;
      let parsed: unknown;
      try { parsed = JSON.parse(v); } catch { throw new PoolError('RANGE', `RANGE key id ${keyIds[i]}: directory entry is not JSON`); }
      const ok = Array.isArray(parsed) && parsed.length > 0 && parsed.every((r) => Array.isArray(r) && r.length === 3 && typeof r[0] === 'string'
        && Number.isInteger(r[1]) && r[1] >= 0 && Number.isInteger(r[2]) && r[2] > 0);
      if (!ok) throw new PoolError('RANGE', `RANGE key id ${keyIds[i]}: directory entry must be [[blockId, offset, length], ...]`);
      return (parsed as [string, number, number][]).map(([blockId, offset, length]) => ({ blockId, offset, length }));
    });
  }
}

export function parseStats(owner: NodeId, peer: NodeId, kind: PoolKind, h: Record<string, string>): PoolStats {
  const n = (f: string) => Number(h[f] ?? 0);
  const opt = (f: string) => (h[f] === undefined ? undefined : Number(h[f]));
  const firstInAt = opt('firstIn'), lastInAt = opt('lastIn'), lastOutAt = opt('lastOut');
  const span = firstInAt === undefined ? 0 : (Math.max(lastInAt ?? 0, lastOutAt ?? 0, Date.now()) - firstInAt) / 1000;
  return {
    owner, peer, kind,
    bitsIn: n('in'), bitsOut: n('out'), bitsOutRef: n('outRef'),
    available: n('am'), availablePeer: n('ap'), staged: n('staged'), blocks: n('blocks'),
    withdrawals: n('wd'), takes: n('wdRef'), aborted: n('aborted'), expiredStaged: n('expStaged'), expiredKeys: n('expKeys'),
    firstInAt, lastInAt, lastOutAt,
    fillRateBps: span > 0 ? n('in') / span : 0,
    consumptionRateBps: span > 0 ? (n('out') + n('outRef')) / span : 0,
    lowWaterBits: n('lwt'), belowLowWater: h.lw === '1', keyTtlMs: n('kttl'),
  };
}

/** Stats of every pool of `owner` (needs read access to qn:<net>:stats:<owner>:*; no key material is read). */
export async function readOwnerStats(redis: RedisClient, net: string, owner: NodeId): Promise<PoolStats[]> {
  const members = (await redis.smembers(statsIndexKey(net, owner))).sort();
  const out: PoolStats[] = [];
  for (const m of members) {
    const [peer, kind] = m.split(':');
    if (!peer || !(POOL_KINDS as readonly string[]).includes(kind)) continue;
    out.push(parseStats(owner, peer, kind as PoolKind, await redis.hgetall(statsKey(net, owner, peer, kind as PoolKind))));
  }
  return out;
}

/** Owners that have pools in `net` (SCAN over the stats index keys; names only; on a cluster, of every master). */
export async function listOwners(redis: RedisClient, net: string): Promise<NodeId[]> {
  const owners = new Set<NodeId>();
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `qn:${net}:stats:*:_index`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) owners.add(k.split(':')[3]);
    } while (cursor !== '0');
  }
  return [...owners].sort();
}
