// Seeded bit shuffles for Cascade. Both parties rebuild the same permutation from a public seed
// (the seed crosses the channel, never the permutation).
//
// 'fast' (default): a structured permutation drawn from the seed, applied to whole words:
//   a keyed pseudo-random word permutation sigma_a (a Feistel network, computed rather than
//   tabled), a keyed per-word rotation, a 32x32 bit transpose of every group of 32 words, then a
//   second keyed word permutation sigma_b. Any two bits of the key land in the
//   same shuffled 32-bit word with probability ~32/N and in the same block of k bits with
//   probability ~k/N, as under a uniform shuffle, which is what Cascade's pass-to-pass error
//   spreading relies on (Brassard & Salvail, EUROCRYPT '93, sec. 4); two bits of one source
//   word always end in different shuffled words. Cost is O(N/32) word operations, not N
//   random bit gathers.
// 'uniform': Fisher–Yates over all N bits (for comparison; ~10x slower).
// Passes whose blocks are the two halves of the key (k = N/2) take a random half of the words
// instead under 'fast' (passShuffle / createHalfSplit below).
// Both work on a length padded to a multiple of 1024 bits (PAD); pad bits are 0 on both
// sides, so they never hold an error.
import { seedToUint32 } from '../rng.ts';
import { transpose32 } from './word-parity.ts';

export const PAD = 1024;
export type ShuffleKind = 'fast' | 'uniform' | 'identity';

export interface BitShuffle {
  /** Padded length N. */
  readonly size: number;
  /** The shuffled copy of `src` (N bits, packed): out bit j = src bit pi(j). */
  apply(src: Uint32Array): Uint32Array;
  /** Where source bit x sits in the shuffled copy (pi^-1(x)). */
  locate(x: number): number;
  /** Which source bit sits at shuffled position j (pi(j)). */
  source(j: number): number;
}

export function paddedLength(n: number): number { return Math.max(PAD, Math.ceil(n / PAD) * PAD); }

// Scratch words reused by every apply() (synchronous, so never shared between two calls).
let scratch = new Uint32Array(0);
function scratchWords(w: number): Uint32Array {
  if (scratch.length < w) scratch = new Uint32Array(w);
  return scratch;
}

/** The xoshiro128** stream of createRng(seed) (protocols/rng.ts), same seeding and outputs, with
 *  the state in closure locals: ~5x faster than the class in this hot loop, identical shuffles. */
function xoshiro128(seed: number): () => number {
  let s = seedToUint32(seed) >>> 0;
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm() | 0, b = sm() | 0, c = sm() | 0, d = sm() | 0;
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const x = Math.imul(b, 5);
    const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d;
    c ^= t; d = (d << 11) | (d >>> 21);
    return r;
  };
}

function fisherYates(n: number, next: (m: number) => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = next(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
  return p;
}

function inverse(p: Int32Array): Int32Array {
  const q = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) q[p[i]] = i;
  return q;
}

