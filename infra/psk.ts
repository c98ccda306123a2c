// Pre-shared authentication keys, one independent secret per pair of nodes. The issuer
// (infra/issuer.ts) draws a fresh 256-bit seed for every pair of topology nodes; a node's bundle
// carries only the seeds of its own pairs. Each seed is expanded into the pair's psk blocks with
// SHAKE256 (FIPS 202) as an extendable-output function, so both ends install identical bits under the
// same block id, and knowing any number of pairs' seeds says nothing about another pair's keys (the
// seeds are independent uniform draws; no network-wide secret exists).
import { createHash, randomBytes } from 'node:crypto';

/** Size of one pre-shared authentication key block installed per pair (2^23 bits = 1 MiB). */
export const PSK_BLOCK_BITS = 1 << 23;

const SEED_HEX = /^[0-9a-f]{64}$/;

/** The name of a pair, the same from both ends: "Alice|Bob" (sorted). */
export function pairKey(a: string, b: string): string {
  if (a === b) throw new Error(`pair ${a}|${b}: a node has no pre-shared key with itself`);
  return [a, b].sort().join('|');
}

/** An independent 256-bit seed for every pair of `nodes` (hex). */
export function drawPairSeeds(nodes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) out[pairKey(nodes[i]!, nodes[j]!)] = randomBytes(32).toString('hex');
  return out;
}

/** Block k of a pair's pre-shared key: SHAKE256("hetqn-psk-v2" || seed || k as u32 BE), 1 MiB. */
export function pskBlock(seedHex: string, k: number): Uint8Array {
  if (!SEED_HEX.test(seedHex)) throw new Error('psk seed: expected 64 hex characters');
  if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) throw new Error(`psk block index ${k}: not a u32`);
  const idx = Buffer.alloc(4);
  idx.writeUInt32BE(k);
  const h = createHash('shake256', { outputLength: PSK_BLOCK_BITS / 8 });
  return new Uint8Array(h.update('hetqn-psk-v2').update(Buffer.from(seedHex, 'hex')).update(idx).digest());
}
