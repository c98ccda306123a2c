// Shared test helpers for post-processing: correlated key pairs with exactly known errors.
import { type BitString, randomBits } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';

/** Alice's random key and Bob's copy with each bit flipped independently with probability p. */
export function noisyPair(n: number, p: number, seed: number | string): { alice: BitString; bob: BitString; errors: number } {
  const rng = createRng(seed);
  const alice = randomBits(n, () => rng.nextUint32());
  const bob: BitString = { length: n, words: alice.words.slice() };
  let errors = 0;
  for (let i = 0; i < n; i++) if (rng.nextDouble() < p) { bob.words[i >>> 5] ^= 1 << (i & 31); errors++; }
  return { alice, bob, errors };
}
