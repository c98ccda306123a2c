import test from 'ava';
import { createRng } from '../protocols/rng.ts';

test('same seed gives the same stream, different seeds differ', (t) => {
  const a = createRng('alice'), b = createRng('alice'), c = createRng('bob');
  const xa = Array.from({ length: 8 }, () => a.nextUint32());
  const xb = Array.from({ length: 8 }, () => b.nextUint32());
  const xc = Array.from({ length: 8 }, () => c.nextUint32());
  t.deepEqual(xa, xb);
  t.notDeepEqual(xa, xc);
});

test('nextDouble is uniform on [0,1): mean and variance within 5 sigma over 1e5 draws', (t) => {
  const r = createRng(7); const n = 100_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = r.nextDouble(); t.true(x >= 0 && x < 1); s += x; s2 += x * x; }
  const mean = s / n, v = s2 / n - mean * mean;
  t.true(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n));
  t.true(Math.abs(v - 1 / 12) < 0.002);
});

test('nextInt has no modulo bias: chi-square over 6 cells below the 1e-4 critical value', (t) => {
  const r = createRng(99); const n = 60_000; const cells = new Array(6).fill(0);
  for (let i = 0; i < n; i++) cells[r.nextInt(6)]++;
  const chi2 = cells.reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
  t.true(chi2 < 25.74, `chi2 = ${chi2}`); // chi2(5 dof) 1e-4 upper quantile = 25.74
});