export function createShuffle(kind: ShuffleKind, size: number, seed: number): BitShuffle {
  if (size % PAD !== 0) throw new RangeError(`shuffle size ${size} is not a multiple of ${PAD}`);
  if (kind === 'identity') return { size, apply: (src) => src.slice(0, size >>> 5), locate: (x) => x, source: (j) => j };
  const rng = xoshiro128(seed);
  // Multiply-shift index draw (Lemire 2019 without the rejection step): bias <= m / 2^32,
  // harmless for a public shuffle and several times faster than rejection sampling here.
  // (x * 2^-32 is exact, and | 0 floors the nonnegative result < 2^31: same as floor(x / 2^32))
  const next = (m: number) => (rng() * m * 2.3283064365386963e-10) | 0;
  if (kind === 'uniform') {
    const pi = fisherYates(size, next);
    const inv = inverse(pi);
    return {
      size,
      apply(src) {
        const out = new Uint32Array(size >>> 5);
        for (let j = 0; j < size; j++) { const x = pi[j]; if ((src[x >>> 5] >>> (x & 31)) & 1) out[j >>> 5] |= 1 << (j & 31); }
        return out;
      },
      locate: (x) => inv[x],
      source: (j) => pi[j],
    };
  }
  const W = size >>> 5;
  // Word permutations are keyed pseudo-random permutations, not affine maps j -> m j + c: affine
  // maps carry every displacement to the same displacement, so errors at x, x + d, x + D,
  // x + d + D line up into "rectangles" that share a block in both small passes and stay
  // invisible (the rectangular error patterns of linear interleavers); on 16 Mbit keys at 3 %
  // that left ~28 residual errors in some frames. They are computed (Feistel, below), not
  // tabled: no Fisher–Yates table to build per pass and side, and source()/locate() (once per
  // corrected bit and pass) cost arithmetic instead of two cache misses in 2 MB tables.
  const A = feistel(W, rng), B = feistel(W, rng), kr = rng() | 0;
  return {
    size,
    apply(src) {
      const tmp = scratchWords(W);
      for (let j = 0; j < W; j++) {
        const v = src[fwd(A, j)], r = mix(j, kr) >>> 27; // rotation of pre-transpose word j
        tmp[j] = (v << r) | (v >>> (32 - r)); // r = 0: v | v
      }
      for (let g = 0; g < W; g += 32) transpose32(tmp, g);
      const out = new Uint32Array(W);
      for (let j = 0; j < W; j++) out[j] = tmp[fwd(B, j)];
      return out;
    },
    locate(x) {
      const ja = inv(A, x >>> 5);
      const col = ((x & 31) + (mix(ja, kr) >>> 27)) & 31;
      const jb = inv(B, ja - (ja & 31) + col);
      return jb * 32 + (ja & 31);
    },
    source(j) {
      // inverse of locate: shuffled word j>>5 came from transposed word g*32+col, whose bit
      // (j & 31) is bit col of pre-transpose word ja = g*32 + (j & 31), i.e. source bit
      // (col - rot(ja)) & 31 of word sigmaA(ja).
      const t = fwd(B, j >>> 5), ja = t - (t & 31) + (j & 31), col = t & 31;
      return fwd(A, ja) * 32 + ((col - (mix(ja, kr) >>> 27)) & 31);
    },
  };
}

