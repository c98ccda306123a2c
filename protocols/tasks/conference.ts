// Quantum conference key by QKD key delivery (spec "Quantum conference key"): the sponsor draws an
// L-bit K from its QRNG and sends C_i = K xor k_{S,i} to each participant over the public channel,
// k_{S,i} being L fresh bits of the sponsor's pool with participant i (L bits per link). Each
// ciphertext is authenticated: the caller passes the tag function (Wegman–Carter, keyed from the
// same pair's pool), so a participant can tell a tampered K. Pure functions; the conference actor
// withdraws the keys and moves the ciphertexts.
import type { BitString } from '../bits.ts';
import { equals, randomBits, xor } from '../bits.ts';
import type { Rng } from '../rng.ts';
import type { NodeId } from '../types.ts';

/** Tag of a ciphertext on the link sponsor–participant (one-time key material is the caller's business). */
export type TagFn = (participant: NodeId, cipher: BitString) => BitString;

export interface ConferenceCipher {
  readonly participant: NodeId;
  readonly cipher: BitString;
  readonly tag?: BitString;
}

export type ConferenceOpen =
  | { readonly ok: true; readonly key: BitString }
  | { readonly ok: false; readonly reason: 'length' | 'tag' | 'missing-tag' };

/** The conference key K (the sponsor's QRNG draw; here any Rng). */
export function drawConferenceKey(bits: number, rng: Rng): BitString {
  if (!(Number.isInteger(bits) && bits > 0)) throw new RangeError(`drawConferenceKey: bits must be a positive integer, got ${bits}`);
  return randomBits(bits, () => rng.nextUint32());
}

/** Pool bits per link for an L-bit conference key (the one-time pad; tag keys come on top). */
export function conferenceKeyBitsPerLink(bits: number): number { return bits; }

/** Sponsor: one ciphertext (and tag) per participant. */
export function conferenceEncrypt(key: BitString, linkKeys: ReadonlyMap<NodeId, BitString>, tag?: TagFn): ConferenceCipher[] {
  const out: ConferenceCipher[] = [];
  for (const [participant, k] of linkKeys) {
    if (k.length !== key.length) throw new RangeError(`conferenceEncrypt: key with ${participant} has ${k.length} bits, need ${key.length}`);
    const cipher = xor(key, k);
    out.push(tag ? { participant, cipher, tag: tag(participant, cipher) } : { participant, cipher });
  }
  return out;
}

/** Participant: check the tag (when a tag function is given) and decrypt with its link key. */
export function conferenceDecrypt(msg: ConferenceCipher, linkKey: BitString, tag?: TagFn): ConferenceOpen {
  if (msg.cipher.length !== linkKey.length) return { ok: false, reason: 'length' };
  if (tag) {
    if (!msg.tag) return { ok: false, reason: 'missing-tag' };
    if (!equals(tag(msg.participant, msg.cipher), msg.tag)) return { ok: false, reason: 'tag' };
  }
  return { ok: true, key: xor(msg.cipher, linkKey) };
}
