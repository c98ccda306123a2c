// Decoy-state estimation and key length of SNS-TF-QKD, from counts (observed, or the model's
// expectations for a prediction).
//
// Untagged bits (Wang, Yu & Hu, PRA 98, 062323 (2018), Sec. III): Z-window effective events in
// which exactly one party sent, and sent exactly one photon. Their yield s1 is that of the states
// |01>,|10>, which the decoy windows with one side mu_k and the other vacuum also contain, so the
// three-intensity decoy bound applies (Wang-Yu-Hu 2018, s1 bound of Sec. III; finite-size form
// Jiang, Yu, Hu & Wang, PR Applied 12, 024061 (2019), s1 bound of Sec. III):
//   <s1>^L = [mu2^2 e^{mu1} <S01>^L - mu1^2 e^{mu2} <S02>^U - (mu2^2 - mu1^2) <S00>^U]
//            / [mu1 mu2 (mu2 - mu1)]                                                        (1)
// where S0k is the counting rate of the windows "one side mu_k, the other vacuum" and S00 that of
// both vacuum. (Derivation: S0k e^{mu_k} = s0 + mu_k s1 + sum_{n>=2} mu_k^n s_n / n!; the
// combination mu2^2 (.)_1 - mu1^2 (.)_2 drops every n >= 2 term with a non-positive weight.)
// Expected untagged bits in the Z windows (Jiang 2019, n1 of Sec. III):
//   <n1>^L = N pZ^2 2 eps (1-eps) muZ e^{-muZ} <s1>^L                                       (2)
// Phase-flip error (Wang-Yu-Hu 2018, e1ph of Sec. III; Jiang 2019 Sec. III): in X1 windows (both
// mu1, phases post-selected in one slice) the pulse pair is e^{-2mu1} vacuum (error rate 1/2) plus
// 2 mu1 e^{-2mu1} single photon in the twin state, so
//   <e1ph>^U = [<T_X1>^U - e^{-2mu1} <S00>^L / 2] / [2 mu1 e^{-2mu1} <s1>^L]                (3)
// with T_X1 the error counting rate of the post-selected X1 windows.
// Statistical fluctuations: expected values from observed counts by the multiplicative Chernoff
// bounds of Zhang, Zhao, Razavi & Ma, PRA 95, 012333 (2017) (the bounds Jiang 2019 uses; closed
// forms in protocols/keyrate/chernoff.ts), observed from expected likewise for n1 and the phase
// errors of the untagged Z bits (as the repository's MDI estimator, protocols/keyrate/mdi-finite.ts).
// Key length (Jiang 2019, final-key formula of Sec. III):
//   N_f = n1 [1 - H(e1ph)] - f n_t H(E_z) - log2(2/eps_cor) - 2 log2(1/(sqrt(2) eps_PA eps^))    (4)
// Asymptotic key rate per window (Wang-Yu-Hu 2018, key-rate formula of Sec. III):
//   R = pZ^2 { 2 eps (1-eps) muZ e^{-muZ} s1 [1 - H(e1ph)] - f S_Z H(E_Z) }                   (5)
// i.e. (4) divided by N with expectations for every count and no fluctuation terms.
// Equation numbers: the papers' own numbering could not be checked against their text here (not in
// the reference store); each formula is re-derived in the comments and tested independently.

import { expectedLower, expectedUpper, observedLower, observedUpper } from '../../keyrate/chernoff.ts';
import { binaryEntropy } from '../../keyrate/entropy.ts';
import type { TfParams, TfSecurity, TfKeyRateResult } from './types.ts';
import { p2 } from './channel.ts';

/** Counts the estimator reads: windows sent of each kind and the effective events / errors in them. */
export interface TfObserved {
  pulses: number;
  windows: { z: number; n00: number; n01: number; n02: number; nX1: number };
  nZ: number;
  mZ: number;
  n00: number;
  n01: number;
  n02: number;
  nX1: number;
  mX1: number;
}

export interface TfDecoyBounds {
  s1L: number;
  /** Upper bound of the error yield of single photons in X1, (e1ph s1)^U. */
  t1U: number;
  e1phU: number;
}

