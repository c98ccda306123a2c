// BB84's prediction (asymptotic, to rank candidates), finite-key estimation with optimal
// parameters (Lim et al., PRA 89, 022307 (2014): bb84Optimise, or the param table's), and the
// same estimator at another error-correction efficiency.
import { bb84DetectionProb, bb84ErrorProb, type Bb84Link, type Bb84SourceParams } from '../../physics/bb84-model.ts';
import type { KeyRateResult } from '../../keyrate/types.ts';
import { bb84Optimise } from '../../keyrate/bb84-optimise.ts';
import { bb84Predict } from '../../keyrate/bb84-lim.ts';
import { lookupParams, type ParamTable } from '../../keyrate/param-table.ts';
import { binaryEntropy } from '../../keyrate/entropy.ts';
import { transmittanceToDb } from '../../physics/channel.ts';
import type { Channel, EnginePrediction } from '../descriptor.ts';

/** A transmitter to a D node: the link, the receiver's X-basis probability (David: passive 0.5). */
export interface Bb84Channel extends Channel { kind: 'bb84'; link: Bb84Link; qXBob: number }

const grid = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const h2 = binaryEntropy;

/**
 * Asymptotic decoy BB84 with infinitely many decoys: Lo, Ma, Chen, PRL 94, 230504 (2005), Eq. (1)
 *   R = q { -Q_mu f h(E_mu) + Q_1 [1 - h(e_1)] },  Q_1 = Y_1 mu e^{-mu},
 *   Y_1 = 1 - (1 - Y_0)(1 - eta),  e_1 = (e_0 Y_0 + e_d eta) / Y_1   (their Eq. (3) with eta_sys),
 * with Q_mu and E_mu from the Lim 2014 per-pulse model; q = 1/2 (David's passive basis choice).
 * The signal intensity mu is scanned on a grid.
 */
export function asymptoticBb84(link: Bb84Link, pulses: number, f: number): KeyRateResult {
  const eta = link.etaCh * link.etaDet;
  const y0 = 2 * link.pDark;
  const y1 = 1 - (1 - y0) * (1 - eta);
  const e1 = (0.5 * y0 + link.eMis * eta) / y1;
  const q = 0.5;
  let best = { mu: 0.5, r: -Infinity, qmu: 0, emu: 0.5 };
  for (const mu of grid(0.05, 1.0, 39)) {
    const qmu = bb84DetectionProb(mu, link);
    const emu = Math.min(0.5, bb84ErrorProb(mu, link) / qmu);
    const r = q * (y1 * mu * Math.exp(-mu) * (1 - h2(e1)) - qmu * f * h2(emu));
    if (r > best.r) best = { mu, r, qmu, emu };
  }
  const perPulse = Math.max(0, best.r);
  return {
    protocol: 'bb84',
    pulses,
    params: { mu1: best.mu, mu2: Math.min(0.1, best.mu / 4), mu3: 2e-4, pMu1: 0.7, pMu2: 0.2, qX: 0.5 },
    siftedBits: pulses * q * best.qmu,
    qber: best.emu,
    phaseErrorBound: e1,
    leakEC: pulses * q * best.qmu * f * h2(best.emu),
    secretBits: Math.floor(perPulse * pulses),
    secretBitsPerPulse: perPulse,
    terms: { y1, e1 },
    ...(perPulse > 0 ? {} : { reason: 'asymptotic BB84 rate <= 0 on this channel' }),
  };
}

export const rankBb84 = (ch: Bb84Channel, pulses: number): EnginePrediction =>
  ({ result: asymptoticBb84(ch.link, pulses, ch.f), paramsSource: 'fallback', engine: 'fallback-asymptotic' });

export function finiteBb84(ch: Bb84Channel, pulses: number, o: { table?: ParamTable }): EnginePrediction {
  const { link, f, qXBob } = ch;
  const hit = o.table && lookupParams(o.table, 'bb84', transmittanceToDb(link.etaCh), pulses);
  if (hit?.inGrid) {
    const source = { ...(hit.params as unknown as Bb84SourceParams), qXBob };
    const result = bb84Predict({ link, source, pulses, f });
    if (result.secretBits > 0) return { result, paramsSource: 'table', engine: 'keyrate/bb84-lim with param-table parameters' };
  }
  return { result: bb84Optimise({ link, pulses, f, qXBob }), paramsSource: 'optimised', engine: 'keyrate/bb84-optimise (Lim 2014 finite key)' };
}

export function bb84AtEfficiency(ch: Bb84Channel, p: Record<string, number>, pulses: number, f: number): KeyRateResult {
  const source: Bb84SourceParams = { qX: p.qX!, mu1: p.mu1!, mu2: p.mu2!, mu3: p.mu3!, pMu1: p.pMu1!, pMu2: p.pMu2!, ...(p.qXBob !== undefined ? { qXBob: p.qXBob } : {}) };
  return bb84Predict({ link: ch.link, source, pulses, f });
}
