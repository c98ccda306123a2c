// One-time universal hashing QDS (OTUH-QDS), three parties: signer S, forwarder A, verifier B.
// Yin et al., "Experimental quantum secure network with digital signatures and encryption",
// Natl. Sci. Rev. 10, nwac228 (2023); imperfect-key variant: Li et al., "One-time universal hashing
// quantum digital signatures without perfect keys", Phys. Rev. Applied 20, 044011 (2023).
// Spec: docs/reference/quantum-tasks.md, steps 1-6. Pure role functions: the actors move the
// returned objects over authenticated channels and withdraw the keys from the pools.
//
//   S holds (X_A, Y_A) with A and (X_B, Y_B) with B; X = X_A xor X_B, Y = Y_A xor Y_B.
//   sign:     p <- random irreducible of degree n; h = Hash_p(M); Sig = (p xor X, h xor Y).
//   forward:  A -> B: (M, Sig, X_A, Y_A); then B -> A: (X_B, Y_B).
//   verdict:  p' = Sig1 xor X, h' = Sig2 xor Y; accept iff p' irreducible of degree n and Hash_p'(M) = h'.
// Both verdicts are the same function of the same inputs, so they agree (no repudiation).
import type { BitString } from '../bits.ts';
import { equals, slice, xor } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { DivisionHasher, encodedMessageBits } from './division-hash.ts';
import { isIrreducibleLow } from './gf2poly.ts';
import { randomIrreducible } from './irreducible.ts';

export type QdsVariant = 'secret' | 'imperfect';

/** One link's key strings, n bits each. */
export interface QdsKeys { readonly x: BitString; readonly y: BitString }
/** Sig = (p xor X, h xor Y). */
export interface QdsSignature { readonly sig1: BitString; readonly sig2: BitString }
/** What S sends to A. */
export interface QdsSigned { readonly message: Uint8Array; readonly signature: QdsSignature }
/** What A sends to B (spec step 4). */
export interface QdsForwardPackage extends QdsSigned { readonly forwarderKeys: QdsKeys }
export type QdsVerdictReason = 'ok' | 'length' | 'reducible' | 'hash-mismatch';
export interface QdsVerdict { readonly accept: boolean; readonly reason: QdsVerdictReason }

/** String length used by the reference experiment's imperfect-key QDS (Lu et al. 2025; per string). */
export const REFERENCE_IMPERFECT_STRING_BITS = 900;

/** n = ceil(log2 m + 1 + log2(1/eps)) from the forgery bound eps <= m / 2^(n-1) (Yin et al. 2023,
 *  the OTUH security analysis; spec "Security"). m is the bit length of the hashed polynomial. */
export function qdsSecurityDegree(messageBits: number, eps: number): number {
  if (!(messageBits >= 1)) throw new RangeError(`qdsSecurityDegree: messageBits must be >= 1, got ${messageBits}`);
  if (!(eps > 0 && eps < 1)) throw new RangeError(`qdsSecurityDegree: eps must be in (0, 1), got ${eps}`);
  return Math.ceil(Math.log2(messageBits) + 1 + Math.log2(1 / eps));
}

/** Forgery probability bound m / 2^(n-1) for an m-bit hashed polynomial and degree n. */
export function qdsForgeryBound(messageBits: number, n: number): number { return messageBits / 2 ** (n - 1); }

/** Degree n for a message of `messageBytes` bytes (length prefix included in m). */
export function qdsDegreeForMessage(messageBytes: number, eps: number): number {
  return qdsSecurityDegree(encodedMessageBits(messageBytes), eps);
}

/** Length of the imperfect (error-corrected, not privacy-amplified) strings needed when each key
 *  bit carries at least `minEntropyPerBit` bits of smooth min-entropy against the eavesdropper:
 *  the attacker's guessing probability on an L-bit string is <= 2^(-L h), so L h must reach the
 *  secret-key degree n. Li et al. 2023 (Sec. IV.1-IV.2: guessing probability of the attacker,
 *  attacks of guessing keys and of recovering keys from a signature) bound forgery through that
 *  guessing probability; this per-bit rate is our parametrisation of it, not their formula. The
 *  default (qdsStringLength) is the reference experiment's 900-bit strings. */
export function imperfectStringLength(messageBits: number, eps: number, minEntropyPerBit: number): number {
  if (!(minEntropyPerBit > 0 && minEntropyPerBit <= 1)) throw new RangeError(`imperfectStringLength: minEntropyPerBit must be in (0, 1], got ${minEntropyPerBit}`);
  return Math.ceil(qdsSecurityDegree(messageBits, eps) / minEntropyPerBit);
}

export interface QdsLengthOptions {
  /** Message size (bytes) for the secret-key variant's bound. */
  messageBytes: number;
  /** Forgery probability target for the secret-key variant (default 1e-10). */
  eps?: number;
  /** String length for the imperfect-key variant (default 900, the reference experiment). */
  imperfectStringBits?: number;
}

