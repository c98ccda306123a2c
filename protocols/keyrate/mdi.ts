// MDI-QKD key rates: prediction from devices + channel, estimation from counts, optimisation.
//
// For the combined BB84/MDI plot table and the `hetqn keyrate mdi` CLI:
//   - mdiPredict(input)             -> KeyRateResult  (fixed intensities/probabilities)
//   - mdiOptimise(input)            -> KeyRateResult  (symmetric or asymmetric parameters)
//   - mdiKeyRateVsDistance(input)   -> MdiDistanceRow[] (plot-ready: key rate vs total length)
//   - mdiMaxDistanceKm(input)       -> the total length where MDI stops producing keys
//   - mdiEstimateFromCounts (mdi-finite.ts) for observed/emulated statistics
//
// Model: expected counts from the Xu et al. NJP 15, 113007 (2013) App. B channel model
// (protocols/physics/mdi-model.ts), then the same finite-key estimator as for observed counts
// (mdi-finite.ts: four-intensity protocol of Zhou, Yu, Wang PRA 93, 042324 (2016), Chernoff bounds
// with joint constraints, key length of Jiang et al. PRA 103, 012402 (2021)). Using one estimator
// for prediction and estimation keeps the two consistent by construction.

import type { KeyRateResult } from './types.ts';
import { maximise } from './optimise.ts';
import { mdiGains, mdiLinkFromFibres, type MdiLink } from '../physics/mdi-model.ts';
import { mdiEstimateFromCounts, probVacuum, type MdiCounts, type MdiIntensity, type MdiPair, type MdiParams, type MdiSecurity, type MdiSideParams } from './mdi-finite.ts';

export type { MdiParams, MdiSideParams, MdiCounts, MdiSecurity } from './mdi-finite.ts';
export { mdiEstimateFromCounts, weiFinalKeyRate } from './mdi-finite.ts';

/** Pairs whose counts the four-intensity estimator uses: (s,s) in Z, the decoy/vacuum pairs in X. */
const X_PAIRS: MdiPair[] = ['mu-mu', 'nu-nu', 'o-mu', 'mu-o', 'o-nu', 'nu-o', 'o-o'];

function intensity(p: MdiSideParams, k: MdiIntensity): number {
  return k === 's' ? p.s : k === 'mu' ? p.mu : k === 'nu' ? p.nu : 0;
}
function probability(p: MdiSideParams, k: MdiIntensity): number {
  return k === 's' ? p.pS : k === 'mu' ? p.pMu : k === 'nu' ? p.pNu : probVacuum(p);
}

/** Expected counts and error counts of every pair the estimator uses (Xu 2013 App. B gains). */
export function mdiExpectedCounts(link: MdiLink, params: MdiParams, pulses: number): MdiCounts {
  const n: MdiCounts['n'] = {};
  const m: MdiCounts['m'] = {};
  const { a: A, b: B } = params;
  const pair = (l: MdiIntensity, r: MdiIntensity) => `${l}-${r}` as MdiPair;
  const w = (l: MdiIntensity, r: MdiIntensity) => pulses * probability(A, l) * probability(B, r);
  const gz = mdiGains(A.s, B.s, link);
  n['s-s'] = w('s', 's') * gz.qZ;
  m['s-s'] = w('s', 's') * gz.eZqZ;
  for (const key of X_PAIRS) {
    const [l, r] = key.split('-') as [MdiIntensity, MdiIntensity];
    const g = mdiGains(intensity(A, l), intensity(B, r), link);
    n[pair(l, r)] = w(l, r) * g.qX;
    m[pair(l, r)] = w(l, r) * g.eXqX;
  }
  return { pulses, n, m };
}

export interface MdiPredictInput {
  link: MdiLink;
  /** Pulse pairs N. */
  pulses: number;
  params: MdiParams;
  /** Reconciliation efficiency for the predicted leak f n_ss h(E_ss) (default 1.16 as Wei 2020). */
  f?: number;
  security?: MdiSecurity;
}

/** Predicted finite key from the channel model (expected counts fed to the estimator). */
export function mdiPredict(input: MdiPredictInput): KeyRateResult {
  const counts = mdiExpectedCounts(input.link, input.params, input.pulses);
  return mdiEstimateFromCounts(counts, input.params, { f: input.f ?? 1.16 }, input.security);
}

