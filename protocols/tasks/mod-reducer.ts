// Table-driven reduction modulo a fixed monic polynomial f of degree n over GF(2), 8 bits at a
// time: the state r (degree < n) absorbs one byte c as r <- (r x^8 + c(x) x^n) mod f, i.e.
// r <- (r x^8 mod x^n) xor T[top8(r) xor c], with T[c] = c(x) x^n mod f. This is a CRC with
// generator f (spec: "table-driven reduction, 8 bits at a time"). T is built by linearity from
// the 8 single-bit entries T[2^j] = x^(n+j) mod f: T[c] = T[c without its lowest bit] xor T[lowest bit].
// For n < 8 (only small test polynomials) the byte is absorbed one bit at a time instead.
//
// The same engine reduces a square (degree < 2n) for the irreducibility tests: a = H x^n + L,
// so a mod f = (H x^n mod f) + L = CRC of H's bits + L.

export class ModReducer {
  readonly n: number;
  /** Words of a residue (degree < n). */
  readonly words: number;
  private readonly low: Uint32Array;
  private readonly topMask: number;
  /** 256 entries of `words` words each (empty when n < 8). */
  readonly table: Uint32Array;

  constructor(f: Uint32Array) {
    let n = -1;
    for (let w = f.length - 1; w >= 0 && n < 0; w--) if (f[w] !== 0) n = w * 32 + 31 - Math.clz32(f[w]);
    if (n < 1) throw new RangeError(`ModReducer: modulus must have degree >= 1, got ${n}`);
    this.n = n;
    this.words = (n + 31) >>> 5;
    this.topMask = (n & 31) === 0 ? 0xffffffff : ((1 << (n & 31)) - 1) >>> 0;
    this.low = new Uint32Array(this.words);
    this.low.set(f.subarray(0, this.words));
    this.low[this.words - 1] &= this.topMask; // drop the x^n term (when n is not a word boundary)
    this.table = new Uint32Array(n >= 8 ? 256 * this.words : 0);
    if (n >= 8) this.buildTable();
  }

  private buildTable(): void {
    const W = this.words, T = this.table;
    // single-bit entries: T[1] = x^n mod f = low(f); T[2^(j+1)] = T[2^j] * x mod f
    const t = this.low.slice();
    for (let j = 0; j < 8; j++) {
      T.set(t, (1 << j) * W);
      this.mulX(t);
    }
    for (let c = 3; c < 256; c++) {
      if ((c & (c - 1)) === 0) continue;
      const lsb = c & -c, rest = c ^ lsb;
      for (let i = 0; i < W; i++) T[c * W + i] = T[rest * W + i] ^ T[lsb * W + i];
    }
  }

  /** r <- r * x mod f, in place. */
  mulX(r: Uint32Array): void {
    const W = this.words, n = this.n;
    const carry = (r[(n - 1) >>> 5] >>> ((n - 1) & 31)) & 1;
    for (let i = W - 1; i > 0; i--) r[i] = (r[i] << 1) | (r[i - 1] >>> 31);
    r[0] <<= 1;
    r[W - 1] &= this.topMask;
    if (carry) for (let i = 0; i < W; i++) r[i] ^= this.low[i];
  }

  /** Absorb one byte (bit 7 = highest degree) into the residue r: r <- (r x^8 + c x^n) mod f. */
  feedByte(r: Uint32Array, c: number): void {
    const n = this.n;
    if (n < 8) {
      for (let j = 7; j >= 0; j--) {
        const carry = ((r[0] >>> (n - 1)) & 1) ^ ((c >>> j) & 1);
        r[0] = (r[0] << 1) & this.topMask;
        if (carry) r[0] ^= this.low[0];
      }
      return;
    }
    const W = this.words, pos = n - 8, w = pos >>> 5, sh = pos & 31;
    let top = r[w] >>> sh;
    if (sh > 24) top |= r[w + 1] << (32 - sh);
    const idx = ((top ^ c) & 0xff) * W;
    for (let i = W - 1; i > 0; i--) r[i] = (r[i] << 8) | (r[i - 1] >>> 24);
    r[0] <<= 8;
    r[W - 1] &= this.topMask;
    const T = this.table;
    for (let i = 0; i < W; i++) r[i] ^= T[idx + i];
  }

  /** Absorb a run of bytes (first byte = highest degree). */
  feedBytes(r: Uint32Array, bytes: Uint8Array): void {
    if (this.n < 8) { for (let i = 0; i < bytes.length; i++) this.feedByte(r, bytes[i]); return; }
    // Hot loop of the hash: inline feedByte.
    const W = this.words, pos = this.n - 8, w = pos >>> 5, sh = pos & 31, T = this.table, mask = this.topMask;
    const spans = sh > 24, back = 32 - sh;
    for (let b = 0; b < bytes.length; b++) {
      let top = r[w] >>> sh;
      if (spans) top |= r[w + 1] << back;
      const idx = ((top ^ bytes[b]) & 0xff) * W;
      shiftXor(r, W, mask, T, idx);
    }
  }

