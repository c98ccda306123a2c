// Multiplicative Chernoff bounds for the finite-size analysis of MDI-QKD, in the closed forms of
// Zhang, Zhao, Razavi, Ma, PRA 95, 012333 (2017) (the estimates used with the joint constraints
// of Zhou, Yu, Wang, PRA 93, 042324 (2016), by Wei et al. PRX 10, 031030 (2020) and by Jiang et
// al. PRA 103, 012402 (2021)), as collected in docs/reference/physics-and-keyrates.md, "MDI-QKD". beta = ln(1/eps).
//   expected from observed x:  E_U = x + beta + sqrt(2 beta x + beta^2)
//                              E_L = max(0, x - beta/2 - sqrt(2 beta x + beta^2/4))
//   observed from expected y:  O_U = y + (beta + sqrt(8 beta y + beta^2)) / 2
//                              O_L = max(0, y - sqrt(2 beta y))

export function chernoffBeta(eps: number): number {
  if (!(eps > 0 && eps < 1)) throw new RangeError(`chernoff: eps must be in (0,1), got ${eps}`);
  return Math.log(1 / eps);
}

/** Upper bound on the expectation of a sum of Bernoulli trials whose observed value is x. */
export function expectedUpper(x: number, eps: number): number {
  const b = chernoffBeta(eps);
  const v = Math.max(0, x);
  return v + b + Math.sqrt(2 * b * v + b * b);
}

/** Lower bound on the expectation given the observed value x. */
export function expectedLower(x: number, eps: number): number {
  const b = chernoffBeta(eps);
  const v = Math.max(0, x);
  return Math.max(0, v - b / 2 - Math.sqrt(2 * b * v + (b * b) / 4));
}

/** Upper bound on the observed value of a sum whose expectation is y. */
export function observedUpper(y: number, eps: number): number {
  const b = chernoffBeta(eps);
  const v = Math.max(0, y);
  return v + (b + Math.sqrt(8 * b * v + b * b)) / 2;
}

/** Lower bound on the observed value of a sum whose expectation is y. */
export function observedLower(y: number, eps: number): number {
  const b = chernoffBeta(eps);
  const v = Math.max(0, y);
  return Math.max(0, v - Math.sqrt(2 * b * v));
}

export interface WeightedCount {
  /** Weight a_i >= 0. */
  w: number;
  /** Observed count n_i. */
  n: number;
}

/**
 * Joint constraint (Zhou, Yu, Wang PRA 93, 042324 (2016), Sec. III; docs/reference/physics-and-keyrates.md):
 * a bound on sum_i a_i E[n_i] with 0 <= a_1 <= a_2 <= ... obtained from the nested tail sums,
 *   sum_i a_i E[n_i] = a_1 E[sum_{i>=1} n_i] + (a_2 - a_1) E[sum_{i>=2} n_i] + ...
 * each tail bounded once: tighter than bounding every count separately because the large counts
 * are pooled. `side` chooses E_L (lower) or E_U (upper) for every tail.
 */
export function jointExpectedBound(terms: WeightedCount[], eps: number, side: 'lower' | 'upper'): number {
  const list = terms.filter((t) => t.w > 0).sort((a, b) => a.w - b.w);
  const bound = side === 'lower' ? expectedLower : expectedUpper;
  let total = 0;
  let prevW = 0;
  let tail = list.reduce((s, t) => s + Math.max(0, t.n), 0);
  for (const t of list) {
    const dw = t.w - prevW;
    if (dw > 0) total += dw * bound(tail, eps);
    tail -= Math.max(0, t.n);
    prevW = t.w;
  }
  return total;
}