export function symmetricParams(side: MdiSideParams): MdiParams {
  return { a: { ...side }, b: { ...side } };
}

// Box parametrisation that satisfies every constraint by construction:
// s, mu in [1e-3, 1]; nu = mu * r, r in [1e-3, 0.95]; pS in [0.01, 0.98];
// pMu = (1-pS) u, pNu = (1-pS)(1-u) v, p_o = (1-pS)(1-u)(1-v) with u, v in [0.01, 0.99].
const SIDE_LO = [1e-3, 1e-3, 1e-3, 0.01, 0.01, 0.01];
const SIDE_HI = [1, 1, 0.95, 0.98, 0.99, 0.99];

function sideFromVector(x: number[], o: number): MdiSideParams {
  const [s, mu, r, pS, u, v] = x.slice(o, o + 6);
  return { s, mu, nu: mu * r, pS, pMu: (1 - pS) * u, pNu: (1 - pS) * (1 - u) * v };
}
function sideToVector(p: MdiSideParams): number[] {
  const rest = 1 - p.pS;
  const u = p.pMu / rest;
  const v = p.pNu / (rest * (1 - u));
  const clamp = (x: number, i: number) => Math.min(SIDE_HI[i], Math.max(SIDE_LO[i], x));
  return [p.s, p.mu, p.nu / p.mu, p.pS, u, v].map(clamp);
}

export interface MdiOptimiseInput {
  link: MdiLink;
  pulses: number;
  f?: number;
  security?: MdiSecurity;
  /** true: both sides share one parameter set (6 variables); false (default): each side its own (12). */
  symmetric?: boolean;
  /** Starting point (e.g. a table entry). */
  start?: MdiParams;
  maxEvals?: number;
}

const DEFAULT_SIDE: MdiSideParams = { s: 0.3, mu: 0.2, nu: 0.02, pS: 0.6, pMu: 0.1, pNu: 0.2 };

/**
 * What mdiOptimise maximises: the unfloored key length l = n11 (1 - h(phi)) - leak_EC - cost (Jiang
 * et al. PRA 103, 012402 (2021), via mdiEstimateFromCounts) where it is positive; where it is not,
 * l / (leak_EC + cost), the secrecy-to-cost margin, in [-1, 0]. Both are 0 at l = 0, so the
 * objective is continuous, and it equals l wherever a key exists. The plain l below zero has the
 * wrong slope: it is maximised by shrinking the signal intensity and probability until nothing
 * is detected (l -> -cost at s = pS = lower bound), a degenerate corner the search then returns.
 */
export function mdiObjective(r: KeyRateResult): number {
  const raw = r.terms.rawKeyLength;
  if (raw === undefined || !Number.isFinite(raw)) return Number.NEGATIVE_INFINITY;
  if (raw > 0) return raw;
  const spent = r.leakEC + (r.terms.securityCost ?? 0);
  return spent > 0 ? raw / spent : raw;
}

/**
 * Maximises the finite key length over intensities and probabilities with the shared
 * deterministic maximiser (optimise.ts), objective `mdiObjective` (a slope even where no key
 * exists, without the empty corner). Asymmetric optimisation (Wang, Xu, Lo PRX 9, 041012
 * (2019)) starts from the symmetric optimum and keeps the better of the two, so it is never worse.
 */
export function mdiOptimise(input: MdiOptimiseInput): KeyRateResult {
  const evalParams = (params: MdiParams) => mdiPredict({ link: input.link, pulses: input.pulses, params, f: input.f, security: input.security });
  const objective = mdiObjective;
  const start = input.start ?? symmetricParams(DEFAULT_SIDE);

  const symRes = maximise(
    (x) => objective(evalParams(symmetricParams(sideFromVector(x, 0)))),
    { lo: SIDE_LO, hi: SIDE_HI },
    { starts: [sideToVector(start.a), sideToVector(DEFAULT_SIDE)], maxEvals: input.maxEvals ?? 3000 },
  );
  const symBest = evalParams(symmetricParams(sideFromVector(symRes.x, 0)));
  if (input.symmetric) return symBest;

  const asymRes = maximise(
    (x) => objective(evalParams({ a: sideFromVector(x, 0), b: sideFromVector(x, 6) })),
    { lo: [...SIDE_LO, ...SIDE_LO], hi: [...SIDE_HI, ...SIDE_HI] },
    {
      starts: [[...symRes.x, ...symRes.x], [...sideToVector(start.a), ...sideToVector(start.b)]],
      maxEvals: input.maxEvals ?? 5000,
      haltonStarts: 4,
    },
  );
  const asymBest = evalParams({ a: sideFromVector(asymRes.x, 0), b: sideFromVector(asymRes.x, 6) });
  return objective(asymBest) >= objective(symBest) ? asymBest : symBest;
}

