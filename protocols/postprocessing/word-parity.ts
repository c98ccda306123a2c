// Word-level helpers for bit-packed strings (LSB-first, as protocols/bits.ts):
// parities of arbitrary bit ranges and a 32x32 bit-matrix transpose. Cascade recomputes every
// parity it needs from the packed words with these instead of tracking parities bit by bit.

/** Parity (0/1) of the set bits of a 32-bit word. */
export function parity32(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  return (0x6996 >>> (x & 15)) & 1;
}

/** Parity of bits [start, start + len) of a packed word array. */
export function rangeParity(w: Uint32Array, start: number, len: number): number {
  if (len <= 0) return 0;
  const end = start + len - 1;
  const ws = start >>> 5, we = end >>> 5;
  const ms = 0xffffffff << (start & 31);
  const me = 0xffffffff >>> (31 - (end & 31));
  if (ws === we) return parity32(w[ws] & ms & me);
  let x = w[ws] & ms;
  for (let i = ws + 1; i < we; i++) x ^= w[i];
  x ^= w[we] & me;
  return parity32(x);
}

/** Parities of consecutive blocks [b*k, (b+1)*k) covering bits [0, total), packed LSB-first (block b -> bit b). */
export function blockParities(w: Uint32Array, total: number, k: number): Uint32Array {
  const blocks = Math.ceil(total / k);
  const out = new Uint32Array((blocks + 31) >>> 5);
  for (let b = 0, s = 0; b < blocks; b++, s += k) {
    if (rangeParity(w, s, Math.min(k, total - s))) out[b >>> 5] |= 1 << (b & 31);
  }
  return out;
}

/** In-place transpose of the 32x32 bit matrix a[off..off+32): bit c of word i <-> bit i of word c
 *  (Hacker's Delight 2nd ed., section 7-3, the recursive block-swap transpose, adapted to LSB-first). */
export function transpose32(a: Uint32Array, off: number): void {
  let j = 16, m = 0x0000ffff;
  for (; j !== 0; j >>>= 1, m = (m ^ (m << j)) >>> 0) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[off + k] >>> j) ^ a[off + k + j]) & m;
      a[off + k + j] ^= t;
      a[off + k] ^= t << j;
    }
  }
}

/** Range parities of a packed word array in O(len / 2048 + 128) word reads instead of
 *  O(len / 32): it keeps the XOR of every 64-word chunk, updated on each bit flip. Cascade's
 *  binary searches inside blocks of n/2 bits would otherwise cost O(n) per error found. */
export class ParityIndex {
  // built on the first range() long enough to use it: the small-block passes never do
  private chunks: Uint32Array | null = null;
  constructor(readonly words: Uint32Array) {}
  flip(q: number): void {
    this.words[q >>> 5] ^= 1 << (q & 31);
    if (this.chunks !== null) this.chunks[q >>> 11] ^= 1 << (q & 31);
  }
  range(start: number, len: number): number {
    if (len < 8192) return rangeParity(this.words, start, len);
    let chunks = this.chunks;
    if (chunks === null) {
      const words = this.words;
      chunks = this.chunks = new Uint32Array((words.length + 63) >>> 6);
      for (let i = 0; i < words.length; i++) chunks[i >>> 6] ^= words[i];
    }
    const end = start + len;
    const c0 = Math.ceil(start / 2048), c1 = Math.floor(end / 2048);
    let acc = 0;
    for (let c = c0; c < c1; c++) acc ^= chunks[c];
    return parity32(acc) ^ rangeParity(this.words, start, c0 * 2048 - start) ^ rangeParity(this.words, c1 * 2048, end - c1 * 2048);
  }
}
