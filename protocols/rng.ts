// Seeded, reproducible pseudo-random generator for everything in protocols/.
// xoshiro128** (Blackman & Vigna, 2018): 32-bit state words, fast in JS, period 2^128 - 1.
// Seeds are expanded with splitmix32 so that nearby seeds give unrelated streams.
// This is NOT a QRNG and not cryptographic: real key material (Toeplitz seeds, QDS polynomials
// in production) must come from a Qrng source; protocols take an `Rng` so tests can seed it.

export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number;
  /** Uniform integer in [0, n), n <= 2^32, without modulo bias. */
  nextInt(n: number): number;
  /** Fill a buffer with random bytes. */
  fillBytes(out: Uint8Array): Uint8Array;
  /** An independent child stream, derived deterministically from this one. */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hash a string or number seed to 32 bits (FNV-1a over the UTF-16 code units). */
export function seedToUint32(seed: number | string): number {
  if (typeof seed === 'number') return (Math.floor(seed) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

class Xoshiro128 implements Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number | string) {
    const sm = splitmix32(seedToUint32(seed));
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t; this.d = rotl(this.d, 11);
    return r;
  }
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  nextInt(n: number): number {
    if (!(n > 0 && n <= 2 ** 32)) throw new RangeError(`nextInt: n must be in (0, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) { const x = this.nextUint32(); if (x < limit) return x % n; }
  }
  fillBytes(out: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const x = this.nextUint32();
      out[i] = x; out[i + 1] = x >>> 8; out[i + 2] = x >>> 16; out[i + 3] = x >>> 24;
    }
    if (i < out.length) { let x = this.nextUint32(); for (; i < out.length; i++, x >>>= 8) out[i] = x; }
    return out;
  }
  fork(): Rng { return new Xoshiro128(this.nextUint32() ^ Math.imul(this.nextUint32(), 0x27d4eb2d)); }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

export function createRng(seed: number | string): Rng { return new Xoshiro128(seed); }
