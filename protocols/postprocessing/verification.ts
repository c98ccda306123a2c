// Key verification after Cascade: Alice draws a fresh seed, sends it with her t-bit universal
// hash of the key, Bob compares with his and answers. t = ceil(log2(1/eps_cor)) so two different
// keys pass with probability <= 2^-t <= eps_cor (Tomamichel et al., Nat. Commun. 3, 634 (2012),
// "correctness"). A mismatch is a frame error: both sides return ok = false and must discard
// the block. The t hash bits are public: the pipeline counts them as leaked (disclosedBits).
//   A->B verify.hash   {n, t, seed, hash}
//   B->A verify.result {ok}
import { type BitString } from '../bits.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { hankelHash } from './hankel-hash.ts';
import { type RandomSource, randomSeedBits } from './random-source.ts';

export interface VerificationResult {
  ok: boolean;
  /** Hash bits made public (count them against the secret length). */
  disclosedBits: number;
}

export function verificationHashBits(epsCor: number): number {
  if (!(epsCor > 0 && epsCor < 1)) throw new RangeError(`epsCor must be in (0, 1), got ${epsCor}`);
  return Math.ceil(Math.log2(1 / epsCor));
}

export async function verifyKeyAlice(ch: ClassicalChannel, key: BitString, opts: { epsCor: number; random: RandomSource }): Promise<VerificationResult> {
  const t = verificationHashBits(opts.epsCor);
  const seed = randomSeedBits(opts.random, key.length + t - 1);
  const hash = hankelHash(key, seed, t);
  await ch.send({ type: 'verify.hash', n: key.length, t, seed: seed.words, hash });
  const res = await expectMessage(ch, 'verify.result');
  if (typeof res.ok !== 'boolean') throw new ProtocolError("verify.result: bad field 'ok'");
  return { ok: res.ok, disclosedBits: t };
}

export async function verifyKeyBob(ch: ClassicalChannel, key: BitString, opts: { epsCor: number }): Promise<VerificationResult> {
  const tExpected = verificationHashBits(opts.epsCor);
  const m = await expectMessage(ch, 'verify.hash');
  if (m.n !== key.length) throw new ProtocolError(`verify.hash: peer key has ${String(m.n)} bits, ours ${key.length}`);
  if (m.t !== tExpected) throw new ProtocolError(`verify.hash: peer uses t = ${String(m.t)} hash bits, we expect ${tExpected}`);
  const t = tExpected;
  const seedWords = m.seed, hash = m.hash;
  if (!(seedWords instanceof Uint32Array) || seedWords.length !== ((key.length + t - 1 + 31) >>> 5)) throw new ProtocolError("verify.hash: bad field 'seed'");
  if (!(hash instanceof Uint32Array) || hash.length !== ((t + 31) >>> 5)) throw new ProtocolError("verify.hash: bad field 'hash'");
  const mine = hankelHash(key, { length: key.length + t - 1, words: seedWords }, t);
  let ok = true;
  for (let i = 0; i < mine.length; i++) if (mine[i] !== hash[i]) ok = false;
  await ch.send({ type: 'verify.result', ok });
  return { ok, disclosedBits: t };
}