  /** a mod f for a of degree < 2n (e.g. a square of a residue). */
  reduce(a: Uint32Array): Uint32Array {
    const n = this.n, W = this.words;
    const r = new Uint32Array(W);
    // H = a >> n, so that its bytes are the chunks to absorb (highest byte first).
    const hw = Math.max(0, a.length - (n >>> 5));
    const H = new Uint32Array(hw);
    const ws = n >>> 5, bs = n & 31;
    for (let i = 0; i < hw; i++) {
      const lo = a[i + ws] >>> bs;
      const hi = bs !== 0 && i + ws + 1 < a.length ? a[i + ws + 1] << (32 - bs) : 0;
      H[i] = (lo | hi) >>> 0;
    }
    const highBits = Math.max(0, Math.min(a.length * 32, 2 * n) - n);
    const chunks = Math.min((highBits + 7) >>> 3, hw * 4);
    if (n < 8) {
      for (let k = chunks - 1; k >= 0; k--) this.feedByte(r, (H[k >>> 2] >>> ((k & 3) * 8)) & 0xff);
    } else {
      const pos = n - 8, w = pos >>> 5, sh = pos & 31, T = this.table, mask = this.topMask;
      const spans = sh > 24, back = 32 - sh;
      for (let k = chunks - 1; k >= 0; k--) {
        let top = r[w] >>> sh;
        if (spans) top |= r[w + 1] << back;
        const idx = ((top ^ (H[k >>> 2] >>> ((k & 3) * 8))) & 0xff) * W;
        shiftXor(r, W, mask, T, idx);
      }
    }
    for (let i = 0; i < W; i++) r[i] ^= a[i] ?? 0;
    r[W - 1] &= this.topMask;
    return r;
  }

  /** a * b mod f for residues a, b: left-to-right comb multiplication with 4-bit windows
   *  (Lopez & Dahab, "High-speed software multiplication in F_2^m", INDOCRYPT 2000), then reduce. */
  mulMod(a: Uint32Array, b: Uint32Array): Uint32Array { return this.multiplier(b)(a); }

  /** a -> a * b mod f with the 16 window multiples of b computed once. */
  multiplier(b: Uint32Array): (a: Uint32Array) => Uint32Array {
    const W = this.words;
    const T = combTable(b, W);
    return (a) => this.reduce(combMultiply(a, W, T, W));
  }

  /** a^2 mod f for a residue a. */
  square(a: Uint32Array): Uint32Array { return this.reduce(square(a)); }
}

/** r <- (r << 8 mod x^n) xor T[idx..idx+W), in one pass from the top word down. */
function shiftXor(r: Uint32Array, W: number, mask: number, T: Uint32Array, idx: number): void {
  if (W === 1) { r[0] = ((r[0] << 8) & mask) ^ T[idx]; return; }
  r[W - 1] = (((r[W - 1] << 8) | (r[W - 2] >>> 24)) & mask) ^ T[idx + W - 1];
  for (let i = W - 2; i > 0; i--) r[i] = ((r[i] << 8) | (r[i - 1] >>> 24)) ^ T[idx + i];
  r[0] = (r[0] << 8) ^ T[idx];
}

/** SPREAD[b] puts bit j of the byte b at bit 2j. */
const SPREAD = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let s = 0;
    for (let j = 0; j < 8; j++) if (b & (1 << j)) s |= 1 << (2 * j);
    t[b] = s;
  }
  return t;
})();

/** Square over GF(2): a(x)^2 = sum a_i x^(2i) (spread the bits). */
export function square(a: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length * 2);
  for (let i = 0; i < a.length; i++) {
    const w = a[i];
    out[2 * i] = (SPREAD[w & 0xff] | (SPREAD[(w >>> 8) & 0xff] << 16)) >>> 0;
    out[2 * i + 1] = (SPREAD[(w >>> 16) & 0xff] | (SPREAD[w >>> 24] << 16)) >>> 0;
  }
  return out;
}

/** Carry-less (GF(2)[x]) product a * b without reduction, by the 4-bit comb on b's multiples. */
export function clmul(a: Uint32Array, b: Uint32Array): Uint32Array {
  return combMultiply(a, a.length, combTable(b, b.length), b.length);
}

/** The comb product of a (its first aWords words) with the b whose window table is T (bWords words):
 *  4 bits of a at a time, from the top nibble of every word down (Lopez & Dahab 2000). */
function combMultiply(a: Uint32Array, aWords: number, T: Uint32Array, bWords: number): Uint32Array {
  const W1 = bWords + 1;
  const C = new Uint32Array(aWords + bWords + 1);
  for (let k = 28; k >= 0; k -= 4) {
    for (let i = 0; i < aWords; i++) {
      const nib = (a[i] >>> k) & 15;
      if (nib === 0) continue;
      const o = nib * W1;
      for (let j = 0; j < W1; j++) C[i + j] ^= T[o + j];
    }
    if (k !== 0) {
      for (let i = C.length - 1; i > 0; i--) C[i] = (C[i] << 4) | (C[i - 1] >>> 28);
      C[0] <<= 4;
    }
  }
  return C;
}

/** The 16 multiples j * b(x), j = 0..15 as 4-bit polynomials, each in words + 1 words (row j at
 *  offset j * (words + 1)): the window table of the comb method. */
function combTable(b: Uint32Array, words: number): Uint32Array {
  const W1 = words + 1;
  const T = new Uint32Array(16 * W1);
  for (let i = 0; i < words; i++) T[W1 + i] = b[i];
  for (let j = 2; j < 16; j++) {
    const o = j * W1;
    if (j & 1) { for (let i = 0; i < W1; i++) T[o + i] = T[o - W1 + i] ^ T[W1 + i]; }
    else {
      const h = (j >>> 1) * W1;
      let carry = 0;
      for (let i = 0; i < W1; i++) { const w = T[h + i]; T[o + i] = (w << 1) | carry; carry = w >>> 31; }
    }
  }
  return T;
}
