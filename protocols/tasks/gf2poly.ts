// Polynomials over GF(2) packed 32 coefficients to a word, coefficient of x^i at bit i
// (the same LSB-first layout as BitString). Used by QDS (OTUH) to draw the secret
// irreducible generator p(x) and to check it on the verifying side.
//
// Irreducibility tests:
//  - Ben-Or (M. Ben-Or, "Probabilistic algorithms in finite fields", FOCS 1981): f of degree n
//    is irreducible iff gcd(f, x^(2^i) - x mod f) = 1 for i = 1..floor(n/2). Aborts at the first
//    small factor, so random candidates are rejected cheaply; used to generate.
//  - Rabin (M. O. Rabin, "Probabilistic algorithms in finite fields", SIAM J. Comput. 9, 1980):
//    f is irreducible iff x^(2^n) = x mod f and gcd(f, x^(2^(n/q)) - x) = 1 for every prime q | n.
//    Used as an independent cross-check in tests.
import type { BitString } from '../bits.ts';
import { clearTail, popcount32, zeros } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { ModReducer } from './mod-reducer.ts';

/** A polynomial: coefficient of x^i at bit i of the words. Trailing zero words are allowed. */
export type Poly = Uint32Array;

/** Degree of a (the highest set bit), -1 for the zero polynomial. Scans down from word `fromWord`. */
export function degree(a: Poly, fromWord = a.length - 1): number {
  for (let w = Math.min(fromWord, a.length - 1); w >= 0; w--) {
    if (a[w] !== 0) return w * 32 + 31 - Math.clz32(a[w]);
  }
  return -1;
}

/** The monic degree-n polynomial x^n + low(x), with low given as its n low coefficients. */
export function polyFromLow(low: BitString): Poly {
  const n = low.length;
  const out = new Uint32Array(((n + 1) + 31) >>> 5);
  out.set(low.words.subarray(0, Math.min(low.words.length, out.length)));
  out[n >>> 5] |= 1 << (n & 31);
  return out;
}

/** a ^= b * x^shift, touching only the words b occupies up to degree degB. a must be long enough. */
export function xorShifted(a: Poly, b: Poly, shift: number, degB: number): void {
  const ws = shift >>> 5, bs = shift & 31, nb = (degB >>> 5) + 1;
  if (bs === 0) {
    for (let i = 0; i < nb; i++) a[i + ws] ^= b[i];
    return;
  }
  const inv = 32 - bs;
  for (let i = 0; i < nb; i++) {
    const w = b[i];
    a[i + ws] ^= w << bs;
    if (i + ws + 1 < a.length) a[i + ws + 1] ^= w >>> inv;
  }
}

/** gcd(a, b) by the Euclidean algorithm with shift-and-xor reduction (inputs are not modified).
 *  The xor of v * x^s into u is inlined: this loop is most of the cost of Ben-Or. */
export function gcd(a: Poly, b: Poly): Poly {
  const len = Math.max(a.length, b.length) + 1;
  let u = new Uint32Array(len); u.set(a);
  let v = new Uint32Array(len); v.set(b);
  let du = degree(u), dv = degree(v);
  while (dv >= 0) {
    const nbv = (dv >>> 5) + 1;
    while (du >= dv) {
      const s = du - dv, ws = s >>> 5, bs = s & 31;
      if (bs === 0) {
        for (let i = 0; i < nbv; i++) u[i + ws] ^= v[i];
      } else {
        const inv = 32 - bs;
        let carry = 0;
        for (let i = 0; i < nbv; i++) { const w = v[i]; u[i + ws] ^= (w << bs) | carry; carry = w >>> inv; }
        u[nbv + ws] ^= carry;
      }
      let w = du >>> 5;
      while (w >= 0 && u[w] === 0) w--;
      du = w < 0 ? -1 : w * 32 + 31 - Math.clz32(u[w]);
    }
    const t = u; u = v; v = t;
    const td = du; du = dv; dv = td;
  }
  return u;
}

/** True iff gcd(a, b) = 1. */
export function coprime(a: Poly, b: Poly): boolean { return degree(gcd(a, b)) === 0; }

/** a mod f by bitwise long division (the reference the table-driven reducer is checked against). */
export function modBitwise(a: Poly, f: Poly): Poly {
  const n = degree(f);
  if (n < 0) throw new RangeError('modBitwise: division by the zero polynomial');
  const r = new Uint32Array(Math.max(a.length, f.length)); r.set(a);
  let d = degree(r);
  while (d >= n) {
    xorShifted(r, f, d - n, n);
    d = degree(r, d >>> 5);
  }
  return r.slice(0, ((n + 31) >>> 5) || 1);
}

export { square } from './mod-reducer.ts';

/** Product a*b (schoolbook shift-and-xor; only used off the hot path). */
export function multiply(a: Poly, b: Poly): Poly {
  const da = degree(a), db = degree(b);
  const out = new Uint32Array(Math.max(1, ((da + db + 1) >>> 5) + 1));
  if (da < 0 || db < 0) return out;
  for (let i = 0; i <= da; i++) if ((a[i >>> 5] >>> (i & 31)) & 1) xorShifted(out, b, i, db);
  return out;
}

/** x as a polynomial with room for `words` words. */
function xPoly(words: number): Poly { const p = new Uint32Array(words); p[0] = 2; return p; }

/** Ben-Or irreducibility test for f of degree n >= 1. While 2^i < n, x^(2^i) mod f is the
 *  monomial itself, so the reduction table is only built for candidates that survive those steps. */
