// Uniformly random irreducible polynomials of degree n over GF(2), as the minimal polynomial of a
// uniformly random field element. Same distribution as the spec's rejection sampling (draw, test
// with Ben-Or, repeat): every irreducible p of degree n has exactly n roots in GF(2^n), and the
// elements of GF(2^n) outside its proper subfields are exactly the roots of those polynomials,
// so the minimal polynomial of a uniform element, conditioned on having degree n, is uniform over
// them (Lidl & Niederreiter, "Finite Fields", Thm. 3.33 and Sec. 3.2). Cost: 2n multiplications in
// GF(2^n) (3 sqrt(2n) of them with baby-step giant-step) and one Berlekamp–Massey run, instead of
// ~n/4 Ben-Or tests; no random running time.
//
// Sequence: s_k = L(alpha^k) with L = constant coefficient (a nonzero linear functional). s obeys
// the recurrence of m = minpoly(alpha); since m is irreducible and s is not all zero (the powers of
// alpha span GF(2^n) when deg m = n), the minimal polynomial of s is m, which Berlekamp–Massey
// (J. L. Massey, IEEE Trans. Inf. Theory 15, 122 (1969)) recovers from 2 deg(m) terms.
import type { BitString } from '../bits.ts';
import { clearTail, zeros } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { type IrreducibleDraw, polyFromLow, randomIrreducibleBenOr } from './gf2poly.ts';
import { ModReducer, clmul } from './mod-reducer.ts';
import { popcount32 } from '../bits.ts';

/** A fixed irreducible modulus per degree to represent GF(2^n). It need not be secret: it is drawn
 *  once from a fixed seed so that every process uses the same one. */
const moduli = new Map<number, ModReducer>();
function fieldOfDegree(n: number): ModReducer {
  let red = moduli.get(n);
  if (!red) {
    red = new ModReducer(polyFromLow(randomIrreducibleBenOr(n, createRng(`hetqn/gf2-field/${n}`)).low));
    moduli.set(n, red);
  }
  return red;
}

/** Uniformly random monic irreducible polynomial of degree n (spec step 1 of OTUH-QDS). */
export function randomIrreducible(n: number, rng: Rng): IrreducibleDraw {
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`randomIrreducible: degree must be an integer >= 2, got ${n}`);
  const field = fieldOfDegree(n);
  for (let tries = 1; ; tries++) {
    const alpha = new Uint32Array(field.words);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rng.nextUint32();
    if (n & 31) alpha[alpha.length - 1] &= (1 << (n & 31)) - 1;
    const seq = constantTermSequence(field, alpha, 2 * n);
    const m = berlekampMassey(seq);
    if (m.degree === n) return { low: m.low, tries };
  }
}

/** s_k = constant coefficient of alpha^k mod f, k < count, by baby-step giant-step (Shoup's power
 *  projection, "Fast construction of irreducible polynomials over finite fields", J. Symb. Comput.
 *  17, 371 (1994)): with tau_e = const(x^e mod f), const(u v mod f) = sum_a u_a h_a where
 *  h_a = sum_b tau_(a+b) v_b, a Hankel product computed as one carry-less multiplication. So with
 *  r ~ sqrt(count), s_(jr+i) = <gamma^j, h(alpha^i)>, gamma = alpha^r: about 3 sqrt(count)
 *  multiplications instead of count. */
