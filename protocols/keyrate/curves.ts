// Model curves for the paper's figures: secret (after PA) and sifted (error-corrected, before PA)
// key per second against fibre length for every protocol of the network, from the key-rate engine
// with the reference hardware (docs/reference/reference-network.md: 1 GHz, SPDs 20 %, 1e-6 dark counts per gate,
// 0.2 dB/km) and optimised source parameters at each length, the leak of the sessions' Cascade
// (cascade-efficiency.ts) rather than a nominal f. The QDS signature rate of one link follows as
// key rate / bits per signature (Fig. 4).
//   BB84 (C–D, Lim et al. PRA 89, 022307 (2014)): e_mis 0.9 % (the published D–x QBERs), David's
//     passive 50:50 basis choice, T = 2 s as published; x = source-to-detector length.
//   MDI (C–C through a D relay in the middle; Xu et al. NJP 15, 113007 (2013) App. B gains, finite
//     key mdi-finite.ts): e_d 2.5 % (median of the calibrated MDI rows), HOM V 0.945 (network fit),
//     T = 1000 s; x = source-to-source length.
//   MDI, joint BSM (physics/joint-bsm.ts): the relay replaced by the server's beam splitter (0.2 dB),
//     one more cross-connect (1 dB) and two 25 km port fibres to D nodes that split early/late onto
//     two SPDs (1/2); x = source-to-source length through the server.
//   BBM92 (D–D with an E source in the middle; Ma, Fung, Lo PRA 76, 012307 (2007)): e_d 1.5 %,
//     passive 50:50 basis choice, T = 1000 s; x = detector-to-detector length.
import { bb84Optimise } from './bb84-optimise.ts';
import { bb84Predict } from './bb84-lim.ts';
import { mdiOptimise, mdiPredict, type MdiParams } from './mdi.ts';
import { paramsOf } from './mdi-reference.ts';
import { bbm92Optimise, bbm92Predict } from './bbm92.ts';
import type { KeyRateResult } from './types.ts';
import type { SessionProtocol } from '../qkd/registry.ts';
import { mdiLinkFromFibres, type MdiLink } from '../physics/mdi-model.ts';
import { jointBsmToMdiLink } from '../physics/joint-bsm.ts';
import { cascadeEfficiency, effectiveEfficiency } from '../postprocessing/cascade-efficiency.ts';

/** A curve is of a session protocol (protocols/qkd/registry.ts). */
export type CurveProtocol = SessionProtocol;
export interface CurvePoint { lengthKm: number; secretPerSecond: number; siftedPerSecond: number }
export interface KeyRateCurve { protocol: CurveProtocol; label: string; seconds: number; points: CurvePoint[] }

const ETA_DET = 0.2, P_DARK = 1e-6, RATE = 1e9;
const t = (km: number, extraDb = 0) => 10 ** (-(0.2 * km + extraDb) / 10);

function bb84At(L: number, seconds: number): KeyRateResult {
  const link = { etaCh: t(L), etaDet: ETA_DET, pDark: P_DARK, pAfterpulse: 0, eMis: 0.009 };
  const pulses = seconds * RATE;
  const opt = bb84Optimise({ link, pulses, f: cascadeEfficiency(0.009, 2 ** 22), qXBob: 0.5 });
  const p = opt.params;
  return bb84Predict({ link, pulses, source: { qX: p.qX!, qXBob: 0.5, mu1: p.mu1!, mu2: p.mu2!, mu3: p.mu3!, pMu1: p.pMu1!, pMu2: p.pMu2! }, f: effectiveEfficiency(opt.siftedBits, opt.qber, 'none') });
}

function mdiAt(link: MdiLink, seconds: number, start?: MdiParams): KeyRateResult {
  const pulses = seconds * RATE;
  const opt = mdiOptimise({ link, pulses, f: cascadeEfficiency(0.025, 2 ** 22), symmetric: true, maxEvals: 600, ...(start ? { start } : {}) });
  return mdiPredict({ link, pulses, params: paramsOf(opt), f: effectiveEfficiency(opt.siftedBits, opt.qber, 'sample') });
}

export const MDI_CURVE = { eMis: 0.025, visibility: 0.945 };

function mdiLink(L: number): MdiLink {
  return mdiLinkFromFibres({ lengthAKm: L / 2, lengthBKm: L / 2, etaDet: ETA_DET, pDark: P_DARK, ...MDI_CURVE });
}

function jointLink(L: number): MdiLink {
  const port = { fibreKm: 25, etaDet: ETA_DET, pDark: P_DARK, extraLossDb: 1, passiveBinSplit: { couplerExcessDb: 0.2 } };
  return jointBsmToMdiLink({ lengthAKm: L / 2, lengthBKm: L / 2, extraLossADb: 0.2, extraLossBDb: 0.2, ports: [port, port], ...MDI_CURVE }).link;
}

function bbm92At(L: number, seconds: number): KeyRateResult {
  const eta = t(L / 2) * ETA_DET;
  const link = { etaA: eta, etaB: eta, pDark: P_DARK, eMis: 0.015 };
  const pulses = seconds * RATE;
  const opt = bbm92Optimise({ link, pulses, f: cascadeEfficiency(0.02, 2 ** 22), qX: 0.5 });
  return bbm92Predict({ link, lambda: opt.params.lambda!, qX: 0.5, pulses, f: effectiveEfficiency(opt.siftedBits, opt.qber, 'sample') });
}

const point = (L: number, r: KeyRateResult, seconds: number): CurvePoint => ({ lengthKm: L, secretPerSecond: r.secretBits / seconds, siftedPerSecond: r.secretBits > 0 ? r.siftedBits / seconds : 0 });

/** Curves on a grid of lengths (km); a curve stops after its first length without a key. */
export function keyRateCurves(lengthsKm: number[] = Array.from({ length: 21 }, (_, i) => i * 10)): KeyRateCurve[] {
  const until = (f: (L: number) => CurvePoint): CurvePoint[] => {
    const out: CurvePoint[] = [];
    for (const L of lengthsKm) { const p = f(L); out.push(p); if (p.secretPerSecond <= 0) break; }
    return out;
  };
  let start: MdiParams | undefined;
  const mdi = (link: (L: number) => MdiLink) => (L: number) => {
    const r = mdiAt(link(L), 1000, start);
    if (r.secretBits > 0) start = paramsOf(r);
    return point(L, r, 1000);
  };
  const curves: KeyRateCurve[] = [
    { protocol: 'bb84', label: 'BB84 (C–D), T = 2 s', seconds: 2, points: until((L) => point(L, bb84At(L, 2), 2)) },
    { protocol: 'mdi', label: 'MDI (C–C via a D relay), T = 1000 s', seconds: 1000, points: until(mdi(mdiLink)) },
  ];
  start = undefined;
  curves.push({ protocol: 'mdi-joint', label: 'MDI, joint BSM (2 x 25 km ports), T = 1000 s', seconds: 1000, points: until(mdi(jointLink)) });
  curves.push({ protocol: 'bbm92', label: 'BBM92 (D–D via an E source), T = 1000 s', seconds: 1000, points: until((L) => point(L, bbm92At(L, 1000), 1000)) });
  return curves;
}
