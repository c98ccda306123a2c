// The emulated optical layer on the server side (ARCHITECTURE.md "The emulated optical layer"):
// for a planned session it builds the physical model of the light path (legs of the plan, the
// devices of the nodes, the per-link constants fitted to the reference experiment, and the
// residual misalignment the parties' calibration left), runs the detection-event sampler, and
// yields, per participant, ONLY that participant's local view (the source its prepared choices in
// the detected slots, the detector its click records). Nothing here is protocol logic; the
// fabric's own frame (Eve's branch per slot) never leaves this file.
import type { Bb84Link, Bb84SourceParams } from '../../protocols/physics/bb84-model.ts';
import { dbToTransmittance } from '../../protocols/physics/channel.ts';
import { sampleBb84Frames } from '../../protocols/physics/sampler-bb84.ts';
import type { PpMessage } from '../../protocols/postprocessing/channel.ts';
import type { MdiLink } from '../../protocols/physics/mdi-model.ts';
import { sampleMdiFrames, type MdiSourceParams } from '../../protocols/physics/sampler-mdi.ts';
import { calibratedLink, REFERENCE_MDI_ROWS } from '../../protocols/keyrate/mdi-reference.ts';
import { jointBsmToMdiLink, type JointBsmConfig } from '../../protocols/physics/joint-bsm.ts';
import { sampleJointBsmFrames } from '../../protocols/physics/sampler-joint-bsm.ts';
import type { Bbm92Link } from '../../protocols/keyrate/bbm92.ts';
import { sampleBbm92Frames } from '../../protocols/physics/sampler-bbm92.ts';
import type { NetworkView, NodeView, Plan } from './orchestration-types.ts';
import { jointBsmOptics } from './joint-bsm-optics.ts';
import { expectedResidualOf } from '../node/devices.ts';
import { REFERENCE_DEFAULTS } from './orchestration.ts';
import { resourceId } from './resources.ts';

/** Per-link constants fitted to the published rows (infra/topologies/reference-calibration.json). */
export interface LinkCalibration { extraLossDb: number; misalignment: number; fittedTo?: { lengthKm?: number } }
export interface CalibrationData {
  bb84Assumptions?: { etaDet?: number; pDark?: number; pAfterpulse?: number; alphaDbPerKm?: number };
  links?: Record<string, LinkCalibration>;
}

/** MDI constants fitted to the published rows (infra/topologies/reference-calibration-mdi.json). */
export interface MdiCalibrationData {
  mdi?: {
    hom?: { visibility?: number };
    links?: Record<string, { extraLossDb: number; eMis: number; params: { a: Record<string, number>; b: Record<string, number> } }>;
  };
}

export interface FabricEnv {
  mdiCalibration?: MdiCalibrationData;
  view: NetworkView;
  calibration?: CalibrationData;
  /** Residual misalignment each participant's calibration left (session.ready). */
  residual: Record<string, number>;
  seed: string;
  maxFrameEvents?: number;
}

/** One delivery: a message on fabric.<sid>.<node>. The last one per node is `fabric.end`. */
export interface Delivery { node: string; msg: PpMessage }

export interface FabricRun {
  /** The model the sampler used (reported with the session result). */
  link: Record<string, number>;
  deliveries: Generator<Delivery>;
  /** Detections so far (grows while `deliveries` is consumed). */
  detections(): number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The BB84 link a plan's single leg stands for. Where the reference calibration has the pair
 *  (`David-Alice`), its fitted effective length, extra loss and misalignment are used, so the
 *  emulation reproduces the published l_sift and e_b; elsewhere the planned leg loss and the
 *  nodes' device constants. */
export function bb84LinkFor(plan: Plan, env: FabricEnv): { link: Bb84Link; tx: string; rx: string } {
  const leg = plan.legs[0];
  if (!leg) throw new Error(`plan ${plan.sessionId} has no optical leg`);
  const tx = leg.from, rx = leg.to;
  const rxView = env.view.nodes.find((n) => n.id === rx);
  const txView = env.view.nodes.find((n) => n.id === tx);
  const cal = env.calibration?.links?.[`${rx}-${tx}`] ?? env.calibration?.links?.[`${tx}-${rx}`];
  const a = env.calibration?.bb84Assumptions ?? {};
  const alpha = a.alphaDbPerKm ?? env.view.fibreDbPerKm ?? 0.2;
  const lossDb = cal?.fittedTo?.lengthKm !== undefined ? alpha * cal.fittedTo.lengthKm + cal.extraLossDb : leg.lossDb;
  const intrinsic = cal?.misalignment ?? txView?.misalignment ?? REFERENCE_DEFAULTS.misalignmentBb84;
  // A calibrated link's fitted misalignment is the published total: the residuals deviate from their expectation.
  const residual = sum(Object.values(env.residual)) - (cal ? expectedResidualOf([txView, rxView].filter((v): v is NodeView => !!v)) : 0);
  return {
    tx, rx,
    link: {
      etaCh: dbToTransmittance(lossDb),
      etaDet: rxView?.etaDet ?? a.etaDet ?? REFERENCE_DEFAULTS.etaDet,
      pDark: rxView?.darkCount ?? a.pDark ?? REFERENCE_DEFAULTS.darkCount,
      pAfterpulse: a.pAfterpulse ?? 0,
      // Misalignments add to first order (each is a small probability of a wrong detector).
      eMis: Math.min(0.5, Math.max(0, intrinsic + residual)),
    },
  };
}

export function bb84SourceParams(params: Record<string, number>): Bb84SourceParams {
  const need = (k: string) => { const v = params[k]; if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`plan params: ${k} missing`); return v; };
  return { qX: need('qX'), mu1: need('mu1'), mu2: need('mu2'), mu3: need('mu3'), pMu1: need('pMu1'), pMu2: need('pMu2'), ...(params.qXBob !== undefined ? { qXBob: params.qXBob } : {}) };
}

