import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { AliasTable, lnFactDiff, sampleBinomial, sampleGeometric, sampleMultinomial } from '../../protocols/physics/sampler-random.ts';
import { GeometricGaps, UniformBlocks } from '../../protocols/physics/sampler-core.ts';
import { ALPHA, binomialWindowPmf, chi2Critical, chiSquare } from './stats.ts';

// Each (n, p) pair exercises a branch: inversion (mean < 10), BTRS (mean >= 10), the p > 1/2 mirror,
// and the huge-n / tiny-p corner of 1e12-pulse MDI runs.
const CASES: [number, number][] = [[1e12, 3e-12], [1e12, 1e-9], [2e9, 0.0168], [40, 0.3], [1e12, 0.5], [1e6, 0.999], [25, 0.6]];

for (const [n, p] of CASES) {
  test(`binomial(${n}, ${p}) passes chi-square at false-alarm ${ALPHA}`, (t) => {
    const rng = createRng(`binom-${n}-${p}`);
    const M = 20000;
    const mean = n * p, sd = Math.sqrt(n * p * (1 - p));
    const lo = Math.max(0, Math.floor(mean - 6 * sd - 2)), hi = Math.min(n, Math.ceil(mean + 6 * sd + 2));
    const pmf = binomialWindowPmf(n, p, lo, hi);
    // bins: group consecutive k so that each bin expects >= 200 draws
    const edges: number[] = [lo]; let acc = 0;
    for (let k = lo; k <= hi; k++) { acc += pmf[k - lo]; if (acc * M >= 200) { edges.push(k + 1); acc = 0; } }
    edges[edges.length - 1] = hi + 1;
    const exp = new Float64Array(edges.length - 1), obs = new Float64Array(edges.length - 1);
    for (let b = 0; b + 1 < edges.length; b++) for (let k = edges[b]; k < edges[b + 1]; k++) exp[b] += pmf[k - lo] * M;
    let outside = 0;
    for (let i = 0; i < M; i++) {
      const k = sampleBinomial(rng, n, p);
      if (k < lo || k > hi) { outside++; continue; }
      let b = 0; while (edges[b + 1] <= k) b++;
      obs[b]++;
    }
    t.is(outside, 0);
    const { stat, df } = chiSquare(obs, exp);
    t.true(df >= 3, `df ${df}`);
    t.true(stat < chi2Critical(df), `chi2 ${stat.toFixed(1)} >= ${chi2Critical(df).toFixed(1)} (df ${df})`);
  });
}

test('lnFactDiff matches direct sums of logs, also near 1e12 where lgamma differences lose precision', (t) => {
  let s = 0; for (let j = 1e12 - 9; j <= 1e12; j++) s += Math.log(j);
  t.true(Math.abs(lnFactDiff(1e12, 1e12 - 10) - s) < 1e-9 * s);
  let s2 = 0; for (let j = 101; j <= 400; j++) s2 += Math.log(j);
  t.true(Math.abs(lnFactDiff(400, 100) - s2) < 1e-10 * s2);
  t.is(lnFactDiff(7, 7), 0);
});

test('sampleBinomial rejects bad arguments and handles edges', (t) => {
  const r = createRng(1);
  t.is(sampleBinomial(r, 0, 0.3), 0); t.is(sampleBinomial(r, 10, 0), 0); t.is(sampleBinomial(r, 10, 1), 10);
  t.throws(() => sampleBinomial(r, -1, 0.5)); t.throws(() => sampleBinomial(r, 2.5, 0.5)); t.throws(() => sampleBinomial(r, 10, 1.5));
});

test('multinomial counts: each cell is Binomial(n, p_i) (z-scores) and they sum within n', (t) => {
  const rng = createRng('multi');
  const probs = [0.01, 0.2, 0.3, 1e-6];
  const n = 1e9, M = 2000;
  const sums = new Float64Array(4);
  for (let i = 0; i < M; i++) {
    const c = sampleMultinomial(rng, n, probs);
    t.true(c.reduce((a, b) => a + b, 0) <= n);
    for (let j = 0; j < 4; j++) sums[j] += c[j];
  }
  for (let j = 0; j < 4; j++) {
    const mean = n * probs[j], sd = Math.sqrt((n * probs[j] * (1 - probs[j])) / M);
    t.true(Math.abs(sums[j] / M - mean) < 3.29 * sd, `cell ${j}`); // two-sided 1e-3
  }
});

test('geometric gaps (table + memoryless tail, and log inversion) pass chi-square', (t) => {
  for (const p of [0.0168, 0.2, 2e-4]) {
    const g = new GeometricGaps(p);
    const u = new UniformBlocks(createRng(`geo-${p}`));
    const buf = new Float64Array(1); const next = () => u.fill(buf)[0];
    const M = 40000;
    // 30 equiprobable-ish bins via the survival function (1-p)^g
    const B = 30, edges: number[] = [0];
    for (let b = 1; b < B; b++) edges.push(Math.ceil(Math.log(1 - b / B) / Math.log1p(-p)));
    const obs = new Float64Array(B), exp = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      const lo = edges[b], hi = b + 1 < B ? edges[b + 1] : Infinity;
      exp[b] = M * (Math.pow(1 - p, lo) - (hi === Infinity ? 0 : Math.pow(1 - p, hi)));
    }
    for (let i = 0; i < M; i++) {
      const x = g.draw(next(), next);
      let b = 0; while (b + 1 < B && edges[b + 1] <= x) b++;
      obs[b]++;
    }
    const { stat, df } = chiSquare(obs, exp);
    t.true(stat < chi2Critical(df), `p=${p}: chi2 ${stat.toFixed(1)} df ${df}`);
    t.true(sampleGeometric(createRng(3), 1) === 0);
  }
});

test('alias table reproduces its weights (chi-square)', (t) => {
  const w = [5, 0, 1, 1e-3, 30, 2.5, 7];
  const a = new AliasTable(w), rng = createRng('alias');
  const M = 100000, obs = new Float64Array(w.length);
  for (let i = 0; i < M; i++) obs[a.sample(rng)]++;
  const tot = w.reduce((s, v) => s + v, 0);
  t.is(obs[1], 0);
  const { stat, df } = chiSquare(obs, w.map((v) => (v / tot) * M));
  t.true(stat < chi2Critical(df));
});

test('event stream: gaps beyond 32 bits start new frames; slots stay increasing and the count is Binomial(N, p)', async (t) => {
  const { EventStream, frameSlots } = await import('../../protocols/physics/sampler-core.ts');
  const pulses = 1e12, p = 3e-10; // mean gap 3.3e9, ~ half of the gaps exceed 2^32
  let frames = 0, count = 0, last = -1;
  const s = new EventStream(createRng('sparse-frames'), pulses, { weights: [p / 2, p / 2] });
  for (let f = s.next(); f !== null; f = s.next()) {
    frames++;
    for (const slot of frameSlots(f)) { t.true(slot > last && slot < pulses); last = slot; count++; }
  }
  t.true(frames > 10, `${frames} frames`);
  t.true(Math.abs(count - pulses * p) < 3.29 * Math.sqrt(pulses * p), `${count} events`);
});
