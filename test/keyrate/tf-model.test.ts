// SNS-TF-QKD observable model and decoy estimation (protocols/qkd/tf/), checked against
// independent derivations: direct phase averages instead of the Bessel closed form, and
// photon-number (Fock-state) yields and phase errors instead of the decoy bounds.
import test from 'ava';
import { effectiveRate, tfDecoyBounds, tfExpectedCounts, tfLinkFromFibres, tfRates, type TfLink, type TfParams } from '../../protocols/qkd/tf/index.ts';

// "Only one detector clicks" for Poisson means on the two outputs, as in the file header.
const only = (on: number, off: number, pd: number) => (1 - (1 - pd) * Math.exp(-on)) * (1 - pd) * Math.exp(-off);

/** Effective-event probability averaged over a uniformly random relative phase by quadrature (no Bessel function). */
function effectiveByQuadrature(a: number, b: number, pd: number, nodes = 20_000): number {
  let s = 0;
  for (let i = 0; i < nodes; i++) {
    const d = (2 * Math.PI * (i + 0.5)) / nodes;
    const x = Math.sqrt(a * b) * Math.cos(d);
    s += only((a + b) / 2 + x, (a + b) / 2 - x, pd) + only((a + b) / 2 - x, (a + b) / 2 + x, pd);
  }
  return s / nodes;
}

test('effective-event rate: the I0 closed form equals the phase average computed by quadrature', (t) => {
  for (const [a, b, pd] of [[0.3, 0.3, 1e-6], [1e-3, 4e-3, 1e-8], [2, 0.5, 0.01], [5, 5, 0]] as const) {
    const closed = effectiveRate(a, b, pd), direct = effectiveByQuadrature(a, b, pd);
    t.true(Math.abs(closed / direct - 1) < 1e-9, `a=${a} b=${b}: ${closed} vs ${direct}`);
  }
});

test('effective-event rate: vacuum gives 2 p_d (1 - p_d); one pulse alone splits evenly on the two detectors', (t) => {
  t.true(Math.abs(effectiveRate(0, 0, 1e-7) / (2e-7 * (1 - 1e-7)) - 1) < 1e-12);
  t.true(Math.abs(effectiveRate(0, 0, 1e-12) / (2e-12 * (1 - 1e-12)) - 1) < 1e-12);
  const a = 0.02, pd = 1e-6;
  t.true(Math.abs(effectiveRate(a, 0, pd) - 2 * only(a / 2, a / 2, pd)) < 1e-16);
});

const LINK: TfLink = tfLinkFromFibres({ lengthAKm: 150, lengthBKm: 150, etaDet: 0.3, pDark: 1e-8, eMis: 0.05 });

test('Z windows: the error rate is the weight of "both sent" and "neither sent" events (no interference in Z)', (t) => {
  const p: TfParams = { epsilon: 0.1, muZ: 0.4, mu1: 0.05, mu2: 0.3, pZ: 0.8, p0: 0.5, p1: 0.3 };
  const r = tfRates(LINK, p);
  // Independent count: with eta mu << 1 the one-sender rate is eta mu, the two-sender rate 2 eta mu.
  const etaMu = LINK.etaA * p.muZ;
  const events = 0.9 * 0.9 * 2e-8 + 2 * 0.1 * 0.9 * etaMu + 0.01 * 2 * etaMu;
  const errors = 0.9 * 0.9 * 2e-8 + 0.01 * 2 * etaMu;
  t.true(Math.abs(r.zEvents / events - 1) < 1e-3, `${r.zEvents} vs ${events}`);
  t.true(Math.abs(r.zErrors / errors - 1) < 1e-3);
  // Misalignment does not enter the Z windows.
  t.is(tfRates({ ...LINK, eMis: 0.4 }, p).zErrors, r.zErrors);
});

// Fock-state derivation of what the decoy method estimates. One photon from A (or B) crosses its
// arm with probability eta; it then reaches one detector and the other must stay dark:
//   s1 = eta (1 - p_d) + (1 - eta) 2 p_d (1 - p_d)
// In the X1 windows the single photon is in the twin state (|10> + e^{i delta} |01>)/sqrt 2; with equal
// arms it reaches the wrong detector with probability w(delta) = (1-e_d)(1 - cos delta)/2 + e_d (1 + cos delta)/2:
//   e1 s1 = < eta w(delta) (1 - p_d) + (1 - eta) p_d (1 - p_d) >_slice
function fock(link: TfLink) {
  const eta = link.etaA, pd = link.pDark, ed = link.eMis, D = link.phaseSlice ?? (2 * Math.PI) / 16;
  const s1 = eta * (1 - pd) + (1 - eta) * 2 * pd * (1 - pd);
  const n = 10_000;
  let w = 0;
  for (let i = 0; i < n; i++) { const d = -D / 2 + (D * (i + 0.5)) / n; w += ((1 - ed) * (1 - Math.cos(d))) / 2 + (ed * (1 + Math.cos(d))) / 2; }
  w /= n;
  const e1 = (eta * w * (1 - pd) + (1 - eta) * pd * (1 - pd)) / s1;
  return { s1, e1 };
}

