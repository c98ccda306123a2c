// Entanglement-based BBM92 with a (polarisation-)entangled SPDC source between the two D nodes:
// Ma, Fung, Lo, "Quantum key distribution with entangled photon sources", PRA 76, 012307 (2007).
//   P(n) = (n+1) lambda^n / (1+lambda)^{n+2}                        (Eq. (1); mean pair number 2 lambda)
//   Y_n = [1 - (1-Y0A)(1-eta_A)^n][1 - (1-Y0B)(1-eta_B)^n]          (Sec. III, threshold detectors)
//   Q_lambda = 1 - (1-Y0A)/(1+eta_A lambda)^2 - (1-Y0B)/(1+eta_B lambda)^2
//              + (1-Y0A)(1-Y0B)/(1+eta_A lambda+eta_B lambda-eta_A eta_B lambda)^2
//   E_lambda Q_lambda = e0 Q_lambda - 2(e0-e_d) eta_A eta_B lambda(1+lambda) /
//              [(1+eta_A lambda)(1+eta_B lambda)(1+eta_A lambda+eta_B lambda-eta_A eta_B lambda)]
//   R = q Q_lambda [1 - f h(E_lambda) - h(E_lambda)]                 (squashing model, q = 1/2)
// The closed forms were checked against the photon-number sums (test/keyrate/bbm92.test.ts),
// using sum_n P(n) x^n = 1/(1 + lambda(1-x))^2.
// Y0A, Y0B = 2 p_dark (two detectors each side).
//
// Finite size (documented choice, not from Ma et al.): key from the X basis (probability qX at
// both ends, active choice), phase error from the Z-basis bit errors by random sampling without
// replacement, phi <= E_Z + gamma(eps_sec, E_Z, n_Z, n_X) (Lim 2014 Eq. (5) gamma), and
// l = n_X [1 - h(phi)] - f n_X h(E_X) - 6 log2(21/eps_sec) - log2(2/eps_cor)
// (the same security-parameter overhead as Lim 2014 Eq. (1)). Large N recovers the rate above.
// bbm92FromCounts is that formula on counts: bbm92Predict feeds it expected counts, the session's
// estimation (postprocessing/estimation-bbm92.ts) the observed ones and the bits Cascade disclosed.
// Approximations: every coincidence counts as a pair (squashing model; no decoy-like bound on
// multi-pair events, which Ma et al. show is not needed for the entangled source), and the
// passive basis choice is modelled as an independent X/Z choice with probability qX per side.

import type { KeyRateResult } from './types.ts';
import { binaryEntropy, entropyCapped } from './entropy.ts';
import { limGamma, DEFAULT_EPS, type SecurityParams } from './bb84-lim.ts';
import { maximise } from './optimise.ts';

export interface Bbm92Link {
  /** Total transmittance source -> Alice's detectors (fibre, optics, detector efficiency). */
  etaA: number;
  etaB: number;
  /** Dark-count probability per detector per gate. */
  pDark: number;
  /** Intrinsic misalignment e_d (source + both analysers). */
  eMis: number;
}

/** Q_lambda and E_lambda of Ma, Fung, Lo 2007 (closed forms above). */
export function bbm92GainQber(lambda: number, link: Bbm92Link): { gain: number; qber: number } {
  const { etaA, etaB } = link;
  const y0a = 2 * link.pDark, y0b = 2 * link.pDark;
  const a = 1 + etaA * lambda, b = 1 + etaB * lambda, c = 1 + etaA * lambda + etaB * lambda - etaA * etaB * lambda;
  const gain = 1 - (1 - y0a) / (a * a) - (1 - y0b) / (b * b) + ((1 - y0a) * (1 - y0b)) / (c * c);
  const e0 = 0.5;
  const eq = e0 * gain - (2 * (e0 - link.eMis) * etaA * etaB * lambda * (1 + lambda)) / (a * b * c);
  return { gain, qber: gain > 0 ? Math.min(0.5, Math.max(0, eq / gain)) : 0.5 };
}

/** Asymptotic BBM92 key per pulse, R = q Q [1 - f h(E) - h(E)], q = 1/2 (Ma, Fung, Lo 2007). */
export function bbm92AsymptoticRate(lambda: number, link: Bbm92Link, f: number, q = 0.5): number {
  const { gain, qber } = bbm92GainQber(lambda, link);
  return q * gain * (1 - f * binaryEntropy(qber) - binaryEntropy(qber));
}

