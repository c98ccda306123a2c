// Wire helpers of the sifting announcements: 0/1 columns packed 32 to a word (LSB first, the
// BitString layout of protocols/bits.ts), and field checks that name the bad field, since these
// messages cross process boundaries once sessions run over NATS.
import type { PpMessage } from './channel.ts';
import { ProtocolError } from './channel.ts';

/** Pack a column of 0/1 values (only the low bit is used). */
export function packFlags(v: ArrayLike<number>, n = v.length): Uint32Array {
  const out = new Uint32Array((n + 31) >>> 5);
  let w = 0, i = 0;
  const q = bytesAsWords(v, n);
  if (q) {
    // 4 flags per 32-bit load: the low bit of byte k moves to bit 28 + k by one product (the
    // cross terms land below bit 24 or above bit 31, without carries)
    for (let b = 0; i + 32 <= n; i += 32, b += 8) {
      let x = 0;
      for (let j = 0; j < 8; j++) x |= (Math.imul(q[b + j] & 0x01010101, 0x10204080) >>> 28) << (j << 2);
      out[w++] = x;
    }
  }
  for (; i + 32 <= n; i += 32) {
    let x = 0;
    for (let j = 0; j < 32; j++) x |= (v[i + j] & 1) << j;
    out[w++] = x;
  }
  if (i < n) { let x = 0; for (let j = 0; i + j < n; j++) x |= (v[i + j] & 1) << j; out[w] = x; }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** A 32-bit view of a word-aligned Uint8Array covering its first floor(n / 4) * 4 bytes, else null. */
function bytesAsWords(v: ArrayLike<number>, n: number): Uint32Array | null {
  if (!LITTLE_ENDIAN || !(v instanceof Uint8Array) || (v.byteOffset & 3) !== 0 || n > v.length) return null;
  return new Uint32Array(v.buffer, v.byteOffset, n >>> 2);
}

/** Four 0/1 bytes (one little-endian u32) from a nibble of flags. */
const SPREAD = Uint32Array.from({ length: 16 }, (_, x) => (x & 1) | (x & 2) << 7 | (x & 4) << 14 | (x & 8) << 21);

/** Unpack n flags (little-endian: four at a time from a nibble table). */
export function unpackFlags(words: Uint32Array, n: number): Uint8Array {
  if (words.length < (n + 31) >>> 5) throw new RangeError(`unpackFlags: ${words.length} words cannot hold ${n} flags`);
  const out = new Uint8Array(n);
  let i = 0;
  if (LITTLE_ENDIAN) {
    const q = new Uint32Array(out.buffer, 0, n >>> 2);
    for (let j = 0; j < q.length; j++) q[j] = SPREAD[(words[j >>> 3]! >>> ((j & 7) << 2)) & 0xf]!;
    i = q.length << 2;
  }
  for (; i < n; i++) out[i] = (words[i >>> 5] >>> (i & 31)) & 1;
  return out;
}

/** Every value of `v` is 0 or 1 (a flag column packFlags carries without loss). */
export function isFlagColumn(v: Uint8Array): boolean {
  const q = bytesAsWords(v, v.length);
  let i = 0;
  if (q) { for (; i < q.length; i++) if (q[i]! & 0xfefefefe) return false; i <<= 2; }
  for (; i < v.length; i++) if (v[i]! > 1) return false;
  return true;
}

/** Pack 2-bit codes (0..3), 16 to a word. */
export function packCodes2(v: ArrayLike<number>, n = v.length): Uint32Array {
  const out = new Uint32Array((n + 15) >>> 4);
  let i = 0;
  const q = bytesAsWords(v, n);
  if (q) {
    // 4 codes per 32-bit load: byte k's low two bits move to bits 24 + 2k by one product
    for (let b = 0; i + 16 <= n; i += 16, b += 4) {
      out[i >>> 4] = (Math.imul(q[b] & 0x03030303, 0x01041040) >>> 24) | ((Math.imul(q[b + 1] & 0x03030303, 0x01041040) >>> 24) << 8)
        | ((Math.imul(q[b + 2] & 0x03030303, 0x01041040) >>> 24) << 16) | ((Math.imul(q[b + 3] & 0x03030303, 0x01041040) >>> 24) << 24);
    }
  }
  for (; i < n; i++) out[i >>> 4] |= (v[i] & 3) << ((i & 15) << 1);
  return out;
}

export function unpackCodes2(words: Uint32Array, n: number): Uint8Array {
  if (words.length < (n + 15) >>> 4) throw new RangeError(`unpackCodes2: ${words.length} words cannot hold ${n} codes`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (words[i >>> 4] >>> ((i & 15) << 1)) & 3;
  return out;
}

export function fieldOf<T>(msg: PpMessage, name: string, ok: (v: unknown) => boolean, what: string): T {
  const v = msg[name];
  if (!ok(v)) throw new ProtocolError(`${msg.type}: field '${name}' must be ${what}`);
  return v as T;
}
export const isU32 = (v: unknown): boolean => v instanceof Uint32Array;
export const isNat = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
export const isNatArray = (len: number) => (v: unknown): boolean => Array.isArray(v) && v.length === len && v.every(isNat);

/** Why a session stopped without a key; both halves throw it with the same reason. */
export class SessionAbort extends Error {
  constructor(readonly stage: string, reason: string) { super(`${stage}: ${reason}`); this.name = 'SessionAbort'; }
}

/** decodeDeltas for a received message: a malformed column is named by message and field. */
export function decodeGaps(b: Uint8Array, n: number, type: string): Uint32Array {
  try { return decodeDeltas(b, n); } catch (e) { throw new ProtocolError(`${type}: field 'deltas': ${(e as Error).message}`); }
}

/** Slot deltas as LEB128 varints (7 bits a byte, high bit = more): the gaps between clicks are
 *  mostly < 128 on a metro link, so an announcement costs ~1 byte per click instead of 4. */
export function encodeDeltas(d: Uint32Array): Uint8Array {
  if (scratch.length < d.length * 5) scratch = new Uint8Array(d.length * 5);
  const out = scratch;
  let k = 0;
  for (let i = 0; i < d.length; i++) {
    let v = d[i];
    if (v < 0x4000) { // one or two bytes (nearly every gap), without a data-dependent branch
      const more = (v + 0x3f80) >>> 14; // 1 when v >= 0x80
      out[k] = (v & 0x7f) | (more << 7); out[k + 1] = v >>> 7; k += 1 + more;
      continue;
    }
    while (v >= 0x80) { out[k++] = (v & 0x7f) | 0x80; v >>>= 7; }
    out[k++] = v;
  }
  return out.slice(0, k);
}
// encodeDeltas' working buffer (grown to the largest frame; the result is a copy)
let scratch = new Uint8Array(0);

/** Inverse of encodeDeltas; throws on truncated or overlong input. */
export function decodeDeltas(b: Uint8Array, n: number): Uint32Array {
  const out = new Uint32Array(n);
  const len = b.length;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (k >= len) throw new RangeError(`decodeDeltas: input ends after ${i} of ${n} deltas`);
    let byte = b[k++];
    if (byte < 0x80) { out[i] = byte; continue; } // one-byte fast path (most gaps)
    let v = byte & 0x7f, shift = 7;
    for (;;) {
      if (k >= len) throw new RangeError(`decodeDeltas: input ends after ${i} of ${n} deltas`);
      byte = b[k++];
      if (shift === 28 && byte > 0x0f) throw new RangeError('decodeDeltas: delta exceeds 32 bits');
      v = (v | ((byte & 0x7f) << shift)) >>> 0;
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 28) throw new RangeError('decodeDeltas: delta exceeds 32 bits');
    }
    out[i] = v;
  }
  if (k !== len) throw new RangeError(`decodeDeltas: ${len - k} trailing bytes`);
  return out;
}