function* bb84Deliveries(plan: Plan, env: FabricEnv, counter: { n: number }): Generator<Delivery> {
  const { link, tx, rx } = bb84LinkFor(plan, env);
  for (const f of sampleBb84Frames({ pulses: plan.pulses, source: bb84SourceParams(plan.params), link, seed: env.seed, maxFrameEvents: env.maxFrameEvents })) {
    counter.n += f.detector.deltas.length;
    yield { node: tx, msg: { type: 'fabric.frame', firstSlot: f.source.firstSlot, deltas: f.source.deltas, intensity: f.source.intensity, basis: f.source.basis, bit: f.source.bit } };
    yield { node: rx, msg: { type: 'fabric.frame', firstSlot: f.detector.firstSlot, deltas: f.detector.deltas, basis: f.detector.basis, bit: f.detector.bit } };
  }
  yield { node: tx, msg: { type: 'fabric.end', detections: counter.n } };
  yield { node: rx, msg: { type: 'fabric.end', detections: counter.n } };
}

/** The reference-row key of a pair ("A-B") and whether the plan's (a, b) is the row's order reversed. */
export function mdiRowKey(a: string, b: string): { key: string; swapped: boolean } {
  const x = a[0]!.toUpperCase(), y = b[0]!.toUpperCase();
  return x <= y ? { key: `${x}-${y}`, swapped: false } : { key: `${y}-${x}`, swapped: true };
}