export function constantTermSequence(field: ModReducer, alpha: Uint32Array, count: number): Uint8Array {
  const n = field.n, W = field.words;
  // tau as a polynomial T(x) = sum_e tau_e x^e, e = 0..2n-2.
  const T = new Uint32Array(((2 * n - 1) + 31) >>> 5);
  const t = new Uint32Array(W); t[0] = 1;
  for (let e = 0; e <= 2 * n - 2; e++) {
    if (t[0] & 1) T[e >>> 5] |= 1 << (e & 31);
    field.mulX(t);
  }
  const r = Math.max(1, Math.ceil(Math.sqrt(count)));
  const times = field.multiplier(alpha);
  // Baby steps: h_i = Hankel(tau) alpha^i = bits [n-1, 2n-1) of T(x) * reverse_n(alpha^i)(x).
  const H: Uint32Array[] = [];
  let v: Uint32Array = new Uint32Array(W); v[0] = 1;
  for (let i = 0; i < r; i++) {
    const rev = new Uint32Array(W);
    for (let b = 0; b < n; b++) if ((v[b >>> 5] >>> (b & 31)) & 1) { const c = n - 1 - b; rev[c >>> 5] |= 1 << (c & 31); }
    H.push(bitRange(clmul(T, rev), n - 1, n));
    v = times(v);
  }
  const gamma = v; // alpha^r
  const toGamma = field.multiplier(gamma);
  const seq = new Uint8Array(count);
  let g: Uint32Array = new Uint32Array(W); g[0] = 1;
  for (let j = 0; j * r < count; j++) {
    for (let i = 0; i < r && j * r + i < count; i++) {
      const h = H[i];
      let acc = 0;
      for (let w = 0; w < W; w++) acc ^= g[w] & h[w];
      seq[j * r + i] = popcount32(acc) & 1;
    }
    g = toGamma(g);
  }
  return seq;
}

/** Bits [start, start + len) of a as a new word array. */
function bitRange(a: Uint32Array, start: number, len: number): Uint32Array {
  const out = new Uint32Array((len + 31) >>> 5);
  const ws = start >>> 5, bs = start & 31;
  for (let i = 0; i < out.length; i++) {
    const lo = (a[ws + i] ?? 0) >>> bs;
    const hi = bs !== 0 ? (a[ws + i + 1] ?? 0) << (32 - bs) : 0;
    out[i] = (lo | hi) >>> 0;
  }
  if (len & 31) out[out.length - 1] &= (1 << (len & 31)) - 1;
  return out;
}

/** Berlekamp–Massey over GF(2): the minimal polynomial x^L + c_1 x^(L-1) + ... + c_L of a sequence,
 *  returned as its degree L and its L low coefficients. Bit-packed: the window s_k, s_(k-1), ... is a
 *  shift register R (bit i = s_(k-i)), so each discrepancy is the parity of C & R. */
export function berlekampMassey(s: ArrayLike<number>): { degree: number; low: BitString } {
  const N = s.length;
  const Wn = ((N + 1) >>> 5) + 2;
  let C = new Uint32Array(Wn), B = new Uint32Array(Wn);
  const R = new Uint32Array(Wn);
  C[0] = 1; B[0] = 1;
  let L = 0, m = 1;
  for (let k = 0; k < N; k++) {
    const top = Math.min(Wn - 1, (k >>> 5) + 1);
    for (let w = top; w > 0; w--) R[w] = (R[w] << 1) | (R[w - 1] >>> 31);
    R[0] = (R[0] << 1) | (s[k] & 1);
    let acc = 0;
    for (let w = 0, lw = (L >>> 5); w <= lw; w++) acc ^= C[w] & R[w];
    if ((popcount32(acc) & 1) === 0) { m++; continue; }
    if (2 * L <= k) {
      const T = C.slice();
      xorShiftedInto(C, B, m);
      L = k + 1 - L; B = T; m = 1;
    } else {
      xorShiftedInto(C, B, m);
      m++;
    }
  }
  // Minimal polynomial = reciprocal of C: coefficient of x^(L-i) is c_i.
  const low = zeros(L);
  for (let i = 1; i <= L; i++) if ((C[i >>> 5] >>> (i & 31)) & 1) low.words[(L - i) >>> 5] |= 1 << ((L - i) & 31);
  return { degree: L, low: clearTail(low) };
}

/** c ^= b * x^shift, dropping what falls past c's end. */
function xorShiftedInto(c: Uint32Array, b: Uint32Array, shift: number): void {
  const ws = shift >>> 5, bs = shift & 31;
  for (let i = 0; i + ws < c.length; i++) {
    const w = b[i];
    if (w === 0) continue;
    c[i + ws] ^= w << bs;
    if (bs !== 0 && i + ws + 1 < c.length) c[i + ws + 1] ^= w >>> (32 - bs);
  }
}