/** Length n of each key string (and degree of p) for a variant. */
export function qdsStringLength(variant: QdsVariant, opts: QdsLengthOptions): number {
  if (variant === 'secret') return qdsDegreeForMessage(opts.messageBytes, opts.eps ?? 1e-10);
  const n = opts.imperfectStringBits ?? REFERENCE_IMPERFECT_STRING_BITS;
  if (!(Number.isInteger(n) && n >= 8)) throw new RangeError(`qdsStringLength: imperfectStringBits must be an integer >= 8, got ${n}`);
  return n;
}

/** Key bits withdrawn per link per signature: X and Y, n bits each. */
export function qdsKeyBitsPerLink(variant: QdsVariant, opts: QdsLengthOptions): number {
  return 2 * qdsStringLength(variant, opts);
}

/** Signature rate of a set of links (signatures/s) = min over links of fill rate / bits per signature
 *  (spec "Signature rate of a pair of links"). */
export function signatureRate(links: ReadonlyArray<{ fillRateBitsPerSecond: number; bitsPerSignature: number }>): number {
  if (links.length === 0) throw new RangeError('signatureRate: no links');
  let r = Infinity;
  for (const l of links) {
    if (!(l.bitsPerSignature > 0)) throw new RangeError(`signatureRate: bitsPerSignature must be > 0, got ${l.bitsPerSignature}`);
    r = Math.min(r, l.fillRateBitsPerSecond / l.bitsPerSignature);
  }
  return r;
}

/** Split 2n withdrawn key bits into (X, Y): first n bits X, next n bits Y. Both ends must split alike. */
export function splitKeys(bits: BitString): QdsKeys {
  if (bits.length % 2 !== 0) throw new RangeError(`splitKeys: need an even number of bits, got ${bits.length}`);
  const n = bits.length / 2;
  return { x: slice(bits, 0, n), y: slice(bits, n, n) };
}

function checkKeys(name: string, k: QdsKeys, n: number): void {
  if (k.x.length !== n || k.y.length !== n) throw new RangeError(`${name}: key strings must be ${n} bits, got ${k.x.length}/${k.y.length}`);
}

/** Signer (spec steps 1-3). n is the length of the key strings. */
export function sign(message: Uint8Array, keysWithA: QdsKeys, keysWithB: QdsKeys, rng: Rng): QdsSigned & { tries: number } {
  const n = keysWithA.x.length;
  checkKeys('sign: keysWithA', keysWithA, n);
  checkKeys('sign: keysWithB', keysWithB, n);
  const { low: p, tries } = randomIrreducible(n, rng);
  const h = new DivisionHasher(p).hash(message);
  const X = xor(keysWithA.x, keysWithB.x), Y = xor(keysWithA.y, keysWithB.y);
  return { message, signature: { sig1: xor(p, X), sig2: xor(h, Y) }, tries };
}

/** Forwarder A, step 4: the package A sends to B over the authenticated channel. */
export function forward(signed: QdsSigned, keysA: QdsKeys): QdsForwardPackage {
  return { message: signed.message, signature: signed.signature, forwarderKeys: keysA };
}

/** The common verdict (step 5) given the recombined key strings X, Y. */
export function checkSignature(message: Uint8Array, signature: QdsSignature, x: BitString, y: BitString): QdsVerdict {
  const n = x.length;
  if (n < 8 || y.length !== n || signature.sig1.length !== n || signature.sig2.length !== n) return { accept: false, reason: 'length' };
  const p = xor(signature.sig1, x);
  if ((p.words[0] & 1) === 0 || !isIrreducibleLow(p)) return { accept: false, reason: 'reducible' };
  const h = new DivisionHasher(p).hash(message);
  return equals(h, xor(signature.sig2, y)) ? { accept: true, reason: 'ok' } : { accept: false, reason: 'hash-mismatch' };
}

function combine(a: QdsKeys, b: QdsKeys): { x: BitString; y: BitString } | undefined {
  if (a.x.length !== b.x.length || a.y.length !== b.y.length || a.x.length !== a.y.length) return undefined;
  return { x: xor(a.x, b.x), y: xor(a.y, b.y) };
}

/** Verifier B, step 5: verdict on A's package with B's own keys (B then sends its keys to A). */
export function verify(pkg: QdsForwardPackage, keysB: QdsKeys): QdsVerdict {
  const k = combine(pkg.forwarderKeys, keysB);
  return k ? checkSignature(pkg.message, pkg.signature, k.x, k.y) : { accept: false, reason: 'length' };
}

/** Forwarder A, step 5: verdict on what S sent, once B's keys have arrived. */
export function forwarderVerdict(signed: QdsSigned, keysA: QdsKeys, keysFromB: QdsKeys): QdsVerdict {
  const k = combine(keysA, keysFromB);
  return k ? checkSignature(signed.message, signed.signature, k.x, k.y) : { accept: false, reason: 'length' };
}
