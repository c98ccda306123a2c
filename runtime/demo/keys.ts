// Key availability for the demo's tasks. Tasks take their keys from the pools the QKD runs filled.
// The imperfect pools QDS 1 uses are filled by imperfect-key QKD sessions (keyKind 'imperfect',
// paper.ts). When a pool holds fewer bits than a task needs (QKD not available, a scaled-down run,
// or an imperfect-key session that failed), the demo tops the pool up with stand-in blocks drawn
// from a CSPRNG, staged and committed on both ends exactly as a session would, and the report says
// so per pool: task results stay real, the key origin is marked.
import { randomBytes } from 'node:crypto';
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import type { PoolKind } from '../../protocols/types.ts';

export interface StandIn { pool: string; kind: PoolKind; bits: number; reason: string }

let seq = 0;

/** Make sure `owner` can withdraw `bits` by size from its pool with `peer`; returns the stand-in deposit, if any. */
export async function ensureBits(stores: Map<string, KeyPoolStore>, owner: string, peer: string, kind: PoolKind, bits: number, reason: string): Promise<StandIn | undefined> {
  const a = stores.get(owner)!, b = stores.get(peer)!;
  const have = (await a.stats(peer, kind)).available;
  if (have >= bits) return undefined;
  // The owner's lane is one half of each block (store.ts): deposit twice the shortfall, plus margin.
  const missing = bits - have;
  const len = 2 * missing + 64;
  const id = `demo-standin-${process.pid}-${Date.now().toString(36)}-${++seq}`;
  const bytes = new Uint8Array(randomBytes((len + 7) >>> 3));
  if (len & 7) bytes[bytes.length - 1] &= (1 << (len & 7)) - 1;
  const block = { id, bytes, length: len, createdAt: Date.now(), meta: { protocol: 'demo-standin', reason }, sessionId: id };
  await Promise.all([a.stage(peer, kind, block), b.stage(owner, kind, block)]);
  await Promise.all([a.commit(peer, kind, id), b.commit(owner, kind, id)]);
  return { pool: [owner, peer].sort().join('|'), kind, bits: len, reason };
}
