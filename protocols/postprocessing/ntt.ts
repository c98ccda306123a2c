// Number-theoretic transform over GF(p), p = 2013265921 = 15 * 2^27 + 1 (primitive root 31),
// so power-of-two lengths up to 2^27 exist. Used for the exact binary convolution behind
// Toeplitz privacy amplification: with 0/1 inputs every convolution value is an integer
// <= min(n, l) < p, so the NTT result *is* the integer convolution, bit for bit.
//
// Modular multiplication without BigInt or 64-bit integers: the quotient q = floor(a b / p) is
// estimated in float64 (absolute error < 2^-20, so after subtracting 2^-18 it is q or q - 1),
// and the remainder a b - q p, which then lies in [0, 2p) < 2^32, is computed exactly modulo
// 2^32 with Math.imul (Montgomery/Barrett-free; cf. the "floating-point quotient" trick of
// Shoup's NTL MulMod).
//
// Forward: decimation in frequency (natural order in, bit-reversed out). Inverse: decimation in
// time (bit-reversed in, natural out). No bit reversal is ever done. Both recurse depth-first
// so that every sub-transform of <= 2^LEAF_LOG elements runs inside the cache.
export const P = 2013265921;
export const G = 31;
export const MAX_LOG = 27;
const PINV = 1 / P;
const EPS = 2 ** -18;

export function mulmod(a: number, b: number): number {
  const q = Math.floor(a * b * PINV - EPS);
  const r = (Math.imul(a, b) - Math.imul(q, P)) >>> 0;
  return r >= P ? r - P : r;
}

export function powmod(b: number, e: number): number {
  let r = 1;
  b %= P;
  while (e > 0) { if (e & 1) r = mulmod(r, b); b = mulmod(b, b); e = Math.floor(e / 2); }
  return r;
}

/** Primitive len-th root of unity (len a power of two <= 2^27). */
export function rootOfUnity(len: number, inverse = false): number {
  const w = powmod(G, (P - 1) / len);
  return inverse ? powmod(w, P - 2) : w;
}

const LEAF_LOG = 14;
const TABLE_LOG = 16; // twiddle tables for levels up to 2^16; bigger levels step the twiddle

let fwdTable: Uint32Array | undefined, invTable: Uint32Array | undefined;
/** T[half + j] = w_{2 half}^j for half = 1, 2, 4, ..., 2^(TABLE_LOG-1). */
function tables(): [Uint32Array, Uint32Array] {
  if (fwdTable && invTable) return [fwdTable, invTable];
  const size = 1 << TABLE_LOG;
  const f = new Uint32Array(size), iv = new Uint32Array(size);
  for (let half = 1; half < size; half *= 2) {
    const w = rootOfUnity(2 * half), wi = rootOfUnity(2 * half, true);
    let x = 1, y = 1;
    for (let j = 0; j < half; j++) { f[half + j] = x; iv[half + j] = y; x = mulmod(x, w); y = mulmod(y, wi); }
  }
  fwdTable = f; invTable = iv;
  return [f, iv];
}

// One DIF level on a[off, off+len), butterflies j in [j0, j1) (j1 <= len/2).
function difLevel(a: Uint32Array, off: number, len: number, j0: number, j1: number): void {
  const half = len >>> 1;
  if (half < 1 << TABLE_LOG) {
    const T = tables()[0];
    for (let j = j0; j < j1; j++) {
      const i = off + j, k = i + half;
      const u = a[i], v = a[k];
      const s = u + v;
      a[i] = s >= P ? s - P : s;
      a[k] = mulmod(u >= v ? u - v : u - v + P, T[half + j]);
    }
  } else {
    const w = rootOfUnity(len);
    let t = powmod(w, j0);
    for (let j = j0; j < j1; j++) {
      const i = off + j, k = i + half;
      const u = a[i], v = a[k];
      const s = u + v;
      a[i] = s >= P ? s - P : s;
      a[k] = mulmod(u >= v ? u - v : u - v + P, t);
      t = mulmod(t, w);
    }
  }
}

// One DIT level (inverse twiddles) on a[off, off+len), butterflies j in [j0, j1).
function ditLevel(a: Uint32Array, off: number, len: number, j0: number, j1: number): void {
  const half = len >>> 1;
  if (half < 1 << TABLE_LOG) {
    const T = tables()[1];
    for (let j = j0; j < j1; j++) {
      const i = off + j, k = i + half;
      const u = a[i], v = mulmod(a[k], T[half + j]);
      const s = u + v;
      a[i] = s >= P ? s - P : s;
      a[k] = u >= v ? u - v : u - v + P;
    }
  } else {
    const w = rootOfUnity(len, true);
    let t = powmod(w, j0);
    for (let j = j0; j < j1; j++) {
      const i = off + j, k = i + half;
      const u = a[i], v = mulmod(a[k], t);
      const s = u + v;
      a[i] = s >= P ? s - P : s;
      a[k] = u >= v ? u - v : u - v + P;
      t = mulmod(t, w);
    }
  }
}

/** Forward NTT of a[off, off+len) in place, output in bit-reversed order. */
export function nttForward(a: Uint32Array, off = 0, len = a.length): void {
  if (len <= 1 << LEAF_LOG) {
    for (let m = len; m >= 2; m >>>= 1) for (let s = off; s < off + len; s += m) difLevel(a, s, m, 0, m >>> 1);
    return;
  }
  difLevel(a, off, len, 0, len >>> 1);
  nttForward(a, off, len >>> 1);
  nttForward(a, off + (len >>> 1), len >>> 1);
}

/** Inverse NTT (without the 1/len factor) of bit-reversed a[off, off+len), output natural. */
export function nttInverse(a: Uint32Array, off = 0, len = a.length): void {
  if (len <= 1 << LEAF_LOG) {
    for (let m = 2; m <= len; m <<= 1) for (let s = off; s < off + len; s += m) ditLevel(a, s, m, 0, m >>> 1);
    return;
  }
  nttInverse(a, off, len >>> 1);
  nttInverse(a, off + (len >>> 1), len >>> 1);
  ditLevel(a, off, len, 0, len >>> 1);
}

// Pieces for splitting one transform between two threads.
export { difLevel as nttForwardLevel, ditLevel as nttInverseLevel };

/** a[i] = a[i] * b[i] * scale mod p for i in [from, to). */
export function pointwise(a: Uint32Array, b: Uint32Array, scale: number, from = 0, to = a.length): void {
  for (let i = from; i < to; i++) a[i] = mulmod(mulmod(a[i], b[i]), scale);
}
