// The privacy-amplification step of the pipeline: the reference side draws the Toeplitz seed
// (n + l - 1 bits) from its QRNG and sends it; both sides hash their n-bit key to l bits.
//   A->B pa.seed {n, l, seed}
// Toeplitz matrix convention: T[i][j] = seed[i - j + n - 1] (i < l, j < n), out = T x over GF(2),
// i.e. out[i] = (seed * x)[i + n - 1] mod 2, a binary convolution (Krawczyk 1994 / Tang et al.,
// Sci. Rep. 9, 15733 (2019)); the hash itself is toeplitz.ts (NTT, two worker threads).
import { type BitString, wordsFor } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { randomSeedBits } from './random-source.ts';
import { toeplitzHash } from './toeplitz.ts';

export async function paSender(ch: ClassicalChannel, key: BitString, l: number, random: Rng): Promise<BitString> {
  const n = key.length;
  if (!(Number.isInteger(l) && l >= 0 && l <= n)) throw new RangeError(`pa: output length must be in [0, ${n}], got ${l}`);
  const seed = l > 0 ? randomSeedBits(random, n + l - 1) : { length: 0, words: new Uint32Array(0) };
  await ch.send({ type: 'pa.seed', n, l, seed: seed.words });
  return l > 0 ? toeplitzHash(key, seed, l) : { length: 0, words: new Uint32Array(0) };
}

export async function paReceiver(ch: ClassicalChannel, key: BitString, l: number): Promise<BitString> {
  const m = await expectMessage(ch, 'pa.seed');
  const n = key.length;
  if (m.n !== n) throw new ProtocolError(`pa.seed: peer key has ${String(m.n)} bits, ours ${n}`);
  if (m.l !== l) throw new ProtocolError(`pa.seed: peer output length ${String(m.l)}, ours ${l}`);
  const words = m.seed;
  const seedBits = l > 0 ? n + l - 1 : 0;
  if (!(words instanceof Uint32Array) || words.length !== wordsFor(seedBits)) throw new ProtocolError("pa.seed: field 'seed' must hold n + l - 1 bits");
  return l > 0 ? toeplitzHash(key, { length: seedBits, words }, l) : { length: 0, words: new Uint32Array(0) };
}