export function isIrreducibleBenOr(f: Poly): boolean {
  const n = degree(f);
  if (n < 1) return false;
  if (n === 1) return true;
  if ((f[0] & 1) === 0) return false; // x divides f
  const words = (n + 31) >>> 5;
  let i = 1;
  for (; i <= n >>> 1 && 2 ** i < n; i++) {
    const t = new Uint32Array(words);
    t[2 ** i >>> 5] = 1 << (2 ** i & 31);
    t[0] ^= 2;                      // x^(2^i) - x
    if (!coprime(f, t)) return false;
  }
  if (i > n >>> 1) return true;
  const red = new ModReducer(f);
  let u: Uint32Array = new Uint32Array(red.words);
  const e = 2 ** (i - 1);           // < n: x^(2^(i-1)) is still a monomial
  u[e >>> 5] = 1 << (e & 31);
  // Dense steps: gcd(f, prod_i (x^(2^i) - x)) = 1 iff every factor is coprime to f, so one gcd per
  // block of BEN_OR_BLOCK steps replaces a gcd per step (a product mod f is cheaper than a gcd).
  let acc: Uint32Array | undefined;
  let inBlock = 0;
  for (; i <= n >>> 1; i++) {
    u = red.square(u);              // u = x^(2^i) mod f
    const t = u.slice(); t[0] ^= 2; // x^(2^i) - x
    acc = acc === undefined ? t : red.mulMod(acc, t);
    if (++inBlock === BEN_OR_BLOCK || i === n >>> 1) {
      if (!coprime(f, acc)) return false;
      acc = undefined; inBlock = 0;
    }
  }
  return true;
}

/** Ben-Or steps per gcd once x^(2^i) mod f is dense. */
const BEN_OR_BLOCK = 8;

/** Rabin irreducibility test for f of degree n >= 1. */
export function isIrreducibleRabin(f: Poly): boolean {
  const n = degree(f);
  if (n < 1) return false;
  if (n === 1) return true;
  const red = new ModReducer(f);
  const primes = primeFactors(n);
  const needed = new Map<number, Poly>(primes.map((q) => [n / q, new Uint32Array(0)]));
  let u: Poly = xPoly(red.words); // x^(2^k) mod f
  for (let k = 1; k <= n; k++) {
    u = red.square(u);
    if (needed.has(k)) needed.set(k, u);
  }
  const xn = u.slice(); xn[0] ^= 2;
  if (degree(xn) >= 0) return false;
  for (const q of primes) {
    const t = needed.get(n / q)!.slice(); t[0] ^= 2;
    if (!coprime(f, t)) return false;
  }
  return true;
}

/** The verifier's test: Ben-Or's cheap monomial steps (they reject most random polynomials,
 *  which have a small factor), then Rabin (n squarings and a few gcds: for an irreducible f it
 *  costs less than Ben-Or's n/2 gcds). */
export function isIrreducible(f: Poly): boolean {
  const n = degree(f);
  if (n < 1) return false;
  if (n === 1) return true;
  if ((f[0] & 1) === 0) return false;
  const words = (n + 31) >>> 5;
  for (let i = 1; i <= n >>> 1 && 2 ** i < n; i++) {
    const t = new Uint32Array(words);
    t[2 ** i >>> 5] = 1 << (2 ** i & 31);
    t[0] ^= 2;
    if (!coprime(f, t)) return false;
  }
  return isIrreducibleRabin(f);
}

export function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; p * p <= n; p++) {
    if (n % p === 0) { out.push(p); while (n % p === 0) n /= p; }
  }
  if (n > 1) out.push(n);
  return out;
}

export interface IrreducibleDraw {
  /** The n low coefficients of p(x) = x^n + low(x) (constant coefficient 1). */
  low: BitString;
  /** Candidates drawn until the first irreducible one (Ben-Or: about n/4 expected, a fraction ~1/n
   *  of monic degree-n polynomials being irreducible and f(0) = f(1) = 1 multiplying it by 4;
   *  minimal polynomials: 1 except with probability < 2^(1-n/2)). */
  tries: number;
}

/** Draw uniformly random monic degree-n polynomials with constant coefficient 1 until one is
 *  irreducible (Ben-Or): spec step 1 of OTUH-QDS as written. irreducible.ts draws from the same
 *  distribution faster; this one builds its field moduli and cross-checks it. */
export function randomIrreducibleBenOr(n: number, rng: Rng): IrreducibleDraw {
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`randomIrreducibleBenOr: degree must be an integer >= 2, got ${n}`);
  const low = zeros(n);
  for (let tries = 1; ; tries++) {
    for (let i = 0; i < low.words.length; i++) low.words[i] = rng.nextUint32();
    clearTail(low);
    low.words[0] |= 1;
    // Every irreducible of degree >= 2 has f(1) = 1 (an odd number of terms). Adding x maps the
    // candidates with f(1) = 0 one-to-one onto those with f(1) = 1, so the candidate stays uniform
    // on that superset of the irreducibles and the accepted p stays uniform among them.
    if (popcountWords(low.words) % 2 === 1) low.words[0] ^= 2; // terms = popcount(low) + 1 (x^n)
    if (isIrreducibleBenOr(polyFromLow(low))) return { low: { length: n, words: low.words.slice() }, tries };
  }
}

function popcountWords(w: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < w.length; i++) c += popcount32(w[i]);
  return c;
}

/** Is x^n + low(x) irreducible (the verifier's check on p' = Sig1 xor X)? */
export function isIrreducibleLow(low: BitString): boolean {
  return low.length >= 1 && isIrreducible(polyFromLow(low));
}
