// Four-intensity decoy-state MDI-QKD with finite-size Chernoff bounds, from observed counts.
//
// Protocol (Zhou, Yu, Wang, PRA 93, 042324 (2016); as run by Wei et al., PRX 10, 031030 (2020),
// App. A): each side has a signal s sent only in Z (the key basis), decoys mu > nu sent only in X,
// and the vacuum o. Every side may have its own intensities and probabilities (asymmetric
// channels: Wang, Xu, Lo, PRX 9, 041012 (2019)). Counts n_lr / errors m_lr are the successful
// Bell-state announcements (psi+ or psi-) when Alice sent l and Bob sent r.
//
// Decoy bounds (two-decoy method of Xu et al. NJP 15, 113007 (2013) Eqs. 6-7 / Zhou-Yu-Wang
// 2016, written for independent intensities on each side). With Poisson weights a_k (Alice nu),
// a'_k (Alice mu), b_k (Bob nu), b'_k (Bob mu), the gains S_lr = E[n_lr] / (N p^A_l p^B_r) and
//   D_nu = S_nunu - a_0 S_onu - b_0 S_nuo + a_0 b_0 S_oo = sum_{n,m>=1} a_n b_m s_nm
//   D_mu = S_mumu - a'_0 S_omu - b'_0 S_muo + a'_0 b'_0 S_oo
// the single-pair yield is bounded, when nu_A/mu_A <= nu_B/mu_B (else the mirror image), by
//   s11 >= [a'_1 b'_2 D_nu - a_1 b_2 D_mu] / [a_1 a'_1 (b_1 b'_2 - b'_1 b_2)]
// (the (1,2) terms cancel, all other multi-photon terms enter with non-positive weight), and the
// X-basis error yield of single pairs by
//   e11 s11 <= [T_nunu - a_0 T_onu - b_0 T_nuo + a_0 b_0 T_oo] / (a_1 b_1).
// Finite size: each linear combination of expected counts is bounded with the joint constraints
// of Zhou-Yu-Wang 2016 (positive part pooled with E_L, negative part with E_U; chernoff.ts).
//
// Key (Jiang et al., PRA 103, 012402 (2021), Eq. for l with the s0 term set to 0, since in the
// four-intensity protocol the Z window contains only signal-signal pairs):
//   l = n11_L [1 - h(phi_U)] - leakEC - log2(8/eps_cor) - 2 log2(2/(eps' eps^)) - 2 log2(1/(2 eps_PA))
// where n11_L = O_L(N pS^A pS^B P11 s11_L) lower-bounds the single-pair events in the Z window
// (P11 = s_A e^{-s_A} s_B e^{-s_B}), and phi_U = O_U(N pS^A pS^B P11 t11_U) / n11_L bounds their
// phase errors (basis independence of single-pair yields and errors: the Z-window phase errors
// have the expectation of the X-basis bit errors; t11 = e11 s11). Observed-from-expected
// conversions use the Chernoff forms of chernoff.ts; x(1 - h(t/x)) grows with x for t/x <= 1/2,
// so pairing the lower n11 with the upper error count is conservative.

import type { KeyRateResult } from './types.ts';
import { expectedLower, expectedUpper, jointExpectedBound, observedLower, observedUpper, type WeightedCount } from './chernoff.ts';
import { binaryEntropy } from './entropy.ts';

export type MdiIntensity = 's' | 'mu' | 'nu' | 'o';
export type MdiPair = `${MdiIntensity}-${MdiIntensity}`;

/** Intensities and probabilities of one side; p_o = 1 - pS - pMu - pNu. */
export interface MdiSideParams {
  s: number;
  mu: number;
  nu: number;
  pS: number;
  pMu: number;
  pNu: number;
}

export interface MdiParams {
  a: MdiSideParams;
  b: MdiSideParams;
}

export interface MdiCounts {
  /** Pulse pairs sent, N. */
  pulses: number;
  /** Successful BSM announcements per pair "alice-bob" (needs s-s, mu-mu, nu-nu, o-mu, mu-o, o-nu, nu-o, o-o). */
  n: Partial<Record<MdiPair, number>>;
  /** Errors per pair (needs s-s, nu-nu, o-nu, nu-o, o-o). */
  m: Partial<Record<MdiPair, number>>;
}

export interface MdiSecurity {
  /** Failure probability of each Chernoff estimate (default 1e-10, as Wei et al. 2020). */
  epsPE?: number;
  epsCor?: number;
  epsPA?: number;
  /** eps' and eps^ of Jiang 2021 (smoothing). */
  epsSmooth?: number;
}

export interface MdiEstimateInput {
  /** Bits leaked by error correction. Give this (emulated Cascade) or `f` (prediction: f n_ss h(E_ss)). */
  leakEC?: number;
  f?: number;
}

export function probVacuum(p: MdiSideParams): number {
  return 1 - p.pS - p.pMu - p.pNu;
}

