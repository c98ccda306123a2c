// Adapter between the orchestration core and the key-rate engine (protocols/keyrate/*, issue 3).
// The core ranks candidate routes/relays by predicted secret bits and needs source parameters
// for the chosen one. It only talks to the `KeyRateEngine` / `FiniteEngine` interfaces below;
// planRequest uses `rankingEngine` and `finiteEngine` unless others are injected.
//
// Two engines: `rankingEngine` predicts ASYMPTOTIC rates from the engine's own channel models
// (protocols/physics/bb84-model.ts, mdi-model.ts) in microseconds, to rank every candidate
// relay/route/DoF; `finiteEngine` then gives the chosen candidate its finite-key prediction and
// optimal parameters with the key-rate engine's optimisers (bb84Optimise: Lim 2014;
// mdiOptimise: four-intensity MDI; bbm92Optimise), cached per channel. When the host loads the
// pre-computed optimal-parameter table (protocols/keyrate/param-table.ts; the file is
// infra/params/*.json, loading is the host's job) it goes first: interpolated parameters,
// then one finite-key prediction with them (cheap); optimisation runs only for conditions
// outside the table's grid ("optimise on demand for unseen conditions").
import { bb84DetectionProb, bb84ErrorProb, type Bb84Link } from '../../protocols/physics/bb84-model.ts';
import { mdiE11X, mdiGains, mdiY11, type MdiLink } from '../../protocols/physics/mdi-model.ts';
import type { KeyRateResult } from '../../protocols/keyrate/types.ts';
import { bb84Optimise } from '../../protocols/keyrate/bb84-optimise.ts';
import { bb84Predict } from '../../protocols/keyrate/bb84-lim.ts';
import { mdiObjective, mdiOptimise, mdiPredict, type MdiParams } from '../../protocols/keyrate/mdi.ts';
import { bbm92Optimise, bbm92Predict } from '../../protocols/keyrate/bbm92.ts';
import { lookupParams, type ParamTable } from '../../protocols/keyrate/param-table.ts';
import { binaryEntropy } from '../../protocols/keyrate/entropy.ts';
import { transmittanceToDb } from '../../protocols/physics/channel.ts';
import { effectiveEfficiency, type SampleDisclosure } from '../../protocols/postprocessing/cascade-efficiency.ts';
import type { Bb84SourceParams } from '../../protocols/physics/bb84-model.ts';

export interface EnginePrediction {
  result: KeyRateResult;
  paramsSource: 'table' | 'optimised' | 'fallback';
  engine: string;
}

export interface KeyRateEngine {
  /** Decoy BB84 from a transmitter to a D node over a channel of transmittance link.etaCh. */
  bb84(link: Bb84Link, pulses: number, f: number): EnginePrediction;
  /** MDI with each side's total transmittance to the BSM (incl. detector efficiency), single or joint BSM. */
  mdi(link: MdiLink, pulses: number, f: number): EnginePrediction;
  /** Entanglement-based BBM92 from an E node to two D nodes (transmittances incl. detector efficiency). */
  bbm92(etaA: number, etaB: number, pDark: number, eMis: number, pulses: number, f: number): EnginePrediction;
}

/** Binary entropy h(p) (protocols/keyrate/entropy.ts). */
export const h2 = binaryEntropy;

const grid = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

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

export const fallbackEngine: KeyRateEngine = {
  bb84: (link, pulses, f) => ({ result: asymptoticBb84(link, pulses, f), paramsSource: 'fallback', engine: 'fallback-asymptotic' }),
  mdi: (link, pulses, f) => ({ result: asymptoticMdi(link, pulses, f), paramsSource: 'fallback', engine: 'fallback-asymptotic' }),
  bbm92: (...args) => fallbackBbm92(...args),
};

export const defaultEngine: KeyRateEngine = fallbackEngine;
export const rankingEngine: KeyRateEngine = fallbackEngine;

