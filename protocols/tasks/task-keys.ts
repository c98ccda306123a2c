// Where tasks take their one-time key bits from: the pool a pair of nodes shares. In production
// the actors implement this over the Redis pools (both ends withdraw the same block); tests use
// an in-memory ledger. A bit handed out is never handed out again.
import type { BitString } from '../bits.ts';
import type { NodeId, PoolKind } from '../types.ts';
import type { QdsKeys } from './qds.ts';
import { splitKeys } from './qds.ts';

export interface TaskKeySource {
  /** `bits` fresh key bits from the pool shared by a and b; both ends hold the same bits. */
  withdraw(a: NodeId, b: NodeId, bits: number, kind: PoolKind): BitString;
}

/** Name of the pool a pair shares (order-free): "A|B" with the names sorted. */
export function poolKey(a: NodeId, b: NodeId): string { return a < b ? `${a}|${b}` : `${b}|${a}`; }

/** One link's QDS key strings: 2n bits withdrawn at once, split into X (first n) and Y (next n). */
export function withdrawQdsKeys(src: TaskKeySource, signer: NodeId, peer: NodeId, n: number, kind: PoolKind): QdsKeys {
  return splitKeys(src.withdraw(signer, peer, 2 * n, kind));
}
