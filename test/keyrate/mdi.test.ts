import test from 'ava';
import { mdiEstimateFromCounts, mdiExpectedCounts, mdiOptimise, mdiPredict, symmetricParams, weiFinalKeyRate } from '../../protocols/keyrate/mdi.ts';
import { mdiLinkFromFibres } from '../../protocols/physics/mdi-model.ts';

const h = (x: number) => (x <= 0 || x >= 1 ? 0 : -x * Math.log2(x) - (1 - x) * Math.log2(1 - x));

// Wei et al., PRX 10, 031030 (2020), Table II, 28 dB column (counts of psi+/psi- announcements).
const WEI_N = 3.0e13;
const WEI_SIDE = { s: 0.207, mu: 0.197, nu: 0.035, pS: 0.607, pMu: 0.030, pNu: 0.267 };
const WEI_COUNTS = {
  pulses: WEI_N,
  n: { 's-s': 67_610_084, 'mu-mu': 258_557, 'nu-nu': 606_196, 'mu-o': 49_091, 'o-mu': 102_736, 'nu-o': 69_561, 'o-nu': 47_406, 'o-o': 6 },
  m: { 's-s': 1_851_744, 'nu-nu': 160_177, 'nu-o': 34_705, 'o-nu': 23_637, 'o-o': 4 },
} as const;

test('Wei 2020 Table II (28 dB): final-key step Eq. (A1) from the published counts gives R = 1.28e-7', (t) => {
  const qss = WEI_COUNTS.n['s-s'] / (WEI_N * 0.607 * 0.607);
  const ess = WEI_COUNTS.m['s-s'] / WEI_COUNTS.n['s-s'];
  const r = weiFinalKeyRate({ pSA: 0.607, pSB: 0.607, sA: 0.207, sB: 0.207, y11L: 8.98e-5, e11U: 0.068, qss, ess, f: 1.16 });
  t.true(Math.abs(r / 1.28e-7 - 1) < 0.01, `R = ${r}`);
  // The table prints 1.29e-7 (from unrounded s11, e11): within the rounding of its inputs.
  t.true(Math.abs(r / 1.29e-7 - 1) < 0.02);
});

test('Wei 2020 Table II (28 dB): our decoy bounds from the same counts are close to the published s11, e11', (t) => {
  const r = mdiEstimateFromCounts(WEI_COUNTS as never, symmetricParams(WEI_SIDE), { f: 1.16 }, { epsPE: 1e-10 });
  // Published: s11 = 8.98e-5, e11 = 0.068. From these counts the two-decoy bound (Xu 2013 Eq. 6)
  // gives at most 7.8e-5 even without fluctuations: in this column the vacuum-decoy gains
  // (Q_mu0 + Q_0mu) are only 1/5.5 of Q_mumu where the channel model (and the 36 dB column) give
  // about 1/2, so the vacuum subtraction is small and the bound low. We only assert closeness.
  t.true(r.terms.s11L > 0.75 * 8.98e-5 && r.terms.s11L <= 8.98e-5, `s11L = ${r.terms.s11L}`);
  t.true(Math.abs(r.terms.e11U / 0.068 - 1) < 0.15, `e11U = ${r.terms.e11U}`);
  t.is(r.siftedBits, 67_610_084);
  t.true(r.secretBits > 0);
  t.true(Math.abs(r.qber - 0.02739) < 1e-4);
});