function prob(p: MdiSideParams, k: MdiIntensity): number {
  return k === 's' ? p.pS : k === 'mu' ? p.pMu : k === 'nu' ? p.pNu : probVacuum(p);
}

export { binaryEntropy };

const poisson = (k: number, m: number) => {
  let f = 1;
  for (let i = 2; i <= k; i++) f *= i;
  return (Math.exp(-m) * Math.pow(m, k)) / f;
};

/** Validates the intensities and probabilities; returns the first problem as a message naming the field. */
export function checkMdiParams(params: MdiParams): string | undefined {
  for (const side of ['a', 'b'] as const) {
    const p = params[side];
    for (const k of ['s', 'mu', 'nu', 'pS', 'pMu', 'pNu'] as const) {
      if (!Number.isFinite(p[k]) || p[k] < 0) return `${side}.${k} must be a finite number >= 0`;
    }
    if (!(p.mu > p.nu)) return `${side}.mu must exceed ${side}.nu`;
    if (!(p.nu > 0)) return `${side}.nu must be > 0`;
    if (!(p.s > 0)) return `${side}.s must be > 0`;
    if (!(probVacuum(p) > 0)) return `${side}: pS + pMu + pNu must be < 1 (vacuum needs a probability)`;
    if (!(p.pS > 0 && p.pMu > 0 && p.pNu > 0)) return `${side}: every probability must be > 0`;
  }
  return undefined;
}

export interface MdiDecoyBounds {
  /** Lower bound of the single-pair yield s11 (any basis). */
  s11L: number;
  /** Upper bound of the single-pair X error yield t11 = e11 s11. */
  t11U: number;
  /** Upper bound of the single-pair X error rate. */
  e11U: number;
}

/** s11_L, t11_U and e11_U from the X-basis decoy counts (see header). */
export function mdiDecoyBounds(counts: MdiCounts, params: MdiParams, eps: number): MdiDecoyBounds {
  const N = counts.pulses;
  const { a: A, b: B } = params;
  const n = (k: MdiPair) => counts.n[k] ?? 0;
  const m = (k: MdiPair) => counts.m[k] ?? 0;
  // Weight of a count in a gain: S_lr = n_lr / (N p^A_l p^B_r).
  const g = (l: MdiIntensity, r: MdiIntensity) => 1 / (N * prob(A, l) * prob(B, r));

  const aN = (k: number) => poisson(k, A.nu), aM = (k: number) => poisson(k, A.mu);
  const bN = (k: number) => poisson(k, B.nu), bM = (k: number) => poisson(k, B.mu);
  // Cancel the (1,2) term when nu_A/mu_A <= nu_B/mu_B, else the (2,1) term (header).
  const cancel12 = A.nu / A.mu <= B.nu / B.mu;
  const c1 = cancel12 ? aM(1) * bM(2) : aM(2) * bM(1); // multiplies D_nu
  const c2 = cancel12 ? aN(1) * bN(2) : aN(2) * bN(1); // multiplies D_mu
  const den = cancel12 ? aN(1) * aM(1) * (bN(1) * bM(2) - bM(1) * bN(2)) : bN(1) * bM(1) * (aN(1) * aM(2) - aM(1) * aN(2));

  const pos: WeightedCount[] = [];
  const neg: WeightedCount[] = [];
  const add = (w: number, cnt: number) => (w >= 0 ? pos : neg).push({ w: Math.abs(w), n: cnt });
  add(c1 * g('nu', 'nu'), n('nu-nu'));
  add(-c1 * aN(0) * g('o', 'nu'), n('o-nu'));
  add(-c1 * bN(0) * g('nu', 'o'), n('nu-o'));
  add(-c2 * g('mu', 'mu'), n('mu-mu'));
  add(c2 * aM(0) * g('o', 'mu'), n('o-mu'));
  add(c2 * bM(0) * g('mu', 'o'), n('mu-o'));
  add((c1 * aN(0) * bN(0) - c2 * aM(0) * bM(0)) * g('o', 'o'), n('o-o'));
  const s11L = Math.max(0, (jointExpectedBound(pos, eps, 'lower') - jointExpectedBound(neg, eps, 'upper')) / den);

  const ePos: WeightedCount[] = [
    { w: g('nu', 'nu'), n: m('nu-nu') },
    { w: aN(0) * bN(0) * g('o', 'o'), n: m('o-o') },
  ];
  const eNeg: WeightedCount[] = [
    { w: aN(0) * g('o', 'nu'), n: m('o-nu') },
    { w: bN(0) * g('nu', 'o'), n: m('nu-o') },
  ];
  const t11U = Math.max(0, (jointExpectedBound(ePos, eps, 'upper') - jointExpectedBound(eNeg, eps, 'lower')) / (aN(1) * bN(1)));
  const e11U = s11L > 0 ? Math.min(0.5, t11U / s11L) : 0.5;
  return { s11L, t11U, e11U };
}