/** Finite-key prediction + optimal parameters for the chosen candidate. */
export interface FiniteEngine {
  /** qXBob: the receiver's X-basis probability (David's passive basis choice: 0.5). */
  bb84(link: Bb84Link, pulses: number, f: number, qXBob: number): EnginePrediction;
  /** `params`: pre-computed settings for this link (a calibration's table entry), optimised for a
   *  run of `paramsPulses` pulse pairs. */
  mdi(link: MdiLink, pulses: number, f: number, params?: MdiParams, paramsPulses?: number): EnginePrediction;
  /** qX: the X-basis probability at both D nodes (passive 50:50 beam splitters: 0.5); free when omitted. */
  bbm92(etaA: number, etaB: number, pDark: number, eMis: number, pulses: number, f: number, qX?: number): EnginePrediction;
}

export interface FiniteEngineOptions {
  /** The pre-computed optimal-parameter table, when the host has loaded one. */
  table?: ParamTable;
  /** MDI: one parameter set for both sides (about 10x faster) or each side its own (asymmetric links). */
  mdiSymmetric?: boolean;
  mdiMaxEvals?: number;
  /** Entries kept per protocol (least recently added dropped first). */
  cacheSize?: number;
}

/** Channel key for the cache: 4 significant digits are far below what calibration resolves. */
const sig = (x: number) => Number(x.toPrecision(4));
const cacheKey = (o: Record<string, number | undefined>) => JSON.stringify(Object.entries(o).map(([k, v]) => [k, v === undefined ? null : sig(v)]));

export function createFiniteEngine(opts: FiniteEngineOptions = {}): FiniteEngine {
  const size = opts.cacheSize ?? 256;
  const cache = new Map<string, EnginePrediction>();
  const memo = (key: string, make: () => EnginePrediction) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const v = make();
    cache.set(key, v);
    if (cache.size > size) cache.delete(cache.keys().next().value as string);
    return v;
  };
  const table = opts.table;
  return {
    bb84: (link, pulses, f, qXBob) =>
      memo(`bb84${cacheKey({ ...link, pulses, f, qXBob })}`, () => {
        const hit = table && lookupParams(table, 'bb84', transmittanceToDb(link.etaCh), pulses);
        if (hit?.inGrid) {
          const source = { ...(hit.params as unknown as Bb84SourceParams), qXBob };
          const result = bb84Predict({ link, source, pulses, f });
          if (result.secretBits > 0) return { result, paramsSource: 'table', engine: 'keyrate/bb84-lim with param-table parameters' };
        }
        return { result: bb84Optimise({ link, pulses, f, qXBob }), paramsSource: 'optimised', engine: 'keyrate/bb84-optimise (Lim 2014 finite key)' };
      }),
    mdi: (link, pulses, f, given, givenPulses) =>
      memo(`mdi${cacheKey({ ...link, pulses, f, givenPulses })}${given ? JSON.stringify(given) : ''}`, () => {
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
          if (pulses === givenPulses && result.secretBits > 0) return asGiven;
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
          result: mdiOptimise({ link, pulses, f, symmetric: opts.mdiSymmetric ?? true, ...(params ? { start: params } : {}), ...(opts.mdiMaxEvals ? { maxEvals: opts.mdiMaxEvals } : {}) }),
          paramsSource: 'optimised',
          engine: 'keyrate/mdi (four-intensity finite key)',
        };
      }),
    bbm92: (etaA, etaB, pDark, eMis, pulses, f, qX) =>
      memo(`bbm92${cacheKey({ etaA, etaB, pDark, eMis, pulses, f, qX })}`, () => {
        const link = { etaA, etaB, pDark, eMis };
        // The table's BBM92 rows are indexed by the end-to-end loss (both arms, no detector), split evenly;
        // its lambda is used with the D nodes' own basis split.
        const eta = table?.assumptions.etaDet ?? 1;
        const hit = table && lookupParams(table, 'bbm92', transmittanceToDb(etaA / eta) + transmittanceToDb(etaB / eta), pulses);
        if (hit?.inGrid && Number.isFinite(hit.params.lambda)) {
          const result = bbm92Predict({ link, lambda: hit.params.lambda!, qX: qX ?? hit.params.qX, pulses, f });
          if (result.secretBits > 0) return { result, paramsSource: 'table', engine: 'keyrate/bbm92 with param-table lambda' };
        }
        return { result: bbm92Optimise({ link, pulses, f, ...(qX !== undefined ? { qX } : {}) }), paramsSource: 'optimised', engine: 'keyrate/bbm92 (Ma, Fung, Lo 2007 finite key)' };
      }),
  };
}

