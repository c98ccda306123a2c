// The emulated optics of an MDI session (actors/server/fabric.ts runs it): a single relay's BSM
// (the reference row's calibrated link where the pair has one) or a joint BSM of two D nodes
// behind the server's beam splitter; each participant gets only its local view.
import { dbToTransmittance } from '../../physics/channel.ts';
import type { MdiLink } from '../../physics/mdi-model.ts';
import { sampleMdiFrames } from '../../physics/sampler-mdi.ts';
import { calibratedLink, REFERENCE_MDI_ROWS } from '../../keyrate/mdi-reference.ts';
import { jointBsmToMdiLink, type JointBsmConfig } from '../../physics/joint-bsm.ts';
import { sampleJointBsmFrames } from '../../physics/sampler-joint-bsm.ts';
import type { NodeView, Plan } from '../../../actors/server/orchestration-types.ts';
import type { Delivery, FabricEnv, FabricRun } from '../descriptor.ts';
import { jointBsmOptics } from './joint-optics.ts';
import { mdiSourceParams } from './params.ts';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The reference-row key of a pair ("A-B") and whether the plan's (a, b) is the row's order reversed. */
export function mdiRowKey(a: string, b: string): { key: string; swapped: boolean } {
  const x = a[0]!.toUpperCase(), y = b[0]!.toUpperCase();
  return x <= y ? { key: `${x}-${y}`, swapped: false } : { key: `${y}-${x}`, swapped: true };
}

/** The MDI link of a plan (single relay): the reference row's calibrated link (Xu 2013 App. B
 *  model with the fitted extra loss, e_d and HOM visibility) where the pair has one, else the
 *  planned legs' losses and the relay's detectors; plus the parties' calibration residuals. */
export function mdiLinkFor(plan: Plan, env: FabricEnv): MdiLink {
  const residual = sum(Object.values(env.residual));
  const { key, swapped } = mdiRowKey(plan.a, plan.b);
  const row = REFERENCE_MDI_ROWS.find((r) => r.pair === key);
  const cal = env.mdiCalibration?.mdi?.links?.[key];
  if (row && cal) {
    // The fitted e_d is the published total: the residuals deviate from their expectation.
    const expected = env.expectedResidual([plan.a, plan.b, ...(plan.relay.kind === 'single' ? [plan.relay.node] : [])]);
    const l = calibratedLink(row, { extraLossDb: cal.extraLossDb, eMis: Math.min(0.5, Math.max(0, cal.eMis + residual - expected)), visibility: env.mdiCalibration?.mdi?.hom?.visibility ?? 1 });
    return swapped ? { ...l, etaA: l.etaB, etaB: l.etaA } : l;
  }
  const r = plan.relay;
  const relay = r.kind === 'single' ? env.view.nodes.find((n) => n.id === r.node) : undefined;
  const etaDet = relay?.etaDet ?? env.defaults.etaDet;
  const legOf = (n: string) => plan.legs.find((l) => l.from === n);
  return {
    etaA: dbToTransmittance(legOf(plan.a)?.lossDb ?? 0) * etaDet,
    etaB: dbToTransmittance(legOf(plan.b)?.lossDb ?? 0) * etaDet,
    pDark: relay?.darkCount ?? env.defaults.darkCount,
    eMis: Math.min(0.5, (relay?.misalignment ?? env.defaults.misalignmentMdi) + residual),
    visibility: env.defaults.visibility,
  };
}

function* mdiDeliveries(plan: Plan, env: FabricEnv, link: MdiLink, counter: { n: number }): Generator<Delivery> {
  if (plan.relay.kind !== 'single') throw new Error(`MDI relay ${plan.relay.kind} not emulated here`);
  const relay = plan.relay.node;
  for (const f of sampleMdiFrames({ pulses: plan.pulses, params: mdiSourceParams(plan.params), link, seed: env.seed, maxFrameEvents: env.maxFrameEvents })) {
    counter.n += f.relay.deltas.length;
    yield { node: plan.a, msg: { type: 'fabric.frame', firstSlot: f.a.firstSlot, deltas: f.a.deltas, intensity: f.a.intensity, bit: f.a.bit } };
    yield { node: plan.b, msg: { type: 'fabric.frame', firstSlot: f.b.firstSlot, deltas: f.b.deltas, intensity: f.b.intensity, bit: f.b.bit } };
    yield { node: relay, msg: { type: 'fabric.frame', firstSlot: f.relay.firstSlot, deltas: f.relay.deltas, bell: f.relay.bell } };
  }
  for (const n of [plan.a, plan.b, relay]) yield { node: n, msg: { type: 'fabric.end', detections: counter.n } };
}

