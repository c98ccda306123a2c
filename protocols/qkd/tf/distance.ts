// Optimised SNS-TF key versus distance, where keys stop, and where the key passes the PLOB bound.
// The relay sits at `fractionA` of the total length (default the middle).

import type { TfKeyRateResult, TfParams, TfSecurity } from './types.ts';
import { balanceArms, tfLinkFromFibres } from './channel.ts';
import { tfOptimise } from './optimise.ts';
import { plobBoundFibre } from './plob.ts';

export interface TfDistanceInput {
  etaDet: number;
  pDark: number;
  eMis: number;
  /** Windows N (finite key); ignored when finite is false. */
  pulses?: number;
  finite?: boolean;
  f?: number;
  alphaDbPerKm?: number;
  fractionA?: number;
  /** Attenuate the stronger arm at the relay to the weaker one (channel.ts balanceArms). */
  balanceArms?: boolean;
  extraLossADb?: number;
  extraLossBDb?: number;
  phaseSlice?: number;
  security?: TfSecurity;
  maxEvals?: number;
}

export interface TfDistanceRow {
  lengthKm: number;
  lossDb: number;
  secretBitsPerPulse: number;
  secretBits: number;
  qber: number;
  phaseErrorBound: number;
  /** PLOB bound of the whole fibre (absolute: no detector), bits per channel use. */
  plobBitsPerPulse: number;
  /** TF-QKD key per window above the PLOB bound. */
  abovePlob: boolean;
  params: Record<string, number>;
}

export function tfAtDistance(input: TfDistanceInput, lengthKm: number, start?: TfParams): TfKeyRateResult {
  const fa = input.fractionA ?? 0.5;
  const fibres = tfLinkFromFibres({
    lengthAKm: lengthKm * fa, lengthBKm: lengthKm * (1 - fa), etaDet: input.etaDet, pDark: input.pDark, eMis: input.eMis,
    alphaDbPerKm: input.alphaDbPerKm, extraLossADb: input.extraLossADb, extraLossBDb: input.extraLossBDb, phaseSlice: input.phaseSlice,
  });
  const link = input.balanceArms ? balanceArms(fibres) : fibres;
  return tfOptimise({ link, pulses: input.pulses, finite: input.finite, f: input.f, security: input.security, start, maxEvals: input.maxEvals });
}

function plobAt(input: TfDistanceInput, L: number): number {
  return plobBoundFibre(L, input.alphaDbPerKm ?? 0.2, (input.extraLossADb ?? 0) + (input.extraLossBDb ?? 0));
}

function startOf(r: TfKeyRateResult): TfParams | undefined {
  if (!(r.secretBits > 0)) return undefined;
  const p = r.params;
  return { epsilon: p.epsilon, muZ: p.muZ, mu1: p.mu1, mu2: p.mu2, pZ: p.pZ, p0: p.p0, p1: p.p1 };
}

/** Rate-vs-distance table (each row warm-starts the next), with the PLOB bound beside it. */
export function tfKeyRateVsDistance(input: TfDistanceInput, lengthsKm: number[]): TfDistanceRow[] {
  const rows: TfDistanceRow[] = [];
  let start: TfParams | undefined;
  for (const L of lengthsKm) {
    const r = tfAtDistance(input, L, start);
    start = startOf(r) ?? start;
    const plob = plobAt(input, L);
    rows.push({
      lengthKm: L, lossDb: (input.alphaDbPerKm ?? 0.2) * L + (input.extraLossADb ?? 0) + (input.extraLossBDb ?? 0),
      secretBitsPerPulse: r.secretBitsPerPulse, secretBits: r.secretBits, qber: r.qber, phaseErrorBound: r.phaseErrorBound,
      plobBitsPerPulse: plob, abovePlob: r.secretBitsPerPulse > plob, params: r.params,
    });
  }
  return rows;
}

/** Largest total length (km, to tolKm) with a positive optimised key, by bisection on [loKm, hiKm]. */
export function tfMaxDistanceKm(input: TfDistanceInput, loKm = 0, hiKm = 1000, tolKm = 1): number {
  const ok = (L: number) => tfAtDistance(input, L).secretBits > 0;
  if (!ok(loKm)) return loKm;
  if (ok(hiKm)) return hiKm;
  let lo = loKm, hi = hiKm;
  while (hi - lo > tolKm) { const mid = (lo + hi) / 2; if (ok(mid)) lo = mid; else hi = mid; }
  return lo;
}

/**
 * Shortest total length (km, to tolKm) from which the optimised TF key per window exceeds the PLOB
 * bound: scan [loKm, hiKm] in steps of stepKm for the first length above the bound, then bisect
 * between it and the step before. null when TF is already above at loKm or never above in the range.
 */
export function tfPlobCrossingKm(input: TfDistanceInput, loKm: number, hiKm: number, stepKm = 25, tolKm = 1): number | null {
  const above = (L: number) => tfAtDistance(input, L).secretBitsPerPulse > plobAt(input, L);
  if (above(loKm)) return null;
  let prev = loKm;
  for (let L = Math.min(hiKm, loKm + stepKm); ; L = Math.min(hiKm, L + stepKm)) {
    if (above(L)) {
      let lo = prev, hi = L;
      while (hi - lo > tolKm) { const mid = (lo + hi) / 2; if (above(mid)) hi = mid; else lo = mid; }
      return hi;
    }
    if (L >= hiKm) return null;
    prev = L;
  }
}
