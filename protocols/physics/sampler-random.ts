// Exact discrete samplers the detection-event sampler is built on. "Exact" means: the only
// deviation from the target distribution is double rounding in the probabilities themselves
// (no normal or Poisson approximations), for n up to 2^53 (1e12-pulse runs) and p down to 1e-12.
//
// - binomial: inversion (sequential search from 0) when n·min(p,q) < 10, else Hörmann's
//   BTRS transformed rejection with squeeze (W. Hörmann, "The generation of binomial random
//   variates", J. Statist. Comput. Simul. 46, 101-110 (1993), Algorithm BTRS). The acceptance
//   test log f(k)/f(m) is computed as differences of log-factorials in a cancellation-free form
//   (see lnFactDiff), so it stays accurate at n = 1e12, where the textbook
//   lgamma(n-m+1) - lgamma(n-k+1) would lose ~1e-3 in absolute precision.
// - multinomial: chain of conditional binomials (exact by the chain rule).
// - geometric: inversion G = floor(ln U / ln(1-p)), P(G >= g) = (1-p)^g exactly.
// - categorical: Walker's alias method in Vose's numerically stable construction
//   (M. D. Vose, IEEE TSE 17, 972 (1991)).
import type { Rng } from '../rng.ts';

const MAX_N = 2 ** 53;
const LN_FACT_TABLE_SIZE = 256;
const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln k! for k < 256, summed in double (error ~1e-13 absolute). */
const LN_FACT: Float64Array = (() => {
  const t = new Float64Array(LN_FACT_TABLE_SIZE);
  for (let k = 2; k < LN_FACT_TABLE_SIZE; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();

/** Stirling series remainder of ln x! beyond (x+1/2) ln(x+1) - (x+1) + ln sqrt(2 pi), with z = x+1
 *  (Abramowitz–Stegun 6.1.41); for x >= 255 the first omitted term is < 1e-19. */
function stirlingTail(x: number): number {
  const z = x + 1, z2 = z * z;
  return (1 / 12 - (1 / 360 - 1 / (1260 * z2)) / z2) / z;
}

/** ln x! (x a non-negative integer). */
export function lnFactorial(x: number): number {
  if (x < LN_FACT_TABLE_SIZE) return LN_FACT[x];
  return (x + 0.5) * Math.log(x + 1) - (x + 1) + HALF_LN_2PI + stirlingTail(x);
}

/**
 * ln a! - ln b! without cancellation when a and b are large and close:
 * (a+1/2) ln(a+1) - (b+1/2) ln(b+1) = (a+1/2) log1p((a-b)/(b+1)) + (a-b) ln(b+1), and a-b is exact.
 */
export function lnFactDiff(a: number, b: number): number {
  if (a === b) return 0;
  if (a < LN_FACT_TABLE_SIZE || b < LN_FACT_TABLE_SIZE) return lnFactorial(a) - lnFactorial(b);
  const d = a - b;
  return (a + 0.5) * Math.log1p(d / (b + 1)) + d * (Math.log(b + 1) - 1) + stirlingTail(a) - stirlingTail(b);
}

/** ln [f(k) / f(m)] for the Binomial(n, p) pmf f, lpq = ln(p/q). */
export function binomialLogPmfRatio(n: number, k: number, m: number, lpq: number): number {
  return lnFactDiff(m, k) + lnFactDiff(n - m, n - k) + (k - m) * lpq;
}

function checkN(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_N) throw new RangeError(`${who}: n must be an integer in [0, 2^53], got ${n}`);
}

/** Binomial(n, p) variate, exact (see header). */
export function sampleBinomial(rng: Rng, n: number, p: number): number {
  checkN(n, 'sampleBinomial');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`sampleBinomial: p must be in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomialSmallP(rng, n, 1 - p);
  return binomialSmallP(rng, n, p);
}

function binomialSmallP(rng: Rng, n: number, p: number): number {
  return n * p < 10 ? binomialInversion(rng, n, p) : binomialBtrs(rng, n, p);
}

/** Sequential inversion from k = 0; mean < 10 so q^n >= e^{-10.5} never underflows and the
 *  expected number of steps is n p + 1. A walk that runs off the tail through rounding restarts. */
function binomialInversion(rng: Rng, n: number, p: number): number {
  const s = p / (1 - p);
  const f0 = Math.exp(n * Math.log1p(-p));
  for (;;) {
    let u = rng.nextDouble();
    let k = 0, f = f0;
    while (u >= f) {
      u -= f;
      k++;
      if (k > n) break;
      f *= (s * (n - k + 1)) / k;
      if (f === 0) { k = n + 1; break; }
    }
    if (k <= n) return k;
  }
}

/** Hörmann 1993, Algorithm BTRS (valid for n p >= 10, p <= 1/2). */
function binomialBtrs(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * spq;
  const vr = 0.92 - 4.2 / b;
  const m = Math.floor((n + 1) * p);
  const lpq = Math.log(p / q);
  for (;;) {
    const u = rng.nextDouble() - 0.5;
    let v = rng.nextDouble();
    const us = 0.5 - Math.abs(u);
    if (us === 0) continue;
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (!(k >= 0 && k <= n)) continue;
    if (us >= 0.07 && v <= vr) return k;
    if (v === 0) return k; // log(0) = -inf accepts
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= binomialLogPmfRatio(n, k, m, lpq)) return k;
  }
}

/** Multinomial(n; probs) by conditional binomials. probs need not sum to 1: the remainder
 *  1 - sum is an implicit last category that is not returned (e.g. "no click"). */
export function sampleMultinomial(rng: Rng, n: number, probs: ArrayLike<number>): Float64Array {
  checkN(n, 'sampleMultinomial');
  const out = new Float64Array(probs.length);
  let left = n, rest = 1;
  for (let i = 0; i < probs.length && left > 0; i++) {
    const pi = probs[i];
    if (!(pi >= 0)) throw new RangeError(`sampleMultinomial: probs[${i}] must be >= 0, got ${pi}`);
    if (rest <= 0) break;
    const c = Math.min(1, pi / rest);
    const k = sampleBinomial(rng, left, c);
    out[i] = k;
    left -= k;
    rest -= pi;
  }
  return out;
}

/** Failures before the first success of Bernoulli(p) trials: P(G >= g) = (1-p)^g. */
export function sampleGeometric(rng: Rng, p: number): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`sampleGeometric: p must be in (0, 1], got ${p}`);
  if (p === 1) return 0;
  return Math.floor(Math.log(1 - rng.nextDouble()) / Math.log1p(-p));
}

/** Walker alias table over outcomes 0..n-1 with the given (unnormalised) weights. */
export class AliasTable {
  readonly size: number;
  /** Public for inlined hot loops: pick i = floor(u n); keep i if frac < threshold[i], else alias[i]. */
  readonly threshold: Float64Array;
  readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError('AliasTable: no outcomes');
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weights[i] >= 0) || !Number.isFinite(weights[i])) throw new RangeError(`AliasTable: weight ${i} must be finite and >= 0, got ${weights[i]}`);
      total += weights[i];
    }
    if (!(total > 0)) throw new RangeError('AliasTable: all weights are zero');
    this.size = n;
    this.threshold = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [], large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!, l = large.pop()!;
      this.threshold[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) { this.threshold[i] = 1; this.alias[i] = i; }
    for (const i of small) { this.threshold[i] = 1; this.alias[i] = i; } // rounding leftovers
  }

  /** One outcome from a uniform double u in [0, 1). */
  pick(u: number): number {
    const x = u * this.size;
    const i = x | 0;
    return x - i < this.threshold[i] ? i : this.alias[i];
  }

  sample(rng: Rng): number { return this.pick(rng.nextDouble()); }
}
