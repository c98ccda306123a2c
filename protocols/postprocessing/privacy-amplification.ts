// Privacy amplification over the classical channel: Alice draws the Toeplitz seed
// (n + l - 1 bits) from her QRNG and sends it; both hash their (identical, verified) keys to l
// bits with the same Toeplitz matrix (toeplitz.ts). l comes from parameter estimation on both
// sides; Bob checks that Alice's l matches his when he has one.
//   A->B pa.seed {n, l, seed}
import { type BitString } from '../bits.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { type RandomSource, randomSeedBits } from './random-source.ts';
import { toeplitzHash, toeplitzSeedBits } from './toeplitz.ts';

export interface PrivacyAmplificationResult {
  key: BitString;
  /** Public seed bits sent (n + l - 1). */
  seedBits: number;
}

export async function privacyAmplifyAlice(ch: ClassicalChannel, key: BitString, opts: { outputBits: number; random: RandomSource }): Promise<PrivacyAmplificationResult> {
  const l = opts.outputBits;
  if (!Number.isInteger(l) || l < 1 || l > key.length) throw new RangeError(`privacy amplification: outputBits must be in [1, ${key.length}], got ${l}`);
  const seed = randomSeedBits(opts.random, toeplitzSeedBits(key.length, l));
  await ch.send({ type: 'pa.seed', n: key.length, l, seed: seed.words });
  return { key: await toeplitzHash(key, seed, l), seedBits: seed.length };
}

export async function privacyAmplifyBob(ch: ClassicalChannel, key: BitString, opts: { outputBits?: number } = {}): Promise<PrivacyAmplificationResult> {
  const m = await expectMessage(ch, 'pa.seed');
  if (m.n !== key.length) throw new ProtocolError(`pa.seed: peer key has ${String(m.n)} bits, ours ${key.length}`);
  const l = m.l;
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > key.length) throw new ProtocolError(`pa.seed: bad field 'l' (${String(l)})`);
  if (opts.outputBits !== undefined && opts.outputBits !== l) throw new ProtocolError(`pa.seed: peer wants ${l} output bits, we computed ${opts.outputBits}`);
  const bits = toeplitzSeedBits(key.length, l);
  const words = m.seed;
  if (!(words instanceof Uint32Array) || words.length !== (bits + 31) >>> 5) throw new ProtocolError("pa.seed: bad field 'seed'");
  const seed: BitString = { length: bits, words };
  return { key: await toeplitzHash(key, seed, l), seedBits: bits };
}
