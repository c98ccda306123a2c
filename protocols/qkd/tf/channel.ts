// Observable model of SNS-TF-QKD: expected rates of effective events (exactly one of the relay's
// two detectors clicks) and of errors, for given source intensities, on the C--D--C channel.
//
// Physics. Pulses of intensities a = eta_A mu_A and b = eta_B mu_B reach the relay's 50:50 beam
// splitter with relative phase delta; its outputs carry Poisson means
//   I_L = (a + b + 2 sqrt(ab) cos delta)/2,  I_R = (a + b - 2 sqrt(ab) cos delta)/2,
// and a threshold detector with dark-count probability p_d stays silent with probability
// (1 - p_d) e^{-I}. "Only L clicks" has probability (1 - (1-p_d) e^{-I_L}) (1-p_d) e^{-I_R}.
// With independently phase-randomised pulses (Z windows, decoy windows), averaging over delta
// uses <e^{x cos delta}> = I_0(x):
//   S(a,b) = 2 (1-p_d) e^{-(a+b)/2} I_0(sqrt(ab)) - 2 (1-p_d)^2 e^{-(a+b)}
// (the Z-window and decoy-window counting rates of the SNS simulations: Wang, Yu & Hu, PRA 98,
// 062323 (2018), Appendix "numerical simulation"; Jiang et al., PR Applied 12, 024061 (2019),
// Appendix; the same rates written out in Yu, Hu, Jiang, Xu, Wang, Sci. Rep. 9, 3080 (2019)).
// X1 windows (both mu1) are post-selected on the announced phases: delta uniform in a slice of
// width Delta around 0 (or around pi, with the detectors' roles exchanged, same rates). The
// "wrong" detector is R; misalignment e_d sends the interfering light to the other detector with
// probability e_d (the single-photon-interference misalignment error of Wang, Yu & Hu 2018).
// The papers' own equation numbers could not be checked (their full texts are not in the
// reference store, only their abstracts), so the forms are derived here from the setup above and
// checked independently in test/keyrate/tf-model.test.ts (phase quadrature, photon-number sums).

import type { TfLink, TfParams } from './types.ts';
import type { TfObserved } from './estimate.ts';

/** I_0(x) - 1 for x >= 0, the modified Bessel function less its leading term (power series, kept
 *  apart from the 1 so that rates of order p_d ~ 1e-11 do not drown in rounding). */