/** log2 terms of the Jiang 2021 key length (correctness, smoothing, privacy amplification). */
export function mdiSecurityCost(sec: MdiSecurity = {}): number {
  const epsCor = sec.epsCor ?? 1e-10;
  const epsPA = sec.epsPA ?? 1e-10;
  const epsS = sec.epsSmooth ?? 1e-10;
  return Math.log2(8 / epsCor) + 2 * Math.log2(2 / (epsS * epsS)) + 2 * Math.log2(1 / (2 * epsPA));
}

/**
 * Finite-key length from observed counts (the post-processing calls this on emulated
 * statistics with `leakEC` = bits Cascade disclosed; the prediction calls it on expected counts
 * with `f`). Never throws on bad statistics: returns secretBits 0 with a reason.
 */
export function mdiEstimateFromCounts(counts: MdiCounts, params: MdiParams, ec: MdiEstimateInput = {}, sec: MdiSecurity = {}): KeyRateResult {
  const problem = checkMdiParams(params);
  const N = counts.pulses;
  const flat: Record<string, number> = {};
  for (const side of ['a', 'b'] as const) {
    const p = params[side];
    const S = side.toUpperCase();
    Object.assign(flat, { [`s${S}`]: p.s, [`mu${S}`]: p.mu, [`nu${S}`]: p.nu, [`pS${S}`]: p.pS, [`pMu${S}`]: p.pMu, [`pNu${S}`]: p.pNu, [`pO${S}`]: probVacuum(p) });
  }
  const nss = counts.n['s-s'] ?? 0;
  const mss = counts.m['s-s'] ?? 0;
  const ess = nss > 0 ? mss / nss : 0;
  const f = ec.f ?? 1.16;
  const leakEC = ec.leakEC ?? f * nss * binaryEntropy(ess);
  const base: KeyRateResult = {
    protocol: 'mdi', pulses: N, params: flat, siftedBits: nss, qber: ess, phaseErrorBound: 0.5,
    leakEC, secretBits: 0, secretBitsPerPulse: 0, terms: {},
  };
  if (problem) return { ...base, reason: `bad parameters: ${problem}` };
  if (!(N > 0) || !Number.isFinite(N)) return { ...base, reason: 'pulses must be a finite number > 0' };

  const eps = sec.epsPE ?? 1e-10;
  const { s11L, t11U, e11U } = mdiDecoyBounds(counts, params, eps);
  const { a: A, b: B } = params;
  const p11 = A.s * Math.exp(-A.s) * B.s * Math.exp(-B.s);
  const zWindow = N * A.pS * B.pS * p11;
  const n11L = observedLower(zWindow * s11L, eps);
  const phErrU = observedUpper(zWindow * t11U, eps);
  const phi = n11L > 0 ? Math.min(0.5, phErrU / n11L) : 0.5;
  const cost = mdiSecurityCost(sec);
  const raw = n11L * (1 - binaryEntropy(phi)) - leakEC - cost;
  const secretBits = raw > 0 ? Math.floor(raw) : 0;
  // Wei et al. 2020 Eq. (A1) with our bounds, per pulse (asymptotic-style final step, for comparison).
  const qss = nss / (N * A.pS * B.pS);
  const weiRatePerPulse = A.pS * B.pS * (p11 * s11L * (1 - binaryEntropy(e11U)) - f * qss * binaryEntropy(ess));
  const terms = { s11L, t11U, e11U, n11L, phaseErrorsU: phErrU, zWindowPairs: zWindow, securityCost: cost, rawKeyLength: raw, weiRatePerPulse };
  const result: KeyRateResult = { ...base, phaseErrorBound: phi, secretBits, secretBitsPerPulse: secretBits / N, terms };
  if (secretBits === 0) {
    result.reason = n11L <= 0 ? 'no single-photon pairs can be certified (decoy bound is zero)'
      : phi >= 0.5 ? 'phase-error bound reaches 1/2'
      : 'error correction and security cost exceed the single-pair secrecy';
  }
  return result;
}

/**
 * The final-key step of Wei et al., PRX 10, 031030 (2020), Eq. (A1), per pulse pair:
 *   R = P_s^2 { s^2 e^{-2s} Y11^{X,L} [1 - h(e11^{X,U})] - f Q_ss^Z h(E_ss^Z) }
 * (symmetric case; pSA/pSB and sA/sB kept separate for the asymmetric generalisation).
 */
export function weiFinalKeyRate(x: { pSA: number; pSB: number; sA: number; sB: number; y11L: number; e11U: number; qss: number; ess: number; f: number }): number {
  const p11 = x.sA * Math.exp(-x.sA) * x.sB * Math.exp(-x.sB);
  return x.pSA * x.pSB * (p11 * x.y11L * (1 - binaryEntropy(x.e11U)) - x.f * x.qss * binaryEntropy(x.ess));
}

export { expectedLower, expectedUpper };