test('decoy bounds without fluctuations: s1^L <= the Fock-state yield and e1ph^U >= its phase error, both tight for weak decoys', (t) => {
  const exact = fock(LINK);
  for (const [mu1, mu2, tol] of [[0.1, 0.4, 0.25], [0.01, 0.05, 0.03], [1e-3, 3e-3, 0.003]] as const) {
    const p: TfParams = { epsilon: 0.1, muZ: 0.4, mu1, mu2, pZ: 0.5, p0: 0.4, p1: 0.3 };
    const b = tfDecoyBounds(tfExpectedCounts(LINK, p, 1), p, null);
    t.true(b.s1L <= exact.s1 * (1 + 1e-12), `s1L ${b.s1L} > ${exact.s1}`);
    t.true(b.e1phU >= exact.e1 * (1 - 1e-9), `e1phU ${b.e1phU} < ${exact.e1}`);
    t.true(b.s1L > exact.s1 * (1 - tol), `mu1=${mu1}: s1L ${b.s1L} vs ${exact.s1}`);
    t.true(b.e1phU < exact.e1 * (1 + 2 * tol) + 1e-6, `mu1=${mu1}: e1phU ${b.e1phU} vs ${exact.e1}`);
  }
});

test('decoy bounds with fluctuations: looser than the asymptotic ones, and approach them as N grows', (t) => {
  const p: TfParams = { epsilon: 0.1, muZ: 0.4, mu1: 0.05, mu2: 0.3, pZ: 0.6, p0: 0.4, p1: 0.4 };
  const asym = tfDecoyBounds(tfExpectedCounts(LINK, p, 1e10), p, null);
  let prevGap = Number.POSITIVE_INFINITY;
  for (const N of [1e10, 1e12, 1e14, 1e16]) {
    const fin = tfDecoyBounds(tfExpectedCounts(LINK, p, N), p, 1e-10);
    t.true(fin.s1L < asym.s1L && fin.e1phU > asym.e1phU);
    const gap = asym.s1L - fin.s1L;
    t.true(gap < prevGap);
    prevGap = gap;
  }
  t.true(prevGap / asym.s1L < 0.01, `relative gap at N=1e16: ${prevGap / asym.s1L}`);
});

test('estimation from counts: a measured error-correction leak replaces f n_t H(E_z) bit for bit', async (t) => {
  const { tfEstimateFromCounts } = await import('../../protocols/qkd/tf/index.ts');
  const p: TfParams = { epsilon: 0.05, muZ: 0.45, mu1: 0.05, mu2: 0.35, pZ: 0.8, p0: 0.3, p1: 0.6 };
  const counts = tfExpectedCounts(LINK, p, 1e12);
  const predicted = tfEstimateFromCounts(counts, p, { f: 1.1 });
  const measured = tfEstimateFromCounts(counts, p, { leakEC: predicted.leakEC + 1000 });
  t.true(predicted.secretBits > 1000);
  t.true(Math.abs(predicted.terms.rawKeyLength - measured.terms.rawKeyLength - 1000) < 1e-6);
});

test('relay off the middle: less key than in the middle; balancing the arms at the relay gives the symmetric key of twice the longer arm', async (t) => {
  const { tfOptimise, balanceArms } = await import('../../protocols/qkd/tf/index.ts');
  const link = (a: number, b: number) => tfLinkFromFibres({ lengthAKm: a, lengthBKm: b, etaDet: 0.3, pDark: 1e-10, eMis: 0.03 });
  const key = (l: TfLink) => tfOptimise({ link: l, finite: false, maxEvals: 1500 }).secretBitsPerPulse;
  const mid = key(link(150, 150)), off = key(link(135, 165));
  // 6 dB imbalance at equal source values: X1 visibility 2 sqrt(ab)/(a+b) = 0.8 raises the phase error.
  t.true(off > 0 && off < mid, `${off} vs ${mid}`);
  // 90/210 km: 24 dB imbalance, visibility 0.13: no key unbalanced; balanced = symmetric 210 + 210 km.
  t.is(key(link(90, 210)), 0);
  const balanced = key(balanceArms(link(90, 210))), sym = key(link(210, 210));
  t.true(balanced > 0 && Math.abs(balanced / sym - 1) < 1e-9);
});
