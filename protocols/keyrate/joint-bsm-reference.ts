// The joint BSM of a calibrated pair, derived from that pair's single-relay calibration with
// nothing fitted to a joint-BSM key (docs/reference/physics-and-keyrates.md, "joint BSM"; physics/joint-bsm.ts).
//
// The reference calibration (mdi-reference.ts) describes a pair measured at David: the effective
// length L (published, with component losses) split between the sides in proportion to the spools
// each photon crosses, L_A = L (d_A + d_R) / (d_A + d_B + 2 d_R) with d_R David's 25 km, plus a
// fitted extra loss (half per side) and the fitted Z misalignment e_d. The joint BSM keeps the
// sources, their fibres to the server and their encoders, and replaces what lies after the switch:
//   - source to the server: the share L d_A / (d_A + d_B + 2 d_R) of the effective length (the
//     relay's share L d_R / (...) is David's fibre, which the joint BSM does not use), the fitted
//     extra loss per side, minus David's time-bin pattern loss when the pair was measured in
//     time bins (10 log10 4 = 6.02 dB of coincidences, 3.01 dB per side: SINGLE_RELAY_TBP_PATTERNS;
//     B-C's fitted extra loss, 6.52 dB against -3.0...+1.5 dB for the polarization pairs, is this
//     loss plus 0.5 dB), plus the server's beam splitter (its excess loss);
//   - each output port: one more switch cross-connect (beam-splitter port to the D node's port),
//     the server-to-node fibre (common part: channel of both sides; asymmetric part: detection
//     efficiency of the longer port), the node's passive early/late split onto its two SPDs
//     (1/2 and the coupler's excess) and the SPDs (efficiency, dark counts).
// e_d is the pair's (the sources' encoders and time-bin references do not change), and so is the
// two-photon mode overlap (HOM visibility): the same photons interfere on another beam splitter.
import { jointBsmToMdiLink, SINGLE_RELAY_TBP_PATTERNS, type DetectorNode, type JointBsmConfig } from '../physics/joint-bsm.ts';
import { mdiOptimise, mdiPredict, type MdiParams } from './mdi.ts';
import { paramsOf } from './mdi-reference.ts';
import { cascadeEfficiency, effectiveEfficiency } from '../postprocessing/cascade-efficiency.ts';

export interface CalibratedPair {
  /** Effective lengths of each side to the calibration's relay (its fibre included), km. */
  lengthAKm: number;
  lengthBKm: number;
  /** Fitted extra loss of the pair, dB (half per side). */
  extraLossDb: number;
  /** Fitted Z misalignment e_d. */
  eMis: number;
  visibility: number;
  /** DoF the calibration's relay measured (tbp: one early- and one late-gated SPD). */
  channelDof: string;
}

export interface JointBsmSpools {
  /** Node-to-server fibre of each source, km. */
  nodeKmA: number;
  nodeKmB: number;
  /** Server-to-relay fibre of the calibration's relay (David: 25 km). */
  relayKm: number;
}

export interface JointBsmOptics {
  /** Excess loss of the server's 50:50 beam splitter, dB. */
  beamSplitterLossDb: number;
  /** Cross-connect loss of each output leg (beam-splitter port to the node's port), dB. */
  outputCrossConnectDb: [number, number];
  /** Excess loss of each D node's early/late coupler, dB. */
  couplerExcessDb: number;
}

export interface JointBsmPort { fibreKm: number; etaDet: number; pDark: number; extraLossDb?: number }

const dbOf = (x: number) => -10 * Math.log10(x);

/** dB per side that the time-bin single relay loses against the Xu 2013 model (3.01 dB). */
export const TBP_RELAY_PATTERN_LOSS_PER_SIDE_DB = dbOf(SINGLE_RELAY_TBP_PATTERNS) / 2;

export function calibratedJointBsm(cal: CalibratedPair, spools: JointBsmSpools, optics: JointBsmOptics, ports: [JointBsmPort, JointBsmPort], alphaDbPerKm = 0.2): JointBsmConfig {
  const L = cal.lengthAKm + cal.lengthBKm;
  const total = spools.nodeKmA + spools.nodeKmB + 2 * spools.relayKm;
  if (!(L > 0 && total > 0)) throw new RangeError('calibratedJointBsm: the calibration needs positive lengths');
  const relayLoss = cal.channelDof === 'tbp' ? TBP_RELAY_PATTERN_LOSS_PER_SIDE_DB : 0;
  const side = cal.extraLossDb / 2 - relayLoss + optics.beamSplitterLossDb;
  const port = (p: JointBsmPort, i: 0 | 1): DetectorNode => ({
    fibreKm: p.fibreKm, etaDet: p.etaDet, pDark: p.pDark,
    extraLossDb: (p.extraLossDb ?? 0) + optics.outputCrossConnectDb[i],
    passiveBinSplit: { couplerExcessDb: optics.couplerExcessDb },
  });
  return {
    lengthAKm: (L * spools.nodeKmA) / total,
    lengthBKm: (L * spools.nodeKmB) / total,
    extraLossADb: side,
    extraLossBDb: side,
    ports: [port(ports[0], 0), port(ports[1], 1)],
    eMis: cal.eMis,
    visibility: cal.visibility,
    alphaDbPerKm,
  };
}

/** The derived joint BSM's key at other server-to-node fibres (the one parameter the paper does not
 *  publish): both ports at `portKm` (common part, channel) and port 1 longer by `deltaKm`
 *  (asymmetric part, detection efficiency), optimised parameters, leak of the sessions' Cascade. */
export interface JointBsmSensitivityRow { portKm: number; deltaKm: number; etaA: number; etaB: number; siftedBits: number; qber: number; secretBits: number }

export function jointBsmSensitivity(base: JointBsmConfig, cases: Array<{ portKm: number; deltaKm: number }>, pulses: number, start?: MdiParams): JointBsmSensitivityRow[] {
  return cases.map(({ portKm, deltaKm }) => {
    const cfg: JointBsmConfig = { ...base, ports: [{ ...base.ports[0], fibreKm: portKm }, { ...base.ports[1], fibreKm: portKm + deltaKm }] };
    const link = jointBsmToMdiLink(cfg).link;
    const opt = mdiOptimise({ link, pulses, f: cascadeEfficiency(0.02, 2 ** 20), symmetric: false, maxEvals: 800, ...(start ? { start } : {}) });
    const r = mdiPredict({ link, pulses, params: paramsOf(opt), f: effectiveEfficiency(opt.siftedBits, opt.qber, 'sample') });
    return { portKm, deltaKm, etaA: link.etaA, etaB: link.etaB, siftedBits: r.siftedBits, qber: r.qber, secretBits: r.secretBits };
  });
}
