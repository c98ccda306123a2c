// Fit of per-link constants to a published BB84 row (docs/reference/reference-network.md, "Published QKD
// results"): with the published effective length L and acquisition time T, fixed detectors and
// David's passive 50:50 basis choice, find the extra loss (dB) and the misalignment e_mis such
// that the model's sifted key n_X and QBER E_X equal the published l_sift and e_b. The source
// settings are the optimised ones (the server loads optimised settings from its table), so
// the fit alternates: optimise settings for the current constants, then solve the two
// equations with those settings held, until the constants stop moving. l_sec is NOT used.

import type { KeyRateResult } from './types.ts';
import { bb84Predict } from './bb84-lim.ts';
import { bb84Optimise } from './bb84-optimise.ts';
import { fibreTransmittance } from '../physics/channel.ts';
import type { Bb84Link, Bb84SourceParams } from '../physics/bb84-model.ts';

export interface PublishedBb84Row {
  pair: string;
  seconds: number;
  lengthKm: number;
  f: number;
  lSift: number;
  eB: number;
  lSec: number;
}

export interface Bb84FitAssumptions {
  rateHz: number;
  etaDet: number;
  pDark: number;
  pAfterpulse: number;
  qXBob: number;
  alphaDbPerKm: number;
  mu3: number;
  eps: { epsSec: number; epsCor: number };
}

export const REFERENCE_FIT_ASSUMPTIONS: Bb84FitAssumptions = {
  rateHz: 1e9, etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0, qXBob: 0.5, alphaDbPerKm: 0.2, mu3: 2e-4, eps: { epsSec: 1e-10, epsCor: 1e-15 },
};

export interface Bb84Fit {
  extraLossDb: number;
  misalignment: number;
  /** Prediction with the fitted constants and optimised settings. */
  result: KeyRateResult;
}

function linkFor(row: PublishedBb84Row, a: Bb84FitAssumptions, extraLossDb: number, eMis: number): Bb84Link {
  return { etaCh: fibreTransmittance(row.lengthKm, a.alphaDbPerKm, extraLossDb), etaDet: a.etaDet, pDark: a.pDark, pAfterpulse: a.pAfterpulse, eMis };
}

/** Bisection for a monotone function g on [lo, hi] with g(lo), g(hi) of opposite sign. */
function solve(g: (x: number) => number, lo: number, hi: number, iters = 80): number {
  let glo = g(lo);
  for (let i = 0; i < iters; i++) {
    const mid = (lo + hi) / 2, gm = g(mid);
    if (Math.sign(gm) === Math.sign(glo)) { lo = mid; glo = gm; } else hi = mid;
  }
  return (lo + hi) / 2;
}

export function fitBb84Row(row: PublishedBb84Row, a: Bb84FitAssumptions = REFERENCE_FIT_ASSUMPTIONS): Bb84Fit {
  const pulses = row.seconds * a.rateHz;
  let extra = 0, eMis = row.eB;
  let source: Bb84SourceParams | undefined;
  for (let iter = 0; iter < 6; iter++) {
    const opt = bb84Optimise({ link: linkFor(row, a, extra, eMis), f: row.f, pulses, eps: a.eps, mu3: a.mu3, qXBob: a.qXBob, start: source });
    source = { ...(opt.params as unknown as Bb84SourceParams), qXBob: a.qXBob };
    const s = source;
    const predict = (x: number, e: number) => bb84Predict({ link: linkFor(row, a, x, e), source: s, pulses, f: row.f, eps: a.eps });
    // n_X depends on the loss only (e_mis does not change click probabilities): solve it first;
    // then the QBER, which is monotone in e_mis at fixed loss.
    const newExtra = solve(x => predict(x, eMis).siftedBits - row.lSift, -10, 20);
    const newEMis = solve(e => predict(newExtra, e).qber - row.eB, 0, 0.2);
    const moved = Math.abs(newExtra - extra) + Math.abs(newEMis - eMis) * 100;
    extra = newExtra; eMis = newEMis;
    if (moved < 1e-6) break;
  }
  const result = bb84Predict({ link: linkFor(row, a, extra, eMis), source: source!, pulses, f: row.f, eps: a.eps });
  return { extraLossDb: extra, misalignment: eMis, result };
}