/** The joint-BSM optics of a plan (orchestration.ts joint candidate): legs 0/1 carry the sources
 *  to the server's beam splitter, legs 2/3 its outputs to the two D nodes; the same construction
 *  as the planner's (joint-optics.ts), with the calibration residuals the parties reported. */
export function jointBsmConfigFor(plan: Plan, env: FabricEnv): JointBsmConfig {
  const r = plan.relay;
  if (r.kind !== 'joint') throw new Error('not a joint-BSM plan');
  const bs = env.view.server.beamSplitters.find((b) => b.id === r.beamSplitter);
  const node = (id: string): NodeView => {
    const v = env.view.nodes.find((n) => n.id === id);
    if (!v) throw new Error(`plan ${plan.sessionId}: ${id} is not in the network view`);
    return v;
  };
  const legTo = (from: string) => plan.legs.find((l) => l.from === from && l.to.startsWith('bs:'));
  const xLoss = (to: string) => (plan.legs.find((l) => l.to === to)?.hops ?? []).filter((h) => h.kind === 'xconnect').reduce((x, h) => x + h.lossDb, 0);
  return jointBsmOptics({
    a: node(plan.a), b: node(plan.b), ports: [node(r.nodes[0]), node(r.nodes[1])], channelDof: plan.dof.channel, view: env.view,
    inLossDb: [legTo(plan.a)?.lossDb ?? 0, legTo(plan.b)?.lossDb ?? 0],
    outCrossConnectDb: [xLoss(r.nodes[0]), xLoss(r.nodes[1])],
    bsLossDb: bs?.lossDb ?? 0,
    conversionsAtNodes: plan.conversions.every((c) => c.at === 'node'),
    serverMisalignment: env.serverMisalignment,
    residual: sum(Object.values(env.residual)),
    expectedResidual: env.expectedResidual([plan.a, plan.b, ...r.nodes]),
    defaults: env.defaults,
  });
}

function* jointDeliveries(plan: Plan, env: FabricEnv, bsm: JointBsmConfig, counter: { n: number }): Generator<Delivery> {
  const r = plan.relay;
  if (r.kind !== 'joint') throw new Error('not a joint-BSM plan');
  for (const f of sampleJointBsmFrames({ pulses: plan.pulses, params: mdiSourceParams(plan.params), bsm, seed: env.seed, maxFrameEvents: env.maxFrameEvents })) {
    counter.n += f.a.deltas.length;
    yield { node: plan.a, msg: { type: 'fabric.frame', firstSlot: f.a.firstSlot, deltas: f.a.deltas, intensity: f.a.intensity, bit: f.a.bit } };
    yield { node: plan.b, msg: { type: 'fabric.frame', firstSlot: f.b.firstSlot, deltas: f.b.deltas, intensity: f.b.intensity, bit: f.b.bit } };
    for (const i of [0, 1] as const) yield { node: r.nodes[i], msg: { type: 'fabric.frame', firstSlot: f.ports[i].firstSlot, deltas: f.ports[i].deltas, bins: f.ports[i].bins } };
  }
  for (const n of [plan.a, plan.b, ...r.nodes]) yield { node: n, msg: { type: 'fabric.end', detections: counter.n } };
}

/** The emulated optics of an MDI session: a single relay's BSM, or the joint BSM's two D nodes. */
export function mdiFabric(plan: Plan, env: FabricEnv): FabricRun {
  const counter = { n: 0 };
  if (plan.relay.kind === 'joint') {
    const bsm = jointBsmConfigFor(plan, env);
    return { link: { ...jointBsmToMdiLink(bsm).link }, deliveries: jointDeliveries(plan, env, bsm, counter), detections: () => counter.n };
  }
  const link = mdiLinkFor(plan, env);
  return { link: { ...link }, deliveries: mdiDeliveries(plan, env, link, counter), detections: () => counter.n };
}