// Wei et al. 2020 Table II, 36 dB column: here the decoy counts are internally consistent
// (vacuum-decoy gains about 1/2 of the decoy-decoy gain, as the channel model predicts), and our
// estimator run on the published counts reproduces the published key rate 2.47e-8 per pulse.
test('Wei 2020 Table II (36 dB): estimator on the published counts reproduces R = 2.47e-8', (t) => {
  const N = 4.5e13;
  const side = { s: 0.141, mu: 0.188, nu: 0.036, pS: 0.488, pMu: 0.038, pNu: 0.350 };
  const counts = {
    pulses: N,
    n: { 's-s': 6_305_857, 'mu-mu': 115_035, 'nu-nu': 388_040, 'mu-o': 138_680, 'o-mu': 87_576, 'nu-o': 26_574, 'o-nu': 44_947, 'o-o': 0 },
    m: { 's-s': 178_909, 'nu-nu': 104_895, 'nu-o': 13_227, 'o-nu': 22_647, 'o-o': 0 },
  };
  const r = mdiEstimateFromCounts(counts, symmetricParams(side), { f: 1.16 }, { epsPE: 1e-10 });
  t.true(Math.abs(r.terms.weiRatePerPulse / 2.47e-8 - 1) < 0.05, `Wei-form rate ${r.terms.weiRatePerPulse}`);
  t.true(Math.abs(r.secretBitsPerPulse / 2.47e-8 - 1) < 0.1, `finite key ${r.secretBitsPerPulse}`);
  t.true(Math.abs(r.terms.s11L / 2.43e-5 - 1) < 0.1, `s11L ${r.terms.s11L}`);
  t.true(Math.abs(r.terms.e11U / 0.089 - 1) < 0.15, `e11U ${r.terms.e11U}`);
});

// Asymptotic limit: for N -> infinity and weak decoys the finite key per pulse must approach, from
// below, R = pS^2 [ s^2 e^{-2s} Y11 (1 - h(e11X)) - f Q_ss h(E_ss) ] with the exact single-pair
// yield and error of Xu et al. 2013 App. B, computed here independently of the library.
test('asymptotic limit matches the single-pair formula of Xu et al. 2013', (t) => {
  const etaA = 0.2 * 10 ** -0.5, etaB = 0.2 * 10 ** -0.7, pd = 1e-7, ed = 0.01;
  const side = { s: 0.3, mu: 0.1, nu: 0.005, pS: 0.7, pMu: 0.1, pNu: 0.15 };
  const y11 = (1 - pd) ** 2 * (etaA * etaB / 2 + (2 * etaA + 2 * etaB - 3 * etaA * etaB) * pd + 4 * (1 - etaA) * (1 - etaB) * pd * pd);
  const e11 = 0.5 - ((0.5 - ed) * (1 - pd) ** 2 * etaA * etaB) / 2 / y11;
  const s = side.s, a = etaA * s, b = etaB * s, mp = a + b;
  let i0 = 0, term = 1;
  for (let k = 0; k < 30; k++) { if (k) term *= (a * b / 4) / (k * k); i0 += term; }
  const qc = 2 * (1 - pd) ** 2 * Math.exp(-mp / 2) * (1 - (1 - pd) * Math.exp(-a / 2)) * (1 - (1 - pd) * Math.exp(-b / 2));
  const qe = 2 * pd * (1 - pd) ** 2 * Math.exp(-mp / 2) * (i0 - (1 - pd) * Math.exp(-mp / 2));
  const q = qc + qe, E = (ed * qc + (1 - ed) * qe) / q;
  const rInf = side.pS ** 2 * (s * s * Math.exp(-2 * s) * y11 * (1 - h(e11)) - 1.16 * q * h(E));

  const link = { etaA, etaB, pDark: pd, eMis: ed };
  const big = mdiPredict({ link, pulses: 1e22, params: symmetricParams(side), f: 1.16 });
  t.true(big.secretBitsPerPulse <= rInf * (1 + 1e-9));
  t.true(big.secretBitsPerPulse > 0.95 * rInf, `${big.secretBitsPerPulse} vs ${rInf}`);
  t.true(Math.abs(big.terms.s11L / y11 - 1) < 0.01);
  t.true(Math.abs(big.qber - E) < 1e-9);
  // Finite size costs key: smaller N gives a lower rate per pulse.
  const mid = mdiPredict({ link, pulses: 1e15, params: symmetricParams(side), f: 1.16 });
  t.true(mid.secretBitsPerPulse < big.secretBitsPerPulse);
});

