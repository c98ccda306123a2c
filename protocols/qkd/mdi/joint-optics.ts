// The optics of one joint-BSM session (two sources into the server's beam splitter, its outputs to
// two D nodes), built the same way for the planner's prediction (protocols/qkd/mdi/plan.ts) and for the
// emulated run (protocols/qkd/mdi/fabric.ts), so both see one light path. A pair with a reference MDI calibration
// in the same DoF keeps its calibrated sources and fibres (protocols/keyrate/joint-bsm-reference.ts);
// any other pair is built from the planned legs and the nodes' device constants.
import type { JointBsmConfig } from '../../physics/joint-bsm.ts';
import { calibratedJointBsm } from '../../keyrate/joint-bsm-reference.ts';
import type { Dof } from '../../types.ts';
import type { NetworkView, NodeView } from '../../../actors/server/orchestration-types.ts';

export interface JointBsmDevices { etaDet: number; darkCount: number; misalignmentMdi: number; visibility: number }

export interface JointBsmInputs {
  a: NodeView;
  b: NodeView;
  /** The D nodes on the beam splitter's output ports 0 and 1. */
  ports: [NodeView, NodeView];
  /** DoF at the beam splitter. */
  channelDof: Dof;
  /** Loss of each source's leg into the beam splitter (fibre, cross-connect, server converter), dB. */
  inLossDb: [number, number];
  /** Cross-connect loss of each output leg, dB. */
  outCrossConnectDb: [number, number];
  /** The beam splitter's excess loss, dB (the D nodes' early/late couplers are taken alike). */
  bsLossDb: number;
  /** True when every DoF conversion happens at the nodes' own converters (the calibrated case). */
  conversionsAtNodes: boolean;
  /** Misalignment of the server converters on the path. */
  serverMisalignment: number;
  /** The participants' calibration residuals (the fabric: as reported; the planner: their expectation)
   *  and their expectation: a calibrated pair's fitted e_d is the published total, so there only the
   *  deviation from the expectation is added. */
  residual: number;
  expectedResidual: number;
  view: NetworkView;
  defaults: JointBsmDevices;
}

export function jointBsmOptics(x: JointBsmInputs): JointBsmConfig {
  const { a, b, view, defaults: d } = x;
  const port = (n: NodeView, i: 0 | 1) => ({ fibreKm: n.linkKm, etaDet: n.etaDet ?? d.etaDet, pDark: n.darkCount ?? d.darkCount, extraLossDb: n.extraLossDb ?? 0, xc: x.outCrossConnectDb[i] });
  const [p0, p1] = [port(x.ports[0], 0), port(x.ports[1], 1)];
  const cal = view.mdiCalibration?.[`${a.id}-${b.id}`] ?? view.mdiCalibration?.[`${b.id}-${a.id}`];
  const relay = cal && view.nodes.find((n) => n.id === cal.relay);
  if (cal && relay && cal.channelDof === x.channelDof && x.conversionsAtNodes) {
    const flip = view.mdiCalibration?.[`${a.id}-${b.id}`] === undefined;
    const cfg = calibratedJointBsm(
      { ...cal, lengthAKm: flip ? cal.lengthBKm : cal.lengthAKm, lengthBKm: flip ? cal.lengthAKm : cal.lengthBKm },
      { nodeKmA: a.linkKm, nodeKmB: b.linkKm, relayKm: relay.linkKm },
      { beamSplitterLossDb: x.bsLossDb, outputCrossConnectDb: [p0.xc, p1.xc], couplerExcessDb: x.bsLossDb },
      [p0, p1], view.fibreDbPerKm ?? 0.2,
    );
    return { ...cfg, eMis: Math.min(0.5, Math.max(0, cfg.eMis + x.serverMisalignment + x.residual - x.expectedResidual)) };
  }
  const split = { couplerExcessDb: x.bsLossDb };
  return {
    lengthAKm: 0, lengthBKm: 0,
    extraLossADb: x.inLossDb[0] + x.bsLossDb,
    extraLossBDb: x.inLossDb[1] + x.bsLossDb,
    ports: [
      { fibreKm: p0.fibreKm, etaDet: p0.etaDet, pDark: p0.pDark, extraLossDb: p0.extraLossDb + p0.xc, passiveBinSplit: split },
      { fibreKm: p1.fibreKm, etaDet: p1.etaDet, pDark: p1.pDark, extraLossDb: p1.extraLossDb + p1.xc, passiveBinSplit: split },
    ],
    eMis: Math.min(0.5, Math.max(a.misalignment ?? d.misalignmentMdi, b.misalignment ?? d.misalignmentMdi) + x.serverMisalignment + x.residual),
    visibility: d.visibility,
    alphaDbPerKm: view.fibreDbPerKm ?? 0.2,
  };
}
