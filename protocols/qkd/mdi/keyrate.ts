// MDI's prediction (asymptotic, to rank candidates; single relay and joint BSM alike), finite-key
// estimation with optimal parameters (four-intensity MDI, mdi.ts), an upper bound to skip
// candidates that cannot win, and the same estimator at another error-correction efficiency.
import { mdiE11X, mdiGains, mdiY11, type MdiLink } from '../../physics/mdi-model.ts';
import type { KeyRateResult } from '../../keyrate/types.ts';
import { mdiObjective, mdiOptimise, mdiPredict, type MdiParams } from '../../keyrate/mdi.ts';
import { lookupParams, type ParamTable } from '../../keyrate/param-table.ts';
import { binaryEntropy } from '../../keyrate/entropy.ts';
import { transmittanceToDb } from '../../physics/channel.ts';
import type { Channel, EnginePrediction } from '../descriptor.ts';

/** Each side's total transmittance to the BSM (incl. detector efficiency); `params`: a calibrated
 *  pair's pre-computed settings to predict with. */
export interface MdiChannel extends Channel {
  kind: 'mdi'; link: MdiLink;
  /** A calibrated pair's settings, optimised for a run of `paramsPulses` pulse pairs. */
  params?: MdiParams; paramsPulses?: number;
}

const grid = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const h2 = binaryEntropy;

/**
 * Asymptotic MDI-QKD with decoys, Xu, Curty, Qi, Lo, NJP 15, 113007 (2013), Eq. (1):
 *   R = P11 Y11 [1 - h(e11X)] - Q_Z f h(E_Z),  P11 = mu_a mu_b e^{-mu_a - mu_b},
 * with Y11, e11X (App. B, Eqs. B10-B11) and Q_Z, E_Z (Eq. B7) from mdi-model.ts; each side's
 * signal intensity is scanned on a grid (asymmetric channels, Wang, Xu, Lo PRX 9, 041012 (2019)).
 */
export function asymptoticMdi(link: MdiLink, pulses: number, f: number): KeyRateResult {
  const y11 = mdiY11(link);
  const e11 = mdiE11X(link);
  const mus = grid(0.05, 1.0, 20);
  let best = { ma: 0.3, mb: 0.3, r: -Infinity, qz: 0, ez: 0.5 };
  for (const ma of mus)
    for (const mb of mus) {
      const g = mdiGains(ma, mb, link);
      const ez = g.qZ > 0 ? g.eZqZ / g.qZ : 0.5;
      const r = ma * mb * Math.exp(-ma - mb) * y11 * (1 - h2(e11)) - g.qZ * f * h2(ez);
      if (r > best.r) best = { ma, mb, r, qz: g.qZ, ez };
    }
  const perPulse = Math.max(0, best.r);
  return {
    protocol: 'mdi',
    pulses,
    params: { sA: best.ma, sB: best.mb, muA: 0.1, muB: 0.1, nuA: 0.02, nuB: 0.02 },
    siftedBits: pulses * best.qz,
    qber: best.ez,
    phaseErrorBound: e11,
    leakEC: pulses * best.qz * f * h2(best.ez),
    secretBits: Math.floor(perPulse * pulses),
    secretBitsPerPulse: perPulse,
    terms: { y11, e11X: e11 },
    ...(perPulse > 0 ? {} : { reason: 'asymptotic MDI rate <= 0 on this channel' }),
  };
}

/**
 * An upper bound on the asymptotic MDI rate per pulse pair (asymptoticMdi above,
 * Xu, Curty, Qi, Lo, NJP 15, 113007 (2013), Eq. (1)): R = P11 Y11 [1 - h(e11X)] - Q_Z f h(E_Z)
 * <= mu_a mu_b e^{-mu_a - mu_b} Y11 [1 - h(e11X)] <= e^{-2} Y11 [1 - h(e11X)], since the error-correction
 * term is never negative and x e^{-x} <= 1/e. Y11 and e11X do not depend on the intensities.
 */
