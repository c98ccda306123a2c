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
import type { NetworkView, Plan } from './orchestration-types.ts';
import { REFERENCE_DEFAULTS } from './orchestration.ts';

/** Per-link constants fitted to the published rows (infra/topologies/reference-calibration.json). */
export interface LinkCalibration { extraLossDb: number; misalignment: number; fittedTo?: { lengthKm?: number } }
export interface CalibrationData {
  bb84Assumptions?: { etaDet?: number; pDark?: number; pAfterpulse?: number; alphaDbPerKm?: number };
  links?: Record<string, LinkCalibration>;
}

export interface FabricEnv {
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
  const residual = sum(Object.values(env.residual));
  return {
    tx, rx,
    link: {
      etaCh: dbToTransmittance(lossDb),
      etaDet: rxView?.etaDet ?? a.etaDet ?? REFERENCE_DEFAULTS.etaDet,
      pDark: rxView?.darkCount ?? a.pDark ?? REFERENCE_DEFAULTS.darkCount,
      pAfterpulse: a.pAfterpulse ?? 0,
      // Misalignments add to first order (each is a small probability of a wrong detector).
      eMis: Math.min(0.5, intrinsic + residual),
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

/** Start the optical run of a planned session. */
export function runFabric(plan: Plan, env: FabricEnv): FabricRun {
  const counter = { n: 0 };
  if (plan.protocol === 'bb84') {
    const { link } = bb84LinkFor(plan, env);
    return { link: { ...link }, deliveries: bb84Deliveries(plan, env, counter), detections: () => counter.n };
  }
  throw new Error(`the fabric cannot emulate ${plan.protocol} sessions yet`);
}