test('expected counts are symmetric for a symmetric link and basis-consistent', (t) => {
  const link = mdiLinkFromFibres({ lengthAKm: 30, lengthBKm: 30, etaDet: 0.2, pDark: 1e-6, eMis: 0.02 });
  const c = mdiExpectedCounts(link, symmetricParams({ s: 0.3, mu: 0.2, nu: 0.04, pS: 0.6, pMu: 0.05, pNu: 0.25 }), 1e12);
  t.true(Math.abs((c.n['o-mu'] ?? 0) / (c.n['mu-o'] ?? 1) - 1) < 1e-12);
  // Vacuum-involved X pairs carry no interference: error rate exactly 1/2.
  t.true(Math.abs((c.m['o-nu'] ?? 0) / (c.n['o-nu'] ?? 1) - 0.5) < 1e-12);
  // Z-basis QBER close to the misalignment when dark counts are negligible.
  t.true(Math.abs((c.m['s-s'] ?? 0) / (c.n['s-s'] ?? 1) - 0.02) < 2e-3);
});

test('bad inputs give no key with a reason, never NaN', (t) => {
  const r = mdiEstimateFromCounts({ pulses: 1e10, n: {}, m: {} }, symmetricParams({ s: 0.3, mu: 0.1, nu: 0.2, pS: 0.5, pMu: 0.2, pNu: 0.2 }));
  t.is(r.secretBits, 0);
  t.regex(r.reason ?? '', /mu must exceed/);
  const z = mdiEstimateFromCounts({ pulses: 1e10, n: {}, m: {} }, symmetricParams({ s: 0.3, mu: 0.2, nu: 0.02, pS: 0.5, pMu: 0.2, pNu: 0.2 }));
  t.is(z.secretBits, 0);
  t.truthy(z.reason);
  for (const v of Object.values(z.terms)) t.false(Number.isNaN(v));
});

test('asymmetric optimisation is never worse than symmetric, and helps on an asymmetric link', (t) => {
  for (const [la, lb] of [[25, 25], [15, 45]]) {
    const link = mdiLinkFromFibres({ lengthAKm: la, lengthBKm: lb, etaDet: 0.2, pDark: 1e-6, eMis: 0.015, visibility: 0.97 });
    const sym = mdiOptimise({ link, pulses: 1e12, symmetric: true, maxEvals: 2000 });
    const asym = mdiOptimise({ link, pulses: 1e12, maxEvals: 2000 });
    t.true(sym.secretBits > 0);
    t.true(asym.secretBits >= sym.secretBits, `${la}/${lb}: ${asym.secretBits} < ${sym.secretBits}`);
    if (la !== lb) {
      t.true(asym.secretBits > sym.secretBits);
      // The nearer side (stronger received light) attenuates its signal relative to the far side.
      t.true(asym.params.sA < asym.params.sB);
    }
  }
});

test('key rate vs distance (20 % detectors, 1e-6 dark): decreasing, and MDI stops before 130 km at N = 1e12', async (t) => {
  const { mdiKeyRateVsDistance } = await import('../../protocols/keyrate/mdi.ts');
  const rows = mdiKeyRateVsDistance({ etaDet: 0.2, pDark: 1e-6, eMis: 0.015, visibility: 0.945, pulses: 1e12, f: 1.16, maxEvals: 1500 }, [20, 60, 100, 130]);
  for (let i = 1; i < rows.length; i++) t.true(rows[i].secretBitsPerPulse <= rows[i - 1].secretBitsPerPulse);
  t.true(rows[0].secretBits > 0 && rows[2].secretBits > 0);
  t.is(rows[3].secretBits, 0);
  // Loss scaling of MDI: rate ~ eta_A eta_B, so 40 km more (8 dB) costs well over a factor 6.
  t.true(rows[1].secretBitsPerPulse / rows[0].secretBitsPerPulse < 1 / 6);
});