export interface Bbm92PredictInput {
  link: Bbm92Link;
  lambda: number;
  pulses: number;
  f: number;
  /** X-basis probability at both ends (default 0.5). */
  qX?: number;
  eps?: SecurityParams;
}

/** Observed (or expected) BBM92 counts: matching-basis coincidences and their errors per basis. */
export interface Bbm92Counts {
  /** X-basis (key) coincidences n_X and their bit errors m_X (known after EC). */
  nX: number;
  mX: number;
  /** Z-basis (test) coincidences n_Z, all disclosed, and their bit errors m_Z. */
  nZ: number;
  mZ: number;
}

/**
 * Finite-key length from counts (the finite-size choice of the header): E_Z = m_Z / n_Z,
 * phi_X <= E_Z + gamma(eps_sec, E_Z, n_Z, n_X) (Lim 2014 Eq. (5), random sampling without
 * replacement of the complementary basis) and Lim 2014 Eq. (1) with every coincidence counted as a
 * pair (squashing model, Ma, Fung, Lo 2007 Sec. III):
 *   l = n_X [1 - h(phi_X)] - leak_EC - 6 log2(21/eps_sec) - log2(2/eps_cor).
 */
export function bbm92FromCounts(c: Bbm92Counts, leakEC: number, pulses: number, params: Record<string, number>, eps: SecurityParams = DEFAULT_EPS): KeyRateResult {
  const eZ = c.nZ > 0 ? c.mZ / c.nZ : 0.5;
  const gamma = limGamma(eps.epsSec, eZ, c.nZ, c.nX);
  const phi = c.nZ > 0 ? Math.min(0.5, eZ + gamma) : 0.5;
  const lRaw = c.nX * (1 - entropyCapped(phi)) - leakEC - 6 * Math.log2(21 / eps.epsSec) - Math.log2(2 / eps.epsCor);
  const secretBits = Math.max(0, Math.floor(lRaw));
  const r: KeyRateResult = {
    protocol: 'bbm92', pulses, params,
    siftedBits: c.nX, qber: c.nX > 0 ? c.mX / c.nX : 0, phaseErrorBound: phi, leakEC, secretBits,
    secretBitsPerPulse: pulses > 0 ? secretBits / pulses : 0,
    terms: { nX: c.nX, nZ: c.nZ, eZ, gamma, lRaw, objective: lRaw - Math.max(0, eZ + gamma - 0.5) * c.nX },
  };
  if (secretBits === 0) r.reason = phi >= 0.5 ? 'phase-error bound reached 1/2' : 'finite-size and error-correction cost exceed the extractable entropy';
  return r;
}

export function bbm92Predict(input: Bbm92PredictInput): KeyRateResult {
  const qX = input.qX ?? 0.5;
  const { gain, qber } = bbm92GainQber(input.lambda, input.link);
  const nX = input.pulses * qX * qX * gain;
  const nZ = input.pulses * (1 - qX) * (1 - qX) * gain;
  const leakEC = input.f * nX * binaryEntropy(qber);
  const r = bbm92FromCounts({ nX, mX: nX * qber, nZ, mZ: nZ * qber }, leakEC, input.pulses, { lambda: input.lambda, qX }, input.eps ?? DEFAULT_EPS);
  r.terms.gain = gain;
  return r;
}

/** Optimise lambda (and qX unless fixed) for the finite-key length. */
export function bbm92Optimise(input: Omit<Bbm92PredictInput, 'lambda' | 'qX'> & { qX?: number; lambdaMax?: number }): KeyRateResult {
  const fixedQ = input.qX;
  const lambdaMax = input.lambdaMax ?? 0.5;
  // log10(lambda) is the natural scale: optima range from ~1e-3 (high loss) to ~0.1.
  const lo = [-5, 0.5], hi = [Math.log10(lambdaMax), 0.99];
  const run = (x: number[]) => bbm92Predict({ ...input, lambda: 10 ** x[0], qX: fixedQ ?? x[1] });
  const best = maximise(x => (run(x).terms.objective as number) / input.pulses, { lo, hi }, { starts: [[-1.5, 0.7], [-3, 0.6]], maxEvals: 1500 });
  return run(best.x);
}
