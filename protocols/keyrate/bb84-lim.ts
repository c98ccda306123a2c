// Finite-key decoy-state BB84 with three intensities, exactly the bounds of
// Lim, Curty, Walenta, Xu, Zbinden, "Concise security bounds for practical decoy-state QKD",
// PRA 89, 022307 (2014): Eq. (1) key length, Eq. (2) vacuum events, Eq. (3) single-photon
// events, Eq. (4) single-photon errors in Z, Eq. (5) phase-error rate with gamma.
// Key from the X basis, all three intensities enter the key; Hoeffding deviations
// sqrt(n/2 ln(21/eps_sec)) (eps_sec = 21 eps, App. B, Eq. B4).
//
// `bb84EstimateFromCounts` is what the post-processing calls on observed (emulated) counts;
// `bb84Predict` feeds it the expected counts of the Lim 2014 Sec. IV device model.

import type { KeyRateResult } from './types.ts';
import { binaryEntropy, entropyCapped } from './entropy.ts';
import { bb84ExpectedCounts, intensityProbs, INTENSITIES, type Bb84Link, type Bb84SourceParams, type Intensity } from '../physics/bb84-model.ts';

export interface SecurityParams { epsSec: number; epsCor: number }
export const DEFAULT_EPS: SecurityParams = { epsSec: 1e-10, epsCor: 1e-15 };

/** Observed statistics in the matching-basis sets X_k and Z_k (Lim 2014 protocol step 3/4). */
export interface Bb84Counts {
  /** n_{X,k}: detections with Alice and Bob both in X, per intensity. */
  nX: Record<Intensity, number>;
  /** m_{X,k}: bit errors among n_{X,k} (found by error correction or disclosed for testing). */
  mX: Record<Intensity, number>;
  nZ: Record<Intensity, number>;
  /** m_{Z,k}: bit errors in Z, all disclosed. */
  mZ: Record<Intensity, number>;
  /** Pulses sent N (for the per-pulse rate; optional). */
  pulses?: number;
}

export interface Bb84EstimateParams {
  /** Intensities and their probabilities (qX is reported, not used by the bounds). */
  source: Bb84SourceParams;
  /** Error-correction inefficiency for the predicted leak f n_X h(E_X) (Lim 2014 Sec. IV). */
  f?: number;
  /** Bits actually disclosed by error correction; overrides f n_X h(E_X). */
  leakEC?: number;
}

const sum = (r: Record<Intensity, number>) => r.mu1 + r.mu2 + r.mu3;

/** gamma(a, b, c, d) of Lim 2014 Eq. (5) (random sampling without replacement, Fung et al. 2010). */
export function limGamma(a: number, b: number, c: number, d: number): number {
  if (!(b > 0 && b < 1 && c > 0 && d > 0)) return 0;
  const arg = ((c + d) / (c * d * (1 - b) * b)) * (21 * 21) / (a * a);
  const inner = ((c + d) * (1 - b) * b) / (c * d * Math.LN2) * Math.log2(arg);
  return inner > 0 ? Math.sqrt(inner) : 0;
}

interface DecoyBounds { s0: number; s1: number; s1Raw: number; tau0: number; tau1: number }

/** tau_n = sum_k p_k e^{-k} k^n / n! (Lim 2014, below Eq. (2)). */
export function limTau(n: number, source: Bb84SourceParams): number {
  const pk = intensityProbs(source);
  let fact = 1;
  for (let i = 2; i <= n; i++) fact *= i;
  return INTENSITIES.reduce((acc, i) => acc + pk[i] * Math.exp(-source[i]) * Math.pow(source[i], n) / fact, 0);
}

/** n^{+-}_{k} = (e^k / p_k)(n_k +- sqrt(n/2 ln(21/eps_sec))) (Lim 2014, below Eq. (2)). */
function hoeffding(counts: Record<Intensity, number>, source: Bb84SourceParams, epsSec: number, sign: 1 | -1): Record<Intensity, number> {
  const pk = intensityProbs(source);
  const delta = Math.sqrt((sum(counts) / 2) * Math.log(21 / epsSec));
  const out = {} as Record<Intensity, number>;
  for (const i of INTENSITIES) out[i] = (Math.exp(source[i]) / pk[i]) * (counts[i] + sign * delta);
  return out;
}

/** Eqs. (2) and (3): lower bounds on vacuum and single-photon events in one basis. */
function decoyBounds(n: Record<Intensity, number>, source: Bb84SourceParams, epsSec: number): DecoyBounds {
  const { mu1, mu2, mu3 } = source;
  const tau0 = limTau(0, source), tau1 = limTau(1, source);
  const np = hoeffding(n, source, epsSec, 1), nm = hoeffding(n, source, epsSec, -1);
  const s0 = Math.max(0, (tau0 * (mu2 * nm.mu3 - mu3 * np.mu2)) / (mu2 - mu3));
  const s1num = tau1 * mu1 * (nm.mu2 - np.mu3 - ((mu2 * mu2 - mu3 * mu3) / (mu1 * mu1)) * (np.mu1 - s0 / tau0));
  const s1den = mu1 * (mu2 - mu3) - mu2 * mu2 + mu3 * mu3;
  const s1 = Math.max(0, s1num / s1den);
  return { s0, s1, s1Raw: s1num / s1den, tau0, tau1 };
}

