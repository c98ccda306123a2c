// A t-bit universal hash of an n-bit string by a Hankel (reversed Toeplitz) matrix: output bit r
// is the parity of x AND s[r .. r+n-1], for a uniform seed s of n + t - 1 bits. For any x != 0,
// each output bit contains the seed bit s[r + j*] (j* = highest set bit of x) that no earlier
// bit contains, so Hx is uniform and Pr[h(x) = h(x')] = 2^-t for x != x' (the Toeplitz
// argument of Krawczyk, CRYPTO '94, sec. 3). Cost: t word-level passes, O(t n / 32).
import { type BitString, wordsFor } from '../bits.ts';
import { parity32 } from './word-parity.ts';

export function hankelHash(x: BitString, seed: BitString, t: number): Uint32Array {
  const n = x.length;
  if (seed.length !== n + t - 1) throw new RangeError(`hankelHash: seed must have n + t - 1 = ${n + t - 1} bits, got ${seed.length}`);
  const W = wordsFor(n), sw = seed.words;
  const lastMask = (n & 31) === 0 ? 0xffffffff : 0xffffffff >>> (32 - (n & 31));
  const out = new Uint32Array((t + 31) >>> 5);
  for (let r = 0; r < t; r++) {
    const w0 = r >>> 5, sh = r & 31;
    let acc = 0;
    if (sh === 0) {
      for (let i = 0; i < W - 1; i++) acc ^= x.words[i] & sw[w0 + i];
      acc ^= x.words[W - 1] & sw[w0 + W - 1] & lastMask;
    } else {
      const inv = 32 - sh;
      for (let i = 0; i < W - 1; i++) acc ^= x.words[i] & ((sw[w0 + i] >>> sh) | (sw[w0 + i + 1] << inv));
      const hi = w0 + W < sw.length ? sw[w0 + W] << inv : 0;
      acc ^= x.words[W - 1] & ((sw[w0 + W - 1] >>> sh) | hi) & lastMask;
    }
    if (parity32(acc)) out[r >>> 5] |= 1 << (r & 31);
  }
  return out;
}
