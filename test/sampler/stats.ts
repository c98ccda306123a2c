// Test statistics shared by the sampler tests. Every statistical assertion uses a fixed seed and a
// stated false-alarm rate ALPHA per assertion (with a fixed seed the outcome is deterministic; the
// rate says how unlucky a seed would have to be for a correct sampler to fail).
export const ALPHA = 1e-3;
/** Upper standard-normal quantile for ALPHA = 1e-3. */
export const Z_ALPHA = 3.0902;

/** Chi-square critical value at ALPHA by the Wilson–Hilferty cube approximation
 *  (Wilson & Hilferty, PNAS 17, 684 (1931)); accurate to < 1 % for df >= 3. */
export function chi2Critical(df: number, z = Z_ALPHA): number {
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

/** Pearson chi-square of observed vs expected counts (cells with expected < 5 are pooled). */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): { stat: number; df: number } {
  let stat = 0, cells = 0, po = 0, pe = 0;
  for (let i = 0; i < observed.length; i++) {
    if (expected[i] < 5) { po += observed[i]; pe += expected[i]; continue; }
    stat += (observed[i] - expected[i]) ** 2 / expected[i]; cells++;
  }
  if (pe >= 5) { stat += (po - pe) ** 2 / pe; cells++; }
  return { stat, df: cells - 1 };
}

/** Binomial pmf over [lo, hi] by the ratio recurrence f(k+1)/f(k) = (n-k) p / ((k+1) q), normalised
 *  over the window (an independent derivation from the sampler's log-factorial differences). */
export function binomialWindowPmf(n: number, p: number, lo: number, hi: number): Float64Array {
  const q = 1 - p, m = Math.min(hi, Math.max(lo, Math.floor((n + 1) * p)));
  const out = new Float64Array(hi - lo + 1);
  out[m - lo] = 1;
  for (let k = m; k < hi; k++) out[k + 1 - lo] = out[k - lo] * ((n - k) * p) / ((k + 1) * q);
  for (let k = m; k > lo; k--) out[k - 1 - lo] = out[k - lo] * (k * q) / ((n - k + 1) * p);
  let s = 0; for (const v of out) s += v;
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}