/** Flat plan parameters (sA, muA, nuA, pSA, pMuA, pNuA and B) as the sampler's per-side settings. */
export function mdiSourceParams(params: Record<string, number>): MdiSourceParams {
  const side = (x: 'A' | 'B') => {
    const v = { s: params[`s${x}`], mu: params[`mu${x}`], nu: params[`nu${x}`], pS: params[`pS${x}`], pMu: params[`pMu${x}`], pNu: params[`pNu${x}`] };
    for (const [k, val] of Object.entries(v)) if (typeof val !== 'number' || !Number.isFinite(val)) throw new Error(`plan params: ${k}${x} missing`);
    return v as { s: number; mu: number; nu: number; pS: number; pMu: number; pNu: number };
  };
  return { a: side('A'), b: side('B') };
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
    const expected = expectedResidualOf([plan.a, plan.b, ...(plan.relay.kind === 'single' ? [plan.relay.node] : [])].flatMap((id) => env.view.nodes.filter((n) => n.id === id)));
    const l = calibratedLink(row, { extraLossDb: cal.extraLossDb, eMis: Math.min(0.5, Math.max(0, cal.eMis + residual - expected)), visibility: env.mdiCalibration?.mdi?.hom?.visibility ?? 1 });
    return swapped ? { ...l, etaA: l.etaB, etaB: l.etaA } : l;
  }
  const r = plan.relay;
  const relay = r.kind === 'single' ? env.view.nodes.find((n) => n.id === r.node) : undefined;
  const etaDet = relay?.etaDet ?? REFERENCE_DEFAULTS.etaDet;
  const legOf = (n: string) => plan.legs.find((l) => l.from === n);
  return {
    etaA: dbToTransmittance(legOf(plan.a)?.lossDb ?? 0) * etaDet,
    etaB: dbToTransmittance(legOf(plan.b)?.lossDb ?? 0) * etaDet,
    pDark: relay?.darkCount ?? REFERENCE_DEFAULTS.darkCount,
    eMis: Math.min(0.5, (relay?.misalignment ?? REFERENCE_DEFAULTS.misalignmentMdi) + residual),
    visibility: REFERENCE_DEFAULTS.visibility,
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
 *  as the planner's (joint-bsm-optics.ts), with the calibration residuals the parties reported. */
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
  const serverMis = plan.conversions.filter((c) => c.at === 'server')
    .reduce((x, c) => x + (env.view.server.converters.find((v) => resourceId.serverConverter(v.id) === c.converter)?.misalignment ?? 0), 0);
  return jointBsmOptics({
    a: node(plan.a), b: node(plan.b), ports: [node(r.nodes[0]), node(r.nodes[1])], channelDof: plan.dof.channel, view: env.view,
    inLossDb: [legTo(plan.a)?.lossDb ?? 0, legTo(plan.b)?.lossDb ?? 0],
    outCrossConnectDb: [xLoss(r.nodes[0]), xLoss(r.nodes[1])],
    bsLossDb: bs?.lossDb ?? 0,
    conversionsAtNodes: plan.conversions.every((c) => c.at === 'node'),
    serverMisalignment: serverMis,
    residual: sum(Object.values(env.residual)),
    expectedResidual: expectedResidualOf([plan.a, plan.b, ...r.nodes].map(node)),
    defaults: REFERENCE_DEFAULTS,
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

/** The BBM92 link of a plan (orchestration.ts BBM92 candidate): legs 0/1 carry the E node's pairs
 *  to a and b through the switch; each arm's transmittance times that D node's detector efficiency,
 *  the E source's intrinsic misalignment plus any server converter's and the calibration residuals. */
export function bbm92LinkFor(plan: Plan, env: FabricEnv): Bbm92Link {
  const r = plan.relay;
  if (r.kind !== 'source') throw new Error('not a BBM92 plan (no E source)');
  const node = (id: string) => env.view.nodes.find((n) => n.id === id);
  const leg = (to: string) => plan.legs.find((l) => l.from === r.node && l.to === to);
  const arm = (to: string) => {
    const l = leg(to);
    if (!l) throw new Error(`plan ${plan.sessionId} has no leg ${r.node} -> ${to}`);
    return dbToTransmittance(l.lossDb) * (node(to)?.etaDet ?? REFERENCE_DEFAULTS.etaDet);
  };
  const serverMis = plan.conversions.filter((c) => c.at === 'server')
    .reduce((x, c) => x + (env.view.server.converters.find((v) => resourceId.serverConverter(v.id) === c.converter)?.misalignment ?? 0), 0);
  return {
    etaA: arm(plan.a), etaB: arm(plan.b),
    pDark: node(plan.a)?.darkCount ?? REFERENCE_DEFAULTS.darkCount,
    eMis: Math.min(0.5, (node(r.node)?.misalignment ?? REFERENCE_DEFAULTS.misalignmentMdi) + serverMis + sum(Object.values(env.residual))),
  };
}

/** BBM92: each D node its own coincidence click records; the untrusted E node emits pairs and
 *  measures nothing, so its view is the end marker alone. */
function* bbm92Deliveries(plan: Plan, env: FabricEnv, link: Bbm92Link, counter: { n: number }): Generator<Delivery> {
  const r = plan.relay;
  if (r.kind !== 'source') throw new Error('not a BBM92 plan (no E source)');
  const need = (k: string) => { const v = plan.params[k]; if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`plan params: ${k} missing`); return v; };
  for (const f of sampleBbm92Frames({ pulses: plan.pulses, lambda: need('lambda'), qX: need('qX'), link, seed: env.seed, maxFrameEvents: env.maxFrameEvents })) {
    counter.n += f.a.deltas.length;
    yield { node: plan.a, msg: { type: 'fabric.frame', firstSlot: f.a.firstSlot, deltas: f.a.deltas, basis: f.a.basis, bit: f.a.bit } };
    yield { node: plan.b, msg: { type: 'fabric.frame', firstSlot: f.b.firstSlot, deltas: f.b.deltas, basis: f.b.basis, bit: f.b.bit } };
  }
  for (const n of [plan.a, plan.b]) yield { node: n, msg: { type: 'fabric.end', detections: counter.n } };
  // The source detects nothing: it does not learn the coincidence count from the fabric either.
  yield { node: r.node, msg: { type: 'fabric.end', detections: 0 } };
}

/** Start the optical run of a planned session. */
export function runFabric(plan: Plan, env: FabricEnv): FabricRun {
  const counter = { n: 0 };
  if (plan.protocol === 'bb84') {
    const { link } = bb84LinkFor(plan, env);
    return { link: { ...link }, deliveries: bb84Deliveries(plan, env, counter), detections: () => counter.n };
  }
  if (plan.protocol === 'mdi') {
    const link = mdiLinkFor(plan, env);
    return { link: { ...link }, deliveries: mdiDeliveries(plan, env, link, counter), detections: () => counter.n };
  }
  if (plan.protocol === 'mdi-joint') {
    const bsm = jointBsmConfigFor(plan, env);
    return { link: { ...jointBsmToMdiLink(bsm).link }, deliveries: jointDeliveries(plan, env, bsm, counter), detections: () => counter.n };
  }
  if (plan.protocol === 'bbm92') {
    const link = bbm92LinkFor(plan, env);
    return { link: { ...link }, deliveries: bbm92Deliveries(plan, env, link, counter), detections: () => counter.n };
  }
  throw new Error(`the fabric cannot emulate ${plan.protocol} sessions yet`);
}
