// Division hashing of a message with a secret irreducible generator: h = M(x) x^n mod p(x)
// (H. Krawczyk, "LFSR-based hashing and authentication", CRYPTO '94; used as the hash of OTUH-QDS,
// spec step 2, and in Li et al., PRApplied 20, 044011 (2023), Sec. III.2.2 "generalized division
// hashing").
//
// Encoding: the hashed polynomial is E = len64 || M, i.e. an 8-byte big-endian byte count
// followed by the message bytes, first byte's most significant bit = highest degree. Without
// the prefix, M and 0x00 || M would be the same polynomial; with it E is injective (the value
// of E as a big-endian number is at least len * 256^len, so longer messages give strictly larger E).
import type { BitString } from '../bits.ts';
import { clearTail, zeros } from '../bits.ts';
import { degree, polyFromLow, xorShifted } from './gf2poly.ts';
import { ModReducer } from './mod-reducer.ts';

/** Length of the prefix, in bytes. */
export const LENGTH_PREFIX_BYTES = 8;

/** Bits of the hashed polynomial for a message of `messageBytes` bytes (the m of the security bound). */
export function encodedMessageBits(messageBytes: number): number { return 8 * (messageBytes + LENGTH_PREFIX_BYTES); }

export function lengthPrefix(messageBytes: number): Uint8Array {
  const out = new Uint8Array(LENGTH_PREFIX_BYTES);
  let v = messageBytes;
  for (let i = LENGTH_PREFIX_BYTES - 1; i >= 0; i--) { out[i] = v % 256; v = Math.floor(v / 256); }
  return out;
}

/** Hashes messages with the generator p(x) = x^n + low(x) through a 256-entry table. Build once
 *  per polynomial; each call to `hash` is one pass over the bytes. */
export class DivisionHasher {
  readonly n: number;
  private readonly reducer: ModReducer;

  constructor(low: BitString) {
    if (low.length < 8) throw new RangeError(`DivisionHasher: degree must be >= 8, got ${low.length}`);
    this.n = low.length;
    this.reducer = new ModReducer(polyFromLow(low));
  }

  /** h = (len64 || message)(x) * x^n mod p(x), as an n-bit string. */
  hash(message: Uint8Array): BitString {
    const r = new Uint32Array(this.reducer.words);
    this.reducer.feedBytes(r, lengthPrefix(message.length));
    this.reducer.feedBytes(r, message);
    return { length: this.n, words: r };
  }

  /** The 256-entry table (entry c at words [c*W, (c+1)*W)), for tests and inspection. */
  get table(): Uint32Array { return this.reducer.table; }
}

/** One-shot hash. */
export function divisionHash(message: Uint8Array, low: BitString): BitString {
  return new DivisionHasher(low).hash(message);
}

/** Reference: the same hash by plain bitwise long division of E(x) x^n by p(x). Slow; tests only. */
export function divisionHashBitwise(message: Uint8Array, low: BitString): BitString {
  const n = low.length;
  const p = polyFromLow(low);
  const e = new Uint8Array(LENGTH_PREFIX_BYTES + message.length);
  e.set(lengthPrefix(message.length));
  e.set(message, LENGTH_PREFIX_BYTES);
  const total = 8 * e.length + n; // degree bound of E(x) x^n
  const a = new Uint32Array(((total + 31) >>> 5) + 1);
  for (let i = 0; i < e.length; i++) {
    for (let j = 0; j < 8; j++) {
      if ((e[i] >>> j) & 1) {
        const deg = n + 8 * (e.length - 1 - i) + j;
        a[deg >>> 5] |= 1 << (deg & 31);
      }
    }
  }
  let d = degree(a);
  while (d >= n) { xorShifted(a, p, d - n, n); d = degree(a, d >>> 5); }
  const out = zeros(n);
  out.words.set(a.subarray(0, out.words.length));
  return clearTail(out);
}
