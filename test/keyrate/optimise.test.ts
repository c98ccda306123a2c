import test from 'ava';
import { maximise } from '../../protocols/keyrate/optimise.ts';

test('finds the maximum of a concave quadratic inside the box', t => {
  const r = maximise(x => -((x[0] - 0.3) ** 2) - 2 * (x[1] + 1.2) ** 2, { lo: [-1, -2], hi: [1, 2] });
  t.true(Math.abs(r.x[0] - 0.3) < 1e-4);
  t.true(Math.abs(r.x[1] + 1.2) < 1e-4);
  t.true(r.feasible);
});

test('stops at the box edge when the optimum lies outside', t => {
  const r = maximise(x => x[0] + x[1], { lo: [0, 0], hi: [1, 2] });
  t.true(Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 2) < 1e-6);
});

test('respects inequality constraints and never returns NaN', t => {
  // max x+y subject to x^2 + y^2 <= 1: optimum (1/sqrt2, 1/sqrt2)
  const r = maximise(x => (x[0] > 0.9 ? Number.NaN : x[0] + x[1]), { lo: [-2, -2], hi: [2, 2] }, {
    constraints: [x => x[0] ** 2 + x[1] ** 2 - 1],
  });
  t.false(Number.isNaN(r.value));
  t.true(r.x[0] ** 2 + r.x[1] ** 2 <= 1 + 1e-12);
  t.true(Math.abs(r.value - Math.SQRT2) < 1e-3);
});

test('is deterministic', t => {
  const f = (x: number[]) => Math.sin(3 * x[0]) * Math.cos(2 * x[1]) - 0.1 * x[0] * x[0];
  const a = maximise(f, { lo: [-3, -3], hi: [3, 3] });
  const b = maximise(f, { lo: [-3, -3], hi: [3, 3] });
  t.deepEqual(a, b);
});

test('reports infeasible when no point satisfies the constraints', t => {
  const r = maximise(x => x[0], { lo: [0], hi: [1] }, { constraints: [() => 1] });
  t.false(r.feasible);
  t.false(Number.isNaN(r.value));
});
