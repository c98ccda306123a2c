import test from 'ava';
import { besselI0, besselI0m1, mdiGains, mdiY11, mdiE11X, xMisalignment } from '../../protocols/physics/mdi-model.ts';

// Reference values of I0 from Abramowitz & Stegun Table 9.8 / standard tables.
test('I0 matches tabulated values', (t) => {
  const table: Array<[number, number]> = [
    [0, 1],
    [0.5, 1.0634833707413236],
    [1, 1.2660658777520082],
    [2, 2.2795853023360673],
    [5, 27.239871823604442],
    [10, 2815.716628466254],
    [40, 1.4894774793419899e16],
  ];
  for (const [z, v] of table) t.true(Math.abs(besselI0(z) / v - 1) < 1e-12, `I0(${z})`);
  // I0(z) - 1 ~ z^2/4 for tiny z: no cancellation.
  t.true(Math.abs(besselI0m1(1e-9) / 2.5e-19 - 1) < 1e-12);
});

// Independent leading-order derivation: with no dark counts and no misalignment, to second order
// in the received intensities a = etaA muA, b = etaB muB, the X-basis coincidences are
// (a+b)^2/4 and the errors (a^2+b^2)/8 (the single-pair cross term ab/2 carries no error);
// the Z-basis coincidences are Q_C = ab/2 (one photon from each side, half the Bell states).
test('small-intensity limits of the gains', (t) => {
  const link = { etaA: 1e-2, etaB: 3e-3, pDark: 0, eMis: 0 };
  const muA = 1e-3, muB = 2e-3;
  const a = link.etaA * muA, b = link.etaB * muB;
  const g = mdiGains(muA, muB, link);
  t.true(Math.abs(g.qX / ((a + b) ** 2 / 4) - 1) < 1e-4);
  t.true(Math.abs(g.eXqX / ((a * a + b * b) / 8) - 1) < 1e-4);
  t.true(Math.abs(g.qZ / (a * b / 2) - 1) < 1e-4);
  t.is(g.eZqZ, 0);
});

test('single-pair yield and X error', (t) => {
  const link = { etaA: 0.02, etaB: 0.01, pDark: 0, eMis: 0.01 };
  t.true(Math.abs(mdiY11(link) / (0.02 * 0.01 / 2) - 1) < 1e-12);
  t.true(Math.abs(mdiE11X(link) - 0.01) < 1e-12);
  // Distinguishable photons (V = 0): no interference, X error 1/2.
  t.true(Math.abs(mdiE11X({ ...link, visibility: 0 }) - 0.5) < 1e-12);
  t.true(Math.abs(xMisalignment({ ...link, visibility: 0.9 }) - (0.9 * 0.01 + 0.05)) < 1e-15);
  // Dark counts raise the yield and pull the error towards 1/2.
  const dark = { ...link, pDark: 1e-4 };
  t.true(mdiY11(dark) > mdiY11(link));
  t.true(mdiE11X(dark) > 0.01);
});

test('gains stay finite and ordered for zero intensities and huge losses', (t) => {
  const link = { etaA: 1e-7, etaB: 1e-6, pDark: 1e-6, eMis: 0.02, visibility: 0.95 };
  for (const [ma, mb] of [[0, 0], [0, 0.3], [0.5, 0], [0.5, 0.3]]) {
    const g = mdiGains(ma, mb, link);
    for (const v of Object.values(g)) t.true(Number.isFinite(v) && v >= 0);
    t.true(g.eXqX <= g.qX && g.eZqZ <= g.qZ);
  }
});
