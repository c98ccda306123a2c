// Deterministic bounded maximiser shared by every key-rate optimiser (BB84, BBM92, MDI).
// Nelder–Mead (Lagarias et al., SIAM J. Optim. 9, 112 (1998), standard coefficients
// 1, 2, 1/2, 1/2) run in box-normalised coordinates [0,1]^d from several deterministic
// starting points (the caller's, the box centre, a Halton sequence), then polished by
// restarts from the best point with a shrinking simplex. Points are clamped to the box;
// constraint violations and non-finite objective values are mapped to a large finite
// penalty, so the search never sees NaN and the returned point is feasible whenever any
// evaluated point was.

export interface Box { lo: number[]; hi: number[] }

export interface MaximiseOptions {
  /** Extra starting points (in real coordinates). */
  starts?: number[][];
  /** Number of Halton starting points in addition (default 6). */
  haltonStarts?: number;
  /** Inequality constraints g(x) <= 0 (satisfied) on the real coordinates. */
  constraints?: Array<(x: number[]) => number>;
  /** Max objective evaluations in total (default 4000). */
  maxEvals?: number;
  /** Convergence tolerance on the simplex size in normalised coordinates (default 1e-6). */
  tol?: number;
  /** Polishing restarts from the best point (default 3). */
  polish?: number;
}

export interface MaximiseResult {
  x: number[];
  value: number;
  /** True when the returned point satisfies every constraint. */
  feasible: boolean;
  evals: number;
}

const PENALTY = -1e300;

/** The i-th point of the Halton sequence in d dimensions (deterministic quasi-random starts). */
function halton(i: number, d: number): number[] {
  const primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
  const out: number[] = [];
  for (let j = 0; j < d; j++) {
    const b = primes[j % primes.length];
    let f = 1, r = 0, n = i;
    while (n > 0) { f /= b; r += f * (n % b); n = Math.floor(n / b); }
    out.push(r);
  }
  return out;
}

export function maximise(f: (x: number[]) => number, box: Box, opts: MaximiseOptions = {}): MaximiseResult {
  const d = box.lo.length;
  if (box.hi.length !== d || d === 0) throw new RangeError('maximise: box.lo and box.hi must have the same, non-zero length');
  for (let j = 0; j < d; j++) if (!(box.hi[j] >= box.lo[j])) throw new RangeError(`maximise: box.hi[${j}] < box.lo[${j}]`);
  const maxEvals = opts.maxEvals ?? 4000;
  const tol = opts.tol ?? 1e-6;
  const constraints = opts.constraints ?? [];
  const toReal = (u: number[]) => u.map((v, j) => box.lo[j] + Math.min(1, Math.max(0, v)) * (box.hi[j] - box.lo[j]));
  const toUnit = (x: number[]) => x.map((v, j) => (box.hi[j] > box.lo[j] ? (v - box.lo[j]) / (box.hi[j] - box.lo[j]) : 0.5));

  let evals = 0;
  let best: { x: number[]; value: number; feasible: boolean } = { x: toReal(new Array(d).fill(0.5)), value: Number.NEGATIVE_INFINITY, feasible: false };
  // Objective in unit coordinates, always finite; violation gives a graded penalty.
  const g = (u: number[]): number => {
    evals++;
    const x = toReal(u);
    let viol = 0;
    for (const c of constraints) { const v = c(x); viol += Number.isFinite(v) ? Math.max(0, v) : 1; }
    if (viol > 0) return PENALTY * 1e-10 * (1 + viol); // still ordered: smaller violation is better
    let v: number;
    try { v = f(x); } catch { v = Number.NaN; }
    if (!Number.isFinite(v)) return PENALTY * 1e-20;
    if (!best.feasible || v > best.value) best = { x, value: v, feasible: true };
    return v;
  };

  const nelderMead = (u0: number[], step: number, cap: number) => {
    const simplex: number[][] = [u0.slice()];
    for (let j = 0; j < d; j++) {
      const u = u0.slice();
      u[j] = u[j] + step <= 1 ? u[j] + step : u[j] - step;
      simplex.push(u);
    }
    let vals = simplex.map(g);
    while (evals < cap) {
      const order = vals.map((_, i) => i).sort((a, b) => vals[b] - vals[a]);
      const s = order.map(i => simplex[i]);
      vals = order.map(i => vals[i]);
      simplex.splice(0, simplex.length, ...s);
      let size = 0;
      for (let i = 1; i <= d; i++) for (let j = 0; j < d; j++) size = Math.max(size, Math.abs(simplex[i][j] - simplex[0][j]));
      if (size < tol) break;
      const centroid = new Array(d).fill(0);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) centroid[j] += simplex[i][j] / d;
      const worst = simplex[d];
      const at = (t: number) => centroid.map((c, j) => Math.min(1, Math.max(0, c + t * (worst[j] - c))));
      const xr = at(-1), fr = g(xr);
      if (fr > vals[0]) {
        const xe = at(-2), fe = g(xe);
        if (fe > fr) { simplex[d] = xe; vals[d] = fe; } else { simplex[d] = xr; vals[d] = fr; }
      } else if (fr > vals[d - 1]) {
        simplex[d] = xr; vals[d] = fr;
      } else {
        const outside = fr > vals[d];
        const xc = at(outside ? -0.5 : 0.5), fc = g(xc);
        if (fc > (outside ? fr : vals[d])) { simplex[d] = xc; vals[d] = fc; }
        else {
          for (let i = 1; i <= d; i++) {
            simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
            vals[i] = g(simplex[i]);
          }
        }
      }
    }
  };

  const starts: number[][] = [...(opts.starts ?? []).map(toUnit), new Array(d).fill(0.5)];
  for (let i = 1; i <= (opts.haltonStarts ?? 6); i++) starts.push(halton(i, d));
  // Each start gets an equal share of 60 % of the budget; the rest polishes the best point.
  const budgetPerStart = Math.max(d + 2, Math.floor((maxEvals * 0.6) / starts.length));
  for (const s of starts) {
    if (evals >= maxEvals) break;
    nelderMead(s, 0.15, Math.min(maxEvals, evals + budgetPerStart));
  }
  let step = 0.05;
  for (let p = 0; p < (opts.polish ?? 3) && evals < maxEvals; p++, step /= 4) nelderMead(toUnit(best.x), step, maxEvals);

  if (!best.feasible) return { x: toReal(starts[0]), value: Number.NEGATIVE_INFINITY, feasible: false, evals };
  return { x: best.x, value: best.value, feasible: true, evals };
}