export function besselI0m1(x: number): number {
  if (x > 30) return Math.exp(x) / Math.sqrt(2 * Math.PI * x) * (1 + 1 / (8 * x) + 9 / (128 * x * x)) - 1;
  const q = (x * x) / 4;
  let term = 1, sum = 0;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

export function besselI0(x: number): number {
  return 1 + besselI0m1(x);
}

/** Probability of an effective event (exactly one click) for phase-randomised intensities a, b at the relay. */
export function effectiveRate(a: number, b: number, pDark: number): number {
  const q = 1 - pDark;
  const h = (a + b) / 2;
  // 2q e^{-h} [I0(sqrt(ab)) - q e^{-h}], written as a sum of non-negative terms (no cancellation).
  return 2 * q * Math.exp(-h) * (besselI0m1(Math.sqrt(a * b)) - Math.expm1(-h) + pDark * Math.exp(-h));
}

/** (1 - (1-p_d) e^{-iOn}) (1-p_d) e^{-iOff}, with 1 - (1-p_d) e^{-I} = p_d + (1-p_d)(1 - e^{-I}) (no cancellation). */
function onlyClick(iOn: number, iOff: number, pDark: number): number {
  const q = 1 - pDark;
  return (pDark - q * Math.expm1(-iOn)) * q * Math.exp(-iOff);
}

const SLICE_NODES = 64;

/** Post-selected X1 window (both send mu1, phases in the same slice): effective-event rate and error rate. */
export function x1Rates(link: TfLink, mu1: number): { s: number; t: number } {
  const a = link.etaA * mu1, b = link.etaB * mu1;
  const delta = link.phaseSlice ?? (2 * Math.PI) / 16;
  // Midpoint rule over delta in [-Delta/2, Delta/2] (smooth integrand; 64 nodes: error < 1e-9 relative).
  let s = 0, t = 0;
  for (let i = 0; i < SLICE_NODES; i++) {
    const d = -delta / 2 + ((i + 0.5) * delta) / SLICE_NODES;
    const cross = Math.sqrt(a * b) * Math.cos(d);
    const iRight = (a + b) / 2 + cross, iWrong = (a + b) / 2 - cross;
    const wrong = onlyClick(iWrong, iRight, link.pDark), right = onlyClick(iRight, iWrong, link.pDark);
    s += wrong + right;
    t += (1 - link.eMis) * wrong + link.eMis * right;
  }
  return { s: s / SLICE_NODES, t: t / SLICE_NODES };
}

/** Per-window rates of every source pair the estimator uses (rates per window of that kind). */
export interface TfRates {
  /** Z windows, per both-Z window: effective events and errors (both sent or neither sent). */
  zEvents: number;
  zErrors: number;
  /** Decoy windows: S(0,0), and one side mu_k with the other vacuum, as the average of (k,0) and (0,k). */
  s00: number;
  s01: number;
  s02: number;
  /** Post-selected X1 windows: effective events and errors. */
  x1Events: number;
  x1Errors: number;
}

export function tfRates(link: TfLink, p: TfParams): TfRates {
  const { etaA, etaB, pDark } = link;
  const e = p.epsilon;
  const s00 = effectiveRate(0, 0, pDark);
  const sA = effectiveRate(etaA * p.muZ, 0, pDark), sB = effectiveRate(0, etaB * p.muZ, pDark);
  const sAB = effectiveRate(etaA * p.muZ, etaB * p.muZ, pDark);
  const zErrors = (1 - e) * (1 - e) * s00 + e * e * sAB;
  const zEvents = zErrors + e * (1 - e) * (sA + sB);
  const one = (mu: number) => (effectiveRate(etaA * mu, 0, pDark) + effectiveRate(0, etaB * mu, pDark)) / 2;
  const x1 = x1Rates(link, p.mu1);
  return { zEvents, zErrors, s00, s01: one(p.mu1), s02: one(p.mu2), x1Events: x1.s, x1Errors: x1.t };
}

/** Probability of an X-window intensity. */
export function p2(p: TfParams): number {
  return 1 - p.p0 - p.p1;
}

/** Number of windows of each kind among N (expectations). */
export function windowCounts(p: TfParams, pulses: number, phaseSlice = (2 * Math.PI) / 16) {
  const x = (1 - p.pZ) * (1 - p.pZ);
  return {
    z: pulses * p.pZ * p.pZ,
    n00: pulses * x * p.p0 * p.p0,
    // "one sends mu_k, the other vacuum": both orders.
    n01: pulses * x * 2 * p.p0 * p.p1,
    n02: pulses * x * 2 * p.p0 * p2(p),
    // Both mu1 with phases in matching slices: slices of width Delta around 0 and around pi.
    nX1: pulses * x * p.p1 * p.p1 * (phaseSlice / Math.PI),
  };
}

/** Expected counts (windows x rates), in the shape the estimator reads observed ones. */
export type TfCounts = TfObserved;

export function tfExpectedCounts(link: TfLink, p: TfParams, pulses: number): TfCounts {
  const r = tfRates(link, p);
  const w = windowCounts(p, pulses, link.phaseSlice);
  return {
    pulses, windows: w,
    nZ: w.z * r.zEvents, mZ: w.z * r.zErrors,
    n00: w.n00 * r.s00, n01: w.n01 * r.s01, n02: w.n02 * r.s02,
    nX1: w.nX1 * r.x1Events, mX1: w.nX1 * r.x1Errors,
  };
}

/** Link from fibre lengths, the repository's loss convention (protocols/physics/channel.ts: 10^(-(alpha L + extra)/10)). */
export interface TfFibreLink {
  lengthAKm: number;
  lengthBKm: number;
  etaDet: number;
  pDark: number;
  eMis: number;
  alphaDbPerKm?: number;
  extraLossADb?: number;
  extraLossBDb?: number;
  phaseSlice?: number;
}

export function tfLinkFromFibres(f: TfFibreLink): TfLink {
  const alpha = f.alphaDbPerKm ?? 0.2;
  const t = (km: number, extra: number) => Math.pow(10, -(alpha * km + extra) / 10);
  return {
    etaA: t(f.lengthAKm, f.extraLossADb ?? 0) * f.etaDet,
    etaB: t(f.lengthBKm, f.extraLossBDb ?? 0) * f.etaDet,
    pDark: f.pDark, eMis: f.eMis,
    ...(f.phaseSlice !== undefined ? { phaseSlice: f.phaseSlice } : {}),
  };
}

/**
 * The link with the stronger arm attenuated at the relay to the weaker one's transmittance. The
 * plain SNS protocol has one set of source values for both senders; with unequal arms the X1
 * pulses arrive unequal and interfere with visibility 2 sqrt(ab)/(a+b), so the phase-error bound
 * grows (test/keyrate/tf-model.test.ts: 6 dB lowers the key, 24 dB leaves none). Extra loss inside the untrusted
 * relay is part of the channel, so adding it keeps the security proof; the key is then that of a
 * symmetric link. (Asymmetric source values -- Hu, Jiang, Yu & Wang, PRA 100, 062337 (2019) -- would do
 * better and are not implemented here.)
 */
export function balanceArms(link: TfLink): TfLink {
  const eta = Math.min(link.etaA, link.etaB);
  return { ...link, etaA: eta, etaB: eta };
}
