// Where Wegman–Carter authentication takes its one-time key bits from.
// Now: a pre-shared key installed with the node; later: the pair's key pool (Redis), which
// implements the same interface. Bits handed out are never handed out again.
import { type BitString, slice } from '../bits.ts';

export interface AuthKeySource {
  /** The next `bits` unused key bits; throws (or rejects) when the source is exhausted. */
  take(bits: number): BitString | Promise<BitString>;
}

export class KeyExhaustedError extends Error {
  constructor(message: string) { super(message); this.name = 'KeyExhaustedError'; }
}

/** A source that hands out a pre-shared key front to back. Both parties hold the same key and
 *  consume it in the same order, so their takes line up. */
export function preSharedKeySource(key: BitString): AuthKeySource & { readonly remaining: number } {
  let pos = 0;
  return {
    get remaining() { return key.length - pos; },
    take(bits: number): BitString {
      if (!Number.isInteger(bits) || bits < 0) throw new RangeError(`take: bits must be a non-negative integer, got ${bits}`);
      if (pos + bits > key.length) throw new KeyExhaustedError(`pre-shared key exhausted: need ${bits} bits, ${key.length - pos} left`);
      const out = slice(key, pos, bits);
      pos += bits;
      return out;
    },
  };
}