export function mdiRateBound(link: MdiLink): number {
  return Math.max(0, Math.exp(-2) * mdiY11(link) * (1 - binaryEntropy(mdiE11X(link))));
}

export const rankMdi = (ch: MdiChannel, pulses: number): EnginePrediction =>
  ({ result: asymptoticMdi(ch.link, pulses, ch.f), paramsSource: 'fallback', engine: 'fallback-asymptotic' });

export function finiteMdi(ch: MdiChannel, pulses: number, o: { table?: ParamTable; symmetric?: boolean; maxEvals?: number }): EnginePrediction {
  const { link, f, params: given } = ch;
  const table = o.table;
  if (given) {
    // A calibrated pair: its parameters are the optimum of the run the calibration was fitted
    // with (T = 1000 s); at that run they are used as they are (the reference's operating
    // point). Any other run length moves the finite-key optimum (Wang, Xu, Lo PRX 9, 041012
    // (2019)): optimise from them, asymmetric as the calibrated links are, and keep the better.
    // "They still give a key" is no criterion: at T = 300 s the A-C table point expects
    // l_sec = 13 kbit against a run-to-run spread of 25 kbit (a third of the runs abort),
    // the optimum 96 kbit (spread 14 kbit) (protocols/keyrate/spread.ts; test/control/mdi-plan-params.test.ts).
    const result = mdiPredict({ link, pulses, params: given, f });
    const asGiven: EnginePrediction = { result, paramsSource: 'table', engine: 'keyrate/mdi with the calibration\'s pre-computed parameters' };
    if (pulses === ch.paramsPulses && result.secretBits > 0) return asGiven;
    const best = mdiOptimise({ link, pulses, f, start: given, symmetric: false, maxEvals: 1200 });
    return mdiObjective(best) > mdiObjective(result) ? { result: best, paramsSource: 'optimised', engine: 'keyrate/mdiOptimise from the calibration\'s parameters' } : asGiven;
  }
  // The table's MDI rows are indexed by end-to-end loss (fibre + components, no detector), split evenly.
  const eta = table?.assumptions.etaDet ?? 1;
  const hit = table && lookupParams(table, 'mdi', transmittanceToDb(link.etaA / eta) + transmittanceToDb(link.etaB / eta), pulses);
  const params = hit ? mdiParamsFromRow(hit.params) : undefined;
  if (params && hit?.inGrid) {
    const result = mdiPredict({ link, pulses, params, f });
    if (result.secretBits > 0) return { result, paramsSource: 'table', engine: 'keyrate/mdi with param-table parameters' };
  }
  // Outside the grid (or no key there): optimise, from the nearest table row when there is one.
  return {
    result: mdiOptimise({ link, pulses, f, symmetric: o.symmetric ?? true, ...(params ? { start: params } : {}), ...(o.maxEvals ? { maxEvals: o.maxEvals } : {}) }),
    paramsSource: 'optimised',
    engine: 'keyrate/mdi (four-intensity finite key)',
  };
}

/** A table row's flat MDI parameters (sA, muA, nuA, pSA, pMuA, pNuA, and B) as MdiParams. */
export function mdiParamsFromRow(p: Record<string, number>): MdiParams | undefined {
  const side = (x: 'A' | 'B') => ({ s: p[`s${x}`]!, mu: p[`mu${x}`]!, nu: p[`nu${x}`]!, pS: p[`pS${x}`]!, pMu: p[`pMu${x}`]!, pNu: p[`pNu${x}`]! });
  const a = side('A'), b = side('B');
  return [a, b].every((s) => Object.values(s).every((v) => Number.isFinite(v))) ? { a, b } : undefined;
}

export function mdiAtEfficiency(ch: MdiChannel, p: Record<string, number>, pulses: number, f: number): KeyRateResult | undefined {
  const params = mdiParamsFromRow(p);
  return params && mdiPredict({ link: ch.link, pulses, params, f });
}
