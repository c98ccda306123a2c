// Bit strings packed 32 to a word, bit i at (words[i >>> 5] >>> (i & 31)) & 1 (LSB first).
// Keys, sifted strings, hashes and pool blocks all use this one representation;
// `toBytes`/`fromBytes` give the byte form (bit i of the string = bit (i & 7) of byte i >>> 3)
// that Redis pools and wire frames carry.

export interface BitString {
  readonly length: number;
  readonly words: Uint32Array;
}

export function wordsFor(length: number): number { return (length + 31) >>> 5; }

export function zeros(length: number): BitString {
  return { length, words: new Uint32Array(wordsFor(length)) };
}

export function getBit(s: BitString, i: number): number { return (s.words[i >>> 5] >>> (i & 31)) & 1; }

export function setBit(s: BitString, i: number, v: number): void {
  if (v & 1) s.words[i >>> 5] |= 1 << (i & 31); else s.words[i >>> 5] &= ~(1 << (i & 31));
}

export function flipBit(s: BitString, i: number): void { s.words[i >>> 5] ^= 1 << (i & 31); }

/** Zero the unused high bits of the last word, so whole-word operations stay exact. */
export function clearTail(s: BitString): BitString {
  const r = s.length & 31;
  if (r !== 0) s.words[s.words.length - 1] &= 0xffffffff >>> (32 - r);
  return s;
}

export function fromBits(bits: ArrayLike<number>): BitString {
  const s = zeros(bits.length);
  for (let i = 0; i < bits.length; i++) if (bits[i] & 1) s.words[i >>> 5] |= 1 << (i & 31);
  return s;
}

export function toBits(s: BitString): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = getBit(s, i);
  return out;
}

export function toBytes(s: BitString): Uint8Array {
  const n = (s.length + 7) >>> 3;
  const out = new Uint8Array(n);
  for (let b = 0; b < n; b++) out[b] = (s.words[b >>> 2] >>> ((b & 3) * 8)) & 0xff;
  if (s.length & 7) out[n - 1] &= (1 << (s.length & 7)) - 1;
  return out;
}

export function fromBytes(bytes: Uint8Array, length = bytes.length * 8): BitString {
  if (length > bytes.length * 8) throw new RangeError(`fromBytes: ${length} bits need ${Math.ceil(length / 8)} bytes, got ${bytes.length}`);
  const s = zeros(length);
  const n = (length + 7) >>> 3;
  for (let b = 0; b < n; b++) s.words[b >>> 2] |= bytes[b] << ((b & 3) * 8);
  return clearTail(s);
}

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export function popcount(s: BitString): number {
  let c = 0;
  for (let i = 0; i < s.words.length; i++) c += popcount32(s.words[i]);
  return c;
}

/** a XOR b into a new string (lengths must match). */
export function xor(a: BitString, b: BitString): BitString {
  if (a.length !== b.length) throw new RangeError(`xor: lengths differ (${a.length} vs ${b.length})`);
  const out = zeros(a.length);
  for (let i = 0; i < out.words.length; i++) out.words[i] = a.words[i] ^ b.words[i];
  return out;
}

export function equals(a: BitString, b: BitString): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return false;
  return true;
}

/** Bits [start, start + length) as a new string. */
export function slice(s: BitString, start: number, length: number): BitString {
  if (start < 0 || start + length > s.length) throw new RangeError(`slice: [${start}, ${start + length}) outside 0..${s.length}`);
  const out = zeros(length);
  if ((start & 31) === 0) {
    out.words.set(s.words.subarray(start >>> 5, (start >>> 5) + out.words.length));
  } else {
    const sh = start & 31, w0 = start >>> 5;
    for (let i = 0; i < out.words.length; i++) {
      const lo = s.words[w0 + i] >>> sh;
      const hi = w0 + i + 1 < s.words.length ? s.words[w0 + i + 1] << (32 - sh) : 0;
      out.words[i] = (lo | hi) >>> 0;
    }
  }
  return clearTail(out);
}

/** Concatenate strings in order. */
export function concat(parts: readonly BitString[]): BitString {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = zeros(total);
  let pos = 0;
  for (const p of parts) {
    for (let i = 0; i < p.words.length; i++) {
      const w = p.words[i], at = pos + i * 32, sh = at & 31, wi = at >>> 5;
      out.words[wi] |= w << sh;
      if (sh !== 0 && wi + 1 < out.words.length) out.words[wi + 1] |= w >>> (32 - sh);
    }
    pos += p.length;
    clearTail(out);
  }
  return out;
}

export function randomBits(length: number, next32: () => number): BitString {
  const s = zeros(length);
  for (let i = 0; i < s.words.length; i++) s.words[i] = next32();
  return clearTail(s);
}