/** A table row's flat MDI parameters (sA, muA, nuA, pSA, pMuA, pNuA, and B) as MdiParams. */
function mdiParamsFromRow(p: Record<string, number>): MdiParams | undefined {
  const side = (x: 'A' | 'B') => ({ s: p[`s${x}`]!, mu: p[`mu${x}`]!, nu: p[`nu${x}`]!, pS: p[`pS${x}`]!, pMu: p[`pMu${x}`]!, pNu: p[`pNu${x}`]! });
  const a = side('A'), b = side('B');
  return [a, b].every((s) => Object.values(s).every((v) => Number.isFinite(v))) ? { a, b } : undefined;
}

export const finiteEngine: FiniteEngine = createFiniteEngine({ mdiSymmetric: true, mdiMaxEvals: 800 });

/**
 * Asymptotic BBM92 with an SPDC source of mean pair number lambda, Ma, Fung, Lo, PRA 76,
 * 012307 (2007), Eqs. (8)-(9) (gain and QBER) and key rate R = q Q [1 - f h(E) - h(E)], q = 1/2;
 * Y0A = Y0B = 2 p_dark; lambda scanned on a grid. etaA/etaB: source-to-detector transmittance
 * including detector efficiency.
 */
export function asymptoticBbm92(etaA: number, etaB: number, pDark: number, eMis: number, pulses: number, f: number): KeyRateResult {
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

export function fallbackBbm92(etaA: number, etaB: number, pDark: number, eMis: number, pulses: number, f: number): EnginePrediction {
  return { result: asymptoticBbm92(etaA, etaB, pDark, eMis, pulses, f), paramsSource: 'fallback', engine: 'fallback-asymptotic' };
}

/** The chosen candidate's channel, as orchestration.ts ChannelModel. */
export type SettleChannel =
  | { kind: 'bb84'; link: Bb84Link }
  | { kind: 'mdi'; link: MdiLink }
  | { kind: 'bbm92'; etaA: number; etaB: number; pDark: number; eMis: number };

const DISCLOSURE: Record<SettleChannel['kind'], SampleDisclosure> = { bb84: 'none', mdi: 'sample', bbm92: 'sample' };

/**
 * The prediction at the chosen parameters with the leak the session will have: Cascade's expected
 * disclosed bits on the corrected key plus the disclosed QBER sample (cascade-efficiency.ts),
 * charged as an effective f. l_sift and e_b do not depend on f at fixed parameters, so one
 * re-evaluation of the same estimator on the same expected counts is exact.
 */
export function settleLeak(ch: SettleChannel, pred: EnginePrediction, pulses: number): EnginePrediction {
  const r = pred.result, p = r.params;
  const f = effectiveEfficiency(r.siftedBits, r.qber, DISCLOSURE[ch.kind]);
  if (!Number.isFinite(f) || !(r.siftedBits > 0)) return pred;
  let result: KeyRateResult;
  if (ch.kind === 'bb84') {
    const source: Bb84SourceParams = { qX: p.qX!, mu1: p.mu1!, mu2: p.mu2!, mu3: p.mu3!, pMu1: p.pMu1!, pMu2: p.pMu2!, ...(p.qXBob !== undefined ? { qXBob: p.qXBob } : {}) };
    result = bb84Predict({ link: ch.link, source, pulses, f });
  } else if (ch.kind === 'mdi') {
    const params = mdiParamsFromRow(p);
    if (!params) return pred;
    result = mdiPredict({ link: ch.link, pulses, params, f });
  } else {
    result = bbm92Predict({ link: { etaA: ch.etaA, etaB: ch.etaB, pDark: ch.pDark, eMis: ch.eMis }, lambda: p.lambda!, qX: p.qX ?? 0.5, pulses, f });
  }
  return { ...pred, result: { ...result, terms: { ...result.terms, effectiveF: f } }, engine: `${pred.engine}; leak: the sessions' Cascade + QBER sample (f_eff ${f.toFixed(3)})` };
}
