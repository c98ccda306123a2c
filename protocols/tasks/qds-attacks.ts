// Attacker models against OTUH-QDS, for tests and for malicious QBA behaviours. They act with
// exactly the knowledge the attacker has: its own key strings, what it saw on the wire, and a
// guess for everything else.
import type { BitString } from '../bits.ts';
import { randomBits, xor } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { DivisionHasher } from './division-hash.ts';
import { randomIrreducible } from './irreducible.ts';
import type { QdsKeys, QdsSignature } from './qds.ts';

/** A forwarder (or outsider) fabricates a signature for `message`: it draws its own irreducible
 *  p*, hashes, and encrypts with the key strings it knows xor a guess for the ones it does not. */
export function forgeSignature(message: Uint8Array, knownKeys: QdsKeys, rng: Rng): QdsSignature {
  const n = knownKeys.x.length;
  const { low: p } = randomIrreducible(n, rng);
  const h = new DivisionHasher(p).hash(message);
  const guessX: BitString = randomBits(n, () => rng.nextUint32());
  const guessY: BitString = randomBits(n, () => rng.nextUint32());
  return { sig1: xor(xor(p, knownKeys.x), guessX), sig2: xor(xor(h, knownKeys.y), guessY) };
}

/** Random key strings (a verifier that lies about its keys, or a guess). */
export function randomKeys(n: number, rng: Rng): QdsKeys {
  return { x: randomBits(n, () => rng.nextUint32()), y: randomBits(n, () => rng.nextUint32()) };
}