export interface MdiDistanceInput {
  /** Detector efficiency of the relay's detectors. */
  etaDet: number;
  pDark: number;
  eMis: number;
  visibility?: number;
  pulses: number;
  f?: number;
  alphaDbPerKm?: number;
  /** Fraction of the total length on Alice's side (default 0.5: relay in the middle). */
  fractionA?: number;
  /** Extra loss on each side, dB. */
  extraLossADb?: number;
  extraLossBDb?: number;
  symmetric?: boolean;
  security?: MdiSecurity;
  maxEvals?: number;
}

export interface MdiDistanceRow {
  /** Total fibre length Alice-relay-Bob, km. */
  lengthKm: number;
  lossDb: number;
  secretBits: number;
  secretBitsPerPulse: number;
  siftedBits: number;
  qber: number;
  phaseErrorBound: number;
  params: Record<string, number>;
}

function linkAt(input: MdiDistanceInput, lengthKm: number): MdiLink {
  const fa = input.fractionA ?? 0.5;
  return mdiLinkFromFibres({
    lengthAKm: lengthKm * fa, lengthBKm: lengthKm * (1 - fa), etaDet: input.etaDet, pDark: input.pDark,
    eMis: input.eMis, visibility: input.visibility, alphaDbPerKm: input.alphaDbPerKm,
    extraLossADb: input.extraLossADb, extraLossBDb: input.extraLossBDb,
  });
}

/** Optimised key at one total length. */
export function mdiAtDistance(input: MdiDistanceInput, lengthKm: number, start?: MdiParams): KeyRateResult {
  return mdiOptimise({ link: linkAt(input, lengthKm), pulses: input.pulses, f: input.f, security: input.security, symmetric: input.symmetric ?? (input.fractionA ?? 0.5) === 0.5, start, maxEvals: input.maxEvals });
}

function paramsFromResult(r: KeyRateResult): MdiParams {
  const side = (S: string): MdiSideParams => ({ s: r.params[`s${S}`], mu: r.params[`mu${S}`], nu: r.params[`nu${S}`], pS: r.params[`pS${S}`], pMu: r.params[`pMu${S}`], pNu: r.params[`pNu${S}`] });
  return { a: side('A'), b: side('B') };
}

/** Plot-ready table of the optimised MDI key versus total length (each row warm-starts the next). */
export function mdiKeyRateVsDistance(input: MdiDistanceInput, lengthsKm: number[]): MdiDistanceRow[] {
  const rows: MdiDistanceRow[] = [];
  let start: MdiParams | undefined;
  for (const L of lengthsKm) {
    const r = mdiAtDistance(input, L, start);
    if (r.secretBits > 0) start = paramsFromResult(r);
    rows.push({
      lengthKm: L, lossDb: (input.alphaDbPerKm ?? 0.2) * L + (input.extraLossADb ?? 0) + (input.extraLossBDb ?? 0),
      secretBits: r.secretBits, secretBitsPerPulse: r.secretBitsPerPulse, siftedBits: r.siftedBits,
      qber: r.qber, phaseErrorBound: r.phaseErrorBound, params: r.params,
    });
  }
  return rows;
}

/** Largest total length (km, to `tolKm`) with a positive optimised key, by bisection on [loKm, hiKm]. */
export function mdiMaxDistanceKm(input: MdiDistanceInput, loKm = 0, hiKm = 400, tolKm = 0.5): number {
  if (mdiAtDistance(input, loKm).secretBits <= 0) return loKm;
  if (mdiAtDistance(input, hiKm).secretBits > 0) return hiKm;
  let lo = loKm, hi = hiKm;
  while (hi - lo > tolKm) {
    const mid = (lo + hi) / 2;
    if (mdiAtDistance(input, mid).secretBits > 0) lo = mid; else hi = mid;
  }
  return lo;
}
