// The randomness a post-processing step draws (Toeplitz seeds, verification seeds, Cascade
// shuffle seeds). In production this is the node's QRNG; tests pass a seeded Rng from rng.ts,
// which satisfies the same one-method interface.
import { type BitString, randomBits } from '../bits.ts';

export interface RandomSource {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
}

export function randomSeedBits(src: RandomSource, length: number): BitString {
  return randomBits(length, () => src.nextUint32());
}
