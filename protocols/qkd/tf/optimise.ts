// Optimiser over the SNS source settings (epsilon, muZ, mu1, mu2, pZ, p0, p1) with the engine's
// shared deterministic box maximiser (protocols/keyrate/optimise.ts, Nelder-Mead with restarts).

import { maximise } from '../../keyrate/optimise.ts';
import type { TfKeyRateResult, TfLink, TfParams, TfSecurity } from './types.ts';
import { tfKeyRate } from './keyrate.ts';

// Box (every point feasible by construction): log10 epsilon in [-5, log10 0.5]; muZ in [0.01, 1];
// log10 mu1 in [-3, log10 0.5]; mu2 = mu1 + d, d in [0.005, 1]; pZ in [0.05, 0.99];
// p0 = u, p1 = (1 - u) v with u, v in [0.01, 0.99]. Asymptotic: pZ fixed near 1 (X windows cost
// nothing without fluctuations; Wang-Yu-Hu 2018 count the key per Z window).
const LO = [-5, 0.01, -3, 0.005, 0.05, 0.01, 0.01];
const HI = [Math.log10(0.5), 1, Math.log10(0.5), 1, 0.99, 0.99, 0.99];
const ASYMPTOTIC_PZ = 1 - 1e-6;

export function paramsFromVector(x: number[]): TfParams {
  const [le, muZ, lm1, d, pZ, u, v] = x;
  const mu1 = Math.pow(10, lm1);
  return { epsilon: Math.pow(10, le), muZ, mu1, mu2: mu1 + d, pZ, p0: u, p1: (1 - u) * v };
}

export function paramsToVector(p: TfParams): number[] {
  const u = p.p0, v = p.p1 / (1 - p.p0);
  const x = [Math.log10(p.epsilon), p.muZ, Math.log10(p.mu1), p.mu2 - p.mu1, p.pZ, u, v];
  return x.map((xi, i) => Math.min(HI[i], Math.max(LO[i], xi)));
}

/** A reasonable start at long distance (the order of the SNS papers' optima). */
export const DEFAULT_TF_PARAMS: TfParams = { epsilon: 0.2, muZ: 0.4, mu1: 0.1, mu2: 0.4, pZ: 0.7, p0: 0.6, p1: 0.3 };

/** Key length where positive; below zero the secrecy-to-cost margin (same objective as mdiObjective). */
export function tfObjective(r: TfKeyRateResult): number {
  const raw = r.terms.rawKeyLength;
  if (raw === undefined || !Number.isFinite(raw)) return Number.NEGATIVE_INFINITY;
  if (raw > 0) return raw;
  const spent = r.leakEC + (r.terms.securityCost ?? 0);
  return spent > 0 ? raw / spent : raw;
}

export interface TfOptimiseInput {
  link: TfLink;
  pulses?: number;
  f?: number;
  finite?: boolean;
  security?: TfSecurity;
  start?: TfParams;
  maxEvals?: number;
}

export function tfOptimise(input: TfOptimiseInput): TfKeyRateResult {
  const finite = input.finite ?? true;
  const fix = (p: TfParams): TfParams => (finite ? p : { ...p, pZ: ASYMPTOTIC_PZ });
  const evalAt = (p: TfParams) => tfKeyRate({ link: input.link, params: fix(p), pulses: input.pulses, f: input.f, finite, security: input.security });
  const starts = [paramsToVector(input.start ?? DEFAULT_TF_PARAMS), paramsToVector(DEFAULT_TF_PARAMS), paramsToVector({ ...DEFAULT_TF_PARAMS, epsilon: 0.03, mu1: 0.05 })];
  const res = maximise((x) => tfObjective(evalAt(paramsFromVector(x))), { lo: LO, hi: HI }, { starts, maxEvals: input.maxEvals ?? 2500, haltonStarts: 4 });
  return evalAt(paramsFromVector(res.x));
}
