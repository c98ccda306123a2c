// Redis key and channel names of the key pools. Every name a node may touch starts with a prefix that
// contains its own NodeId, so one ACL pattern per prefix confines a node to its own pools (see acl.ts).
// Ids are restricted to [A-Za-z0-9_.-] so they can never inject ':' or glob characters into those patterns.
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { POOL_KINDS } from '../../protocols/types.ts';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const BLOCK_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkId(what: string, id: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw new TypeError(`${what}: "${id}" must match ${ID}`);
  return id;
}

export function checkBlockId(id: string): string {
  if (typeof id !== 'string' || !BLOCK_ID.test(id)) throw new TypeError(`blockId: "${id}" must match ${BLOCK_ID}`);
  return id;
}

export function checkKind(kind: string): PoolKind {
  if (!(POOL_KINDS as readonly string[]).includes(kind)) throw new TypeError(`kind: "${kind}" must be one of ${POOL_KINDS.join(', ')}`);
  return kind as PoolKind;
}

/** The pair's Redis Cluster hash tag `{<a>|<b>}` (a < b): every key of both ends' pools of one pair, their
 *  stats and their key-ID directory entries hash to one slot, so one function call never spans slots. */
export function pairTag(x: NodeId, y: NodeId): string {
  if (x === y) throw new RangeError(`pool of ${x} with itself`);
  const [a, b] = x < y ? [x, y] : [y, x];
  return `{${a}|${b}}`;
}

/** All key material of one pool lives under `${poolPrefix}:` (blocks `:b:<id>`, data `:d:<id>`, queues, receipts).
 *  The owner comes before the hash tag, so the ACL pattern `qn:<net>:pool:<owner>:*` confines a node. */
export function poolPrefix(net: string, owner: NodeId, peer: NodeId, kind: PoolKind): string {
  return `qn:${net}:pool:${owner}:${pairTag(owner, peer)}:${kind}`;
}

/** A pool's statistics and configuration: counts only, never key material (the server may read these). */
export function statsKey(net: string, owner: NodeId, peer: NodeId, kind: PoolKind): string {
  return `qn:${net}:stats:${owner}:${pairTag(owner, peer)}:${kind}`;
}

/** Set of "<peer>:<kind>" an owner has pools with. */
export function statsIndexKey(net: string, owner: NodeId): string {
  return `qn:${net}:stats:${owner}:_index`;
}

/** Key-ID directory entry written by the withdrawing node `from` for the reading node `to` (references only). */
export function keyIdKey(net: string, from: NodeId, to: NodeId, kind: PoolKind, keyId: string): string {
  return `qn:${net}:ref:from=${from}:to=${to}:${pairTag(from, to)}:${kind}:${keyId}`;
}

/** Pub/sub channel of an owner's low-water events. */
export function lowWaterChannel(net: string, owner: NodeId): string {
  return `qn:${net}:lowwater:${owner}`;
}

/** Initiator lane of `owner` in a pool with `peer`: the lexically smaller NodeId withdraws by size from the low part of every block. */
export function laneOf(owner: NodeId, peer: NodeId): 0 | 1 {
  if (owner === peer) throw new RangeError(`pool of ${owner} with itself`);
  return owner < peer ? 0 : 1;
}
