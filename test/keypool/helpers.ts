// Shared set-up for key-pool tests: deterministic blocks and paired stage/commit on both ends.
import type { KeyBlock, KeyPoolStore } from '../../infra/keypool/store.ts';
import { createRng } from '../../protocols/rng.ts';

export function blockOf(id: string, length: number, seed: number, createdAt = Date.now()): KeyBlock {
  const rng = createRng(seed);
  const bytes = new Uint8Array((length + 7) >>> 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextUint32() & 0xff;
  if (length & 7) bytes[bytes.length - 1] &= (1 << (length & 7)) - 1;
  return { id, bytes, length, createdAt, meta: { protocol: 'test', qber: 0.01, eps: 1e-10 }, sessionId: id };
}

/** Stage on both ends, then commit on both (what a session does after key confirmation). */
export async function deposit(a: KeyPoolStore, b: KeyPoolStore, kind: 'secret' | 'imperfect' | 'psk', block: KeyBlock): Promise<void> {
  await Promise.all([a.stage(b.owner, kind, block), b.stage(a.owner, kind, block)]);
  await Promise.all([a.commit(b.owner, kind, block.id), b.commit(a.owner, kind, block.id)]);
}

/** Bit i of a packed byte string. */
export function bitAt(bytes: Uint8Array, i: number): number { return (bytes[i >>> 3] >>> (i & 7)) & 1; }

/** The bits a list of refs designates in the original blocks, packed. */
export function expectedBytes(blocks: Map<string, KeyBlock>, refs: { blockId: string; offset: number; length: number }[]): Uint8Array {
  const total = refs.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array((total + 7) >>> 3);
  let at = 0;
  for (const r of refs) {
    const src = blocks.get(r.blockId)!.bytes;
    for (let i = 0; i < r.length; i++, at++) if (bitAt(src, r.offset + i)) out[at >>> 3] |= 1 << (at & 7);
  }
  return out;
}