function validSource(s: Bb84SourceParams): string | undefined {
  const p3 = 1 - s.pMu1 - s.pMu2;
  if (!(s.mu3 >= 0 && s.mu2 > s.mu3 && s.mu1 > s.mu2 + s.mu3)) return 'intensities must satisfy mu1 > mu2 + mu3, mu2 > mu3 >= 0 (Lim 2014 Sec. II)';
  if (!(s.pMu1 > 0 && s.pMu2 > 0 && p3 > 0)) return 'intensity probabilities must be positive and sum to 1';
  if (!(s.qX > 0 && s.qX < 1)) return 'qX must lie in (0, 1)';
  return undefined;
}

/** Finite-key length from observed per-intensity counts (Lim 2014 Eqs. (1)-(5)). */
export function bb84EstimateFromCounts(counts: Bb84Counts, params: Bb84EstimateParams, eps: SecurityParams = DEFAULT_EPS): KeyRateResult {
  const source = params.source;
  const nX = sum(counts.nX), mX = sum(counts.mX), nZ = sum(counts.nZ), mZ = sum(counts.mZ);
  const qber = nX > 0 ? mX / nX : 0;
  const leakEC = params.leakEC ?? (params.f ?? 1.16) * nX * binaryEntropy(qber);
  const pulses = counts.pulses ?? 0;
  const base: KeyRateResult = {
    protocol: 'bb84', pulses,
    params: { qX: source.qX, qXBob: source.qXBob ?? source.qX, mu1: source.mu1, mu2: source.mu2, mu3: source.mu3, pMu1: source.pMu1, pMu2: source.pMu2, pMu3: 1 - source.pMu1 - source.pMu2 },
    siftedBits: nX, qber, phaseErrorBound: 0.5, leakEC, secretBits: 0, secretBitsPerPulse: 0,
    terms: { nX, mX, nZ, mZ },
  };
  const bad = validSource(source);
  if (bad) return { ...base, terms: { ...base.terms, lRaw: -1e30 }, reason: bad };
  if (!(nX > 0 && nZ > 0)) return { ...base, terms: { ...base.terms, lRaw: -1e30 }, reason: 'no detections in X or Z' };

  const bx = decoyBounds(counts.nX, source, eps.epsSec);
  const bz = decoyBounds(counts.nZ, source, eps.epsSec);
  // Eq. (4): v_Z1 <= tau1 (m+_{Z,mu2} - m-_{Z,mu3}) / (mu2 - mu3)
  const mp = hoeffding(counts.mZ, source, eps.epsSec, 1), mm = hoeffding(counts.mZ, source, eps.epsSec, -1);
  const vZ1 = Math.max(0, (bz.tau1 * (mp.mu2 - mm.mu3)) / (source.mu2 - source.mu3));
  // Eq. (5): phi_X <= v_Z1/s_Z1 + gamma(eps_sec, v_Z1/s_Z1, s_Z1, s_X1)
  let phiX = 0.5, gamma = 0, phiUncapped = 1;
  if (bz.s1 > 0 && bx.s1 > 0) {
    const b = Math.min(0.5, vZ1 / bz.s1);
    gamma = limGamma(eps.epsSec, b, bz.s1, bx.s1);
    phiUncapped = vZ1 / bz.s1 + gamma;
    phiX = Math.min(0.5, phiUncapped);
  }
  // Eq. (1)
  const lRaw = bx.s0 + bx.s1 - bx.s1 * entropyCapped(phiX) - leakEC - 6 * Math.log2(21 / eps.epsSec) - Math.log2(2 / eps.epsCor);
  const secretBits = Math.max(0, Math.floor(lRaw));
  // A smooth surrogate for optimisers: equals lRaw where the bounds are informative, and keeps
  // a slope where s_1 < 0 or the phase-error bound is past 1/2 (lRaw is flat there).
  const objective = lRaw + Math.min(0, bx.s1Raw) + Math.min(0, bz.s1Raw) - Math.max(0, phiUncapped - 0.5) * nX;
  const terms = { ...base.terms, sX0: bx.s0, sX1: bx.s1, sZ0: bz.s0, sZ1: bz.s1, vZ1, gamma, tau0: bx.tau0, tau1: bx.tau1, lRaw, objective };
  const result: KeyRateResult = { ...base, phaseErrorBound: phiX, secretBits, secretBitsPerPulse: pulses > 0 ? secretBits / pulses : 0, terms };
  if (secretBits === 0) result.reason = bx.s1 <= 0 ? 'single-photon lower bound s_X1 is zero' : phiX >= 0.5 ? 'phase-error bound reached 1/2' : 'finite-size and error-correction cost exceed the extractable entropy';
  return result;
}

export interface Bb84PredictInput {
  link: Bb84Link;
  source: Bb84SourceParams;
  /** Pulses sent N. */
  pulses: number;
  /** Error-correction inefficiency f. */
  f: number;
  eps?: SecurityParams;
}

/** Predicted key length: the Lim bounds applied to the expected counts of the device model. */
export function bb84Predict(input: Bb84PredictInput): KeyRateResult {
  const c = bb84ExpectedCounts(input.source, input.link, input.pulses);
  return bb84EstimateFromCounts({ ...c, pulses: input.pulses }, { source: input.source, f: input.f }, input.eps ?? DEFAULT_EPS);
}

/** Pulses needed for an expected X-basis block of n_X detections with these settings. */
export function bb84PulsesForBlock(nXBlock: number, source: Bb84SourceParams, link: Bb84Link): number {
  const perPulse = sum(bb84ExpectedCounts(source, link, 1).nX);
  return perPulse > 0 ? nXBlock / perPulse : Number.POSITIVE_INFINITY;
}
