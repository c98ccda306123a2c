// Prepare-and-measure BB84 from an E node (heralded SPDC source) to a D node, with passive decoy
// states: the heralded and non-heralded pulses of the source have different photon-number
// statistics and play the role of signal and decoy (Adachi, Yamamoto, Koashi, Imoto, PRL 99,
// 180503 (2007); Ma, Fung, Lo, PRA 76, 012307 (2007), Sec. on heralded sources).
// Source model: one signal mode of SPDC, thermal P(n) = mu^n / (1+mu)^{n+1} (mean pair number mu);
// Alice's herald detector (efficiency eta_h, dark d) fires with 1 - (1-d)(1-eta_h)^n.
// Bob: Y_n = 1 - (1-Y0)(1-eta)^n, e_n Y_n = e0 Y0 + e_d (Y_n - Y0) (Lo, Ma, Chen 2005 model).
// Closed forms from sum_n P(n) x^n = 1 / (1 + mu(1-x)).
//
// PREDICTION ONLY, with a documented approximation: the passive decoy is assumed to estimate
// the single-photon yield Y1 and error e1 of heralded pulses (the two-class estimate becomes
// exact as the herald efficiency and N grow); finite size is added in the spirit of Lim 2014:
// the single-photon count of each basis is lowered by twice the Hoeffding deviation
// sqrt(n/2 ln(21/eps_sec)) (one per passive-decoy class) and the phase error raised by gamma
// (Eq. (5)). A heuristic, not a security proof: use it for ranking and planning.

import type { KeyRateResult } from './types.ts';
import { binaryEntropy, entropyCapped } from './entropy.ts';
import { limGamma, DEFAULT_EPS, type SecurityParams } from './bb84-lim.ts';
import { maximise } from './optimise.ts';

export interface HeraldedLink {
  /** Transmittance source -> Bob's detectors (incl. detector efficiency). */
  eta: number;
  pDark: number;
  eMis: number;
  heraldEfficiency: number;
  heraldDark: number;
}

export function heraldedStats(mu: number, l: HeraldedLink) {
  const d = l.heraldDark, eh = l.heraldEfficiency, y0 = 2 * l.pDark, eta = l.eta;
  const herald = 1 - (1 - d) / (1 + mu * eh);
  const gain = herald - (1 - y0) / (1 + mu * eta) + ((1 - d) * (1 - y0)) / (1 + mu * (1 - (1 - eh) * (1 - eta)));
  const p0 = 1 / (1 + mu), p1 = mu / ((1 + mu) * (1 + mu));
  const y1 = 1 - (1 - y0) * (1 - eta);
  const e1 = (0.5 * y0 + l.eMis * (y1 - y0)) / y1;
  const q1 = p1 * (1 - (1 - d) * (1 - eh)) * y1; // heralded single-photon gain
  const q0 = p0 * d * y0; // heralded vacuum gain (dark herald, dark click)
  const hVac = p0 * d; // heralded vacuum probability
  const eq = 0.5 * y0 * herald + l.eMis * (gain - y0 * herald);
  return { herald, gain, qber: gain > 0 ? Math.min(0.5, eq / gain) : 0.5, q1, q0, y1, e1, hVac };
}

export function heraldedPredict(input: { link: HeraldedLink; mu: number; pulses: number; f: number; qX?: number; eps?: SecurityParams }): KeyRateResult {
  const eps = input.eps ?? DEFAULT_EPS, qX = input.qX ?? 0.5;
  const s = heraldedStats(input.mu, input.link);
  const xx = qX * qX, zz = (1 - qX) * (1 - qX);
  const nX = input.pulses * xx * s.gain, nZ = input.pulses * zz * s.gain;
  const delta = Math.sqrt((nX / 2) * Math.log(21 / eps.epsSec));
  const sX1 = Math.max(0, input.pulses * xx * s.q1 - 2 * delta);
  const sZ1 = Math.max(0, input.pulses * zz * s.q1 - Math.sqrt((nZ / 2) * Math.log(21 / eps.epsSec)) * 2);
  const sX0 = input.pulses * xx * s.q0;
  const gamma = sZ1 > 0 && sX1 > 0 ? limGamma(eps.epsSec, s.e1, sZ1, sX1) : 0.5;
  const phi = Math.min(0.5, s.e1 + gamma);
  const leakEC = input.f * nX * binaryEntropy(s.qber);
  const lRaw = sX0 + sX1 * (1 - entropyCapped(phi)) - leakEC - 6 * Math.log2(21 / eps.epsSec) - Math.log2(2 / eps.epsCor);
  const secretBits = Math.max(0, Math.floor(lRaw));
  const r: KeyRateResult = {
    protocol: 'bb84-heralded', pulses: input.pulses, params: { mu: input.mu, qX },
    siftedBits: nX, qber: s.qber, phaseErrorBound: phi, leakEC, secretBits,
    secretBitsPerPulse: input.pulses > 0 ? secretBits / input.pulses : 0,
    terms: { herald: s.herald, gain: s.gain, sX0, sX1, sZ1, e1: s.e1, gamma, lRaw, objective: lRaw },
  };
  if (secretBits === 0) r.reason = 'finite-size and error-correction cost exceed the extractable entropy';
  return r;
}

export function heraldedOptimise(input: { link: HeraldedLink; pulses: number; f: number; eps?: SecurityParams }): KeyRateResult {
  const run = (x: number[]) => heraldedPredict({ ...input, mu: 10 ** x[0], qX: x[1] });
  const best = maximise(x => (run(x).terms.lRaw as number) / input.pulses, { lo: [-4, 0.5], hi: [0, 0.99] }, { starts: [[-1, 0.8]], maxEvals: 1200 });
  return run(best.x);
}
