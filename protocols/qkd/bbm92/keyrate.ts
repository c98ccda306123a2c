// BBM92's prediction (asymptotic, to rank candidates), finite-key estimation with the optimal
// pair number (Ma, Fung, Lo 2007: bbm92Optimise, or the param table's lambda), and the same
// estimator at another error-correction efficiency.
import type { KeyRateResult } from '../../keyrate/types.ts';
import { bbm92Optimise, bbm92Predict, type Bbm92Link } from '../../keyrate/bbm92.ts';
import { lookupParams, type ParamTable } from '../../keyrate/param-table.ts';
import { binaryEntropy } from '../../keyrate/entropy.ts';
import { transmittanceToDb } from '../../physics/channel.ts';
import type { Channel, EnginePrediction } from '../descriptor.ts';

/** An E source to two D nodes (each arm's transmittance incl. detector efficiency); qX: the X-basis
 *  probability at both D nodes (passive 50:50 beam splitters: 0.5). */
export interface Bbm92Channel extends Channel { kind: 'bbm92'; link: Bbm92Link; qX: number }

const grid = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const h2 = binaryEntropy;

/**
 * Asymptotic BBM92 with an SPDC source of mean pair number lambda, Ma, Fung, Lo, PRA 76,
 * 012307 (2007), Eqs. (8)-(9) (gain and QBER) and key rate R = q Q [1 - f h(E) - h(E)], q = 1/2;
 * Y0A = Y0B = 2 p_dark; lambda scanned on a grid. etaA/etaB: source-to-detector transmittance
 * including detector efficiency.
 */
export function asymptoticBbm92(link: Bbm92Link, pulses: number, f: number): KeyRateResult {
  const { etaA, etaB, pDark, eMis } = link;
  const y0a = 2 * pDark, y0b = 2 * pDark;
  let best = { l: 0.05, r: -Infinity, q: 0, e: 0.5 };
  for (const l of grid(0.005, 0.5, 100)) {
    const a = 1 + etaA * l, b = 1 + etaB * l, c = 1 + etaA * l + etaB * l - etaA * etaB * l;
    const q = 1 - (1 - y0a) / (a * a) - (1 - y0b) / (b * b) + ((1 - y0a) * (1 - y0b)) / (c * c);
    const eq = 0.5 * q - (2 * (0.5 - eMis) * etaA * etaB * l * (1 + l)) / (a * b * c);
    const e = q > 0 ? Math.min(0.5, Math.max(0, eq / q)) : 0.5;
    const r = 0.5 * q * (1 - f * h2(e) - h2(e));
    if (r > best.r) best = { l, r, q, e };
  }
  const perPulse = Math.max(0, best.r);
  return {
    // qX 0.5: the D nodes' passive 50:50 basis choice, so a plan made without the finite engine still runs
    protocol: 'bbm92', pulses, params: { lambda: best.l, qX: 0.5 }, siftedBits: pulses * 0.5 * best.q, qber: best.e,
    phaseErrorBound: best.e, leakEC: pulses * 0.5 * best.q * f * h2(best.e),
    secretBits: Math.floor(perPulse * pulses), secretBitsPerPulse: perPulse, terms: {},
    ...(perPulse > 0 ? {} : { reason: 'asymptotic BBM92 rate <= 0 on this channel' }),
  };
}

export const rankBbm92 = (ch: Bbm92Channel, pulses: number): EnginePrediction =>
  ({ result: asymptoticBbm92(ch.link, pulses, ch.f), paramsSource: 'fallback', engine: 'fallback-asymptotic' });

export function finiteBbm92(ch: Bbm92Channel, pulses: number, o: { table?: ParamTable }): EnginePrediction {
  const { link, f, qX } = ch;
  const table = o.table;
  // The table's BBM92 rows are indexed by the end-to-end loss (both arms, no detector), split evenly;
  // its lambda is used with the D nodes' own basis split.
  const eta = table?.assumptions.etaDet ?? 1;
  const hit = table && lookupParams(table, 'bbm92', transmittanceToDb(link.etaA / eta) + transmittanceToDb(link.etaB / eta), pulses);
  if (hit?.inGrid && Number.isFinite(hit.params.lambda)) {
    const result = bbm92Predict({ link, lambda: hit.params.lambda!, qX: qX ?? hit.params.qX, pulses, f });
    if (result.secretBits > 0) return { result, paramsSource: 'table', engine: 'keyrate/bbm92 with param-table lambda' };
  }
  return { result: bbm92Optimise({ link, pulses, f, ...(qX !== undefined ? { qX } : {}) }), paramsSource: 'optimised', engine: 'keyrate/bbm92 (Ma, Fung, Lo 2007 finite key)' };
}

export function bbm92AtEfficiency(ch: Bbm92Channel, p: Record<string, number>, pulses: number, f: number): KeyRateResult {
  return bbm92Predict({ link: ch.link, lambda: p.lambda!, qX: p.qX ?? 0.5, pulses, f });
}