/** Eqs. (1) and (3): s1^L, e1ph^U from the decoy and X1 counts. `eps` null = no fluctuations (asymptotic). */
export function tfDecoyBounds(c: TfObserved, p: TfParams, eps: number | null): TfDecoyBounds {
  const lo = (x: number) => (eps === null ? x : expectedLower(x, eps));
  const hi = (x: number) => (eps === null ? x : expectedUpper(x, eps));
  const w = c.windows;
  const s00U = hi(c.n00) / w.n00, s00L = lo(c.n00) / w.n00;
  const s01L = lo(c.n01) / w.n01, s02U = hi(c.n02) / w.n02;
  const { mu1, mu2 } = p;
  const s1L = Math.max(0, (mu2 * mu2 * Math.exp(mu1) * s01L - mu1 * mu1 * Math.exp(mu2) * s02U - (mu2 * mu2 - mu1 * mu1) * s00U) / (mu1 * mu2 * (mu2 - mu1)));
  const tX1U = hi(c.mX1) / w.nX1;
  const single = 2 * mu1 * Math.exp(-2 * mu1);
  const t1U = Math.max(0, (tX1U - (Math.exp(-2 * mu1) * s00L) / 2) / single);
  const e1phU = s1L > 0 ? Math.min(0.5, t1U / s1L) : 0.5;
  return { s1L, t1U, e1phU };
}

export function checkTfParams(p: TfParams): string | undefined {
  for (const k of ['epsilon', 'muZ', 'mu1', 'mu2', 'pZ', 'p0', 'p1'] as const) {
    if (!Number.isFinite(p[k]) || p[k] < 0) return `${k} must be a finite number >= 0`;
  }
  if (!(p.epsilon > 0 && p.epsilon < 1)) return 'epsilon must be in (0, 1)';
  if (!(p.muZ > 0)) return 'muZ must be > 0';
  if (!(p.mu1 > 0 && p.mu2 > p.mu1)) return 'need 0 < mu1 < mu2';
  if (!(p.pZ > 0 && p.pZ < 1)) return 'pZ must be in (0, 1)';
  if (!(p.p0 > 0 && p.p1 > 0 && p2(p) > 0)) return 'p0, p1 and 1 - p0 - p1 must all be > 0';
  return undefined;
}

export interface TfEstimateInput {
  /** Bits leaked by error correction; or give `f` for the predicted f n_t H(E_z). */
  leakEC?: number;
  f?: number;
  /** false: asymptotic (Eq. 5: expectations, no fluctuation or composable terms). Default true. */
  finite?: boolean;
}

function paramsRecord(p: TfParams): Record<string, number> {
  return { epsilon: p.epsilon, muZ: p.muZ, mu1: p.mu1, mu2: p.mu2, pZ: p.pZ, p0: p.p0, p1: p.p1 };
}

/** Key length (Eq. 4; Eq. 5 with finite = false) from counts. */
export function tfEstimateFromCounts(c: TfObserved, p: TfParams, input: TfEstimateInput = {}, sec: TfSecurity = {}): TfKeyRateResult {
  const bad = checkTfParams(p);
  const base = { protocol: 'tf' as const, pulses: c.pulses, params: paramsRecord(p), siftedBits: c.nZ, qber: c.nZ > 0 ? c.mZ / c.nZ : 0 };
  if (bad) return { ...base, phaseErrorBound: 0.5, leakEC: 0, secretBits: 0, secretBitsPerPulse: 0, terms: {}, reason: bad };
  const finite = input.finite ?? true;
  const xi = sec.epsPE ?? 1e-10;
  const b = tfDecoyBounds(c, p, finite ? xi : null);
  const pSingle = 2 * p.epsilon * (1 - p.epsilon) * p.muZ * Math.exp(-p.muZ);
  const n1Exp = c.windows.z * pSingle * b.s1L; // Eq. (2)
  const phExp = c.windows.z * pSingle * b.t1U;
  const n1 = finite ? observedLower(n1Exp, xi) : n1Exp;
  const ph = finite ? observedUpper(phExp, xi) : phExp;
  const e1ph = n1 > 0 ? Math.min(0.5, ph / n1) : 0.5;
  const ez = base.qber;
  const leakEC = input.leakEC ?? (input.f ?? 1.1) * c.nZ * binaryEntropy(ez);
  const epsCor = sec.epsCor ?? 1e-10, epsPA = sec.epsPA ?? 1e-10, epsHat = sec.epsSmooth ?? 1e-10;
  const cost = finite ? Math.log2(2 / epsCor) + 2 * Math.log2(1 / (Math.SQRT2 * epsPA * epsHat)) : 0;
  const raw = n1 * (1 - binaryEntropy(e1ph)) - leakEC - cost; // Eq. (4) / (5)
  const secretBits = raw > 0 ? (finite ? Math.floor(raw) : raw) : 0;
  return {
    ...base, phaseErrorBound: e1ph, leakEC, secretBits, secretBitsPerPulse: secretBits / c.pulses,
    terms: { s1L: b.s1L, t1U: b.t1U, e1phX: b.e1phU, n1, phaseErrors: ph, rawKeyLength: raw, securityCost: cost, nZ: c.nZ, mZ: c.mZ },
    ...(secretBits > 0 ? {} : { reason: n1 <= 0 ? 'no untagged bits can be certified (s1 lower bound is 0)' : 'error correction and phase errors consume the untagged bits' }),
  };
}