/** Round function: the murmur3 32-bit finaliser of x ^ key (Appleby, MurmurHash3 fmix32). */
function mix(x: number, key: number): number {
  x = Math.imul(x ^ key, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** A keyed permutation of [0, W): a 4-round Feistel network on the m = ceil(log2 W) bits of the
 *  index (unbalanced halves when m is odd; Luby & Rackoff, SIAM J. Comput. 17 (1988)), with cycle
 *  walking back into [0, W) (Black & Rogaway, CT-RSA 2002): fewer than 2 trips on average.
 *  Plain top-level functions over a fixed-shape key object so the JIT inlines them into apply(). */
interface Feistel { W: number; rb: number; lm: number; rm: number; k0: number; k1: number; k2: number; k3: number }

function feistel(W: number, rng: () => number): Feistel {
  let m = 1;
  while (2 ** m < W) m++;
  const lb = m >>> 1, rb = m - lb;
  return { W, rb, lm: (1 << lb) - 1, rm: (1 << rb) - 1, k0: rng() | 0, k1: rng() | 0, k2: rng() | 0, k3: rng() | 0 };
}

function fwd(f: Feistel, j: number): number {
  const rb = f.rb, lm = f.lm, rm = f.rm;
  do {
    let L = j >>> rb, R = j & rm;
    L = (L ^ mix(R, f.k0)) & lm; R = (R ^ mix(L, f.k1)) & rm;
    L = (L ^ mix(R, f.k2)) & lm; R = (R ^ mix(L, f.k3)) & rm;
    j = (L << rb) | R; // m <= 31 bits
  } while (j >= f.W);
  return j;
}

function inv(f: Feistel, j: number): number {
  const rb = f.rb, lm = f.lm, rm = f.rm;
  do {
    let L = j >>> rb, R = j & rm;
    R = (R ^ mix(L, f.k3)) & rm; L = (L ^ mix(R, f.k2)) & lm;
    R = (R ^ mix(L, f.k1)) & rm; L = (L ^ mix(R, f.k0)) & lm;
    j = (L << rb) | R;
  } while (j >= f.W);
  return j;
}

/** The shuffle of a pass whose two blocks are the halves of the key (k = N/2: the BICONF-like
 *  passes of yanetal / option 7 / option 8). A block of N/2 bits only has to be a random half of
 *  the key; its binary search finds the one error wherever the bits sit, so under 'fast' these
 *  passes take a uniformly random half of the *column words* (32x32 transpose of every group of
 *  32 source words, no permutation) kept in order, then the other half: a transpose sweep and a
 *  sequential split instead of two word permutations (most passes of those variants are such
 *  passes). Not the source words themselves: the 'fast' shuffles send the bits of one source
 *  word to one row of one transpose group, so two words with two errors each at matching bit
 *  distances can hide in both small-block passes, and whole-word halves never part them (seen:
 *  3 such 4-error frames in 1500 at 128 kbit, option 7, 3 %). Two bits of one column word are
 *  bit c of two words of one source group, a relation the 'fast' shuffles do not preserve. */
export function passShuffle(kind: ShuffleKind, size: number, blockSize: number, seed: number): BitShuffle {
  return kind === 'fast' && 2 * blockSize === size ? createHalfSplit(size, seed) : createShuffle(kind, size, seed);
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Position of the r-th (0-based) set bit of m. */
function selectBit(m: number, r: number): number {
  for (; r > 0; r--) m &= m - 1;
  return 31 - Math.clz32(m & -m);
}

export function createHalfSplit(size: number, seed: number): BitShuffle {
  if (size % PAD !== 0) throw new RangeError(`shuffle size ${size} is not a multiple of ${PAD}`);
  const rng = xoshiro128(seed);
  const W = size >>> 5, H = W >>> 1, M = W >>> 5; // W is a multiple of 32 (PAD)
  // mask bit w = word w goes to the first half: a fair coin per word, then uniformly random words
  // dropped (or added) until exactly H are in. The coins are exchangeable, so the result is
  // uniform among the subsets of size H.
  const mask = new Uint32Array(M);
  let c = 0;
  for (let i = 0; i < M; i++) { const m = rng(); mask[i] = m; c += popcount32(m); }
  while (c !== H) {
    const w = (rng() * W * 2.3283064365386963e-10) | 0, bit = 1 << (w & 31), set = (mask[w >>> 5] & bit) !== 0;
    if (set === c > H) { mask[w >>> 5] ^= bit; c += set ? -1 : 1; }
  }
  // rank[i] = words chosen among words [0, 32 i)
  const rank = new Uint32Array(M + 1);
  for (let i = 0; i < M; i++) rank[i + 1] = rank[i] + popcount32(mask[i]);
  return {
    size,
    apply(src) {
      // the split works on "column words": word 32 g + c holds bit c of the 32 source words of
      // group g (a 32x32 transpose per group), so the bits of one source word part ways
      const tmp = scratchWords(W);
      tmp.set(src.subarray(0, W));
      for (let g = 0; g < W; g += 32) transpose32(tmp, g);
      const out = new Uint32Array(W);
      // walk the set (then the clear) bits of each mask word: no data-dependent branches
      let lo = 0, hi = H;
      for (let i = 0; i < M; i++) {
        const base = i * 32;
        for (let m = mask[i]; m !== 0; m &= m - 1) out[lo++] = tmp[base + 31 - Math.clz32(m & -m)];
        for (let m = ~mask[i]; m !== 0; m &= m - 1) out[hi++] = tmp[base + 31 - Math.clz32(m & -m)];
      }
      return out;
    },
    locate(x) {
      // source bit c of word 32 g + i sits at bit i of column word w = 32 g + c
      const a = x >>> 5, w = a - (a & 31) + (x & 31), i = w >>> 5, b = w & 31, m = mask[i];
      const r = rank[i] + popcount32(m & ((1 << b) - 1)); // b = 0: mask 0
      const j = (m >>> b) & 1 ? r : H + (w - r);
      return j * 32 + (a & 31);
    },
    source(j) {
      const jw = j >>> 5, first = jw < H;
      const r = first ? jw : jw - H; // rank among the chosen (or the other) words
      // largest i with count(i) <= r, count(i) = chosen (or other) words before word 32 i
      let lo = 0, hi = M;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if ((first ? rank[mid] : 32 * mid - rank[mid]) <= r) lo = mid; else hi = mid;
      }
      const m = first ? mask[lo] : ~mask[lo];
      const w = lo * 32 + selectBit(m, r - (first ? rank[lo] : 32 * lo - rank[lo])); // column word
      return (w - (w & 31) + (j & 31)) * 32 + (w & 31);
    },
  };
}
