// The emulated optics of a BB84 session (actors/server/fabric.ts runs it): the link a plan's single
// leg stands for, sampled detection by detection; each participant gets only its local view.
import type { Bb84Link } from '../../physics/bb84-model.ts';
import { dbToTransmittance } from '../../physics/channel.ts';
import { sampleBb84Frames } from '../../physics/sampler-bb84.ts';
import type { Plan } from '../../../actors/server/orchestration-types.ts';
import type { Delivery, FabricEnv, FabricRun } from '../descriptor.ts';
import { bb84SourceParams } from './params.ts';

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
  const intrinsic = cal?.misalignment ?? txView?.misalignment ?? env.defaults.misalignmentBb84;
  // A calibrated link's fitted misalignment is the published total: the residuals deviate from their expectation.
  const residual = sum(Object.values(env.residual)) - (cal ? env.expectedResidual([tx, rx]) : 0);
  return {
    tx, rx,
    link: {
      etaCh: dbToTransmittance(lossDb),
      etaDet: rxView?.etaDet ?? a.etaDet ?? env.defaults.etaDet,
      pDark: rxView?.darkCount ?? a.pDark ?? env.defaults.darkCount,
      pAfterpulse: a.pAfterpulse ?? 0,
      // Misalignments add to first order (each is a small probability of a wrong detector).
      eMis: Math.min(0.5, Math.max(0, intrinsic + residual)),
    },
  };
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

/** The emulated optics of a BB84 session: the source's prepared choices, the detector's clicks. */
export function bb84Fabric(plan: Plan, env: FabricEnv): FabricRun {
  const counter = { n: 0 };
  const { link } = bb84LinkFor(plan, env);
  return { link: { ...link }, deliveries: bb84Deliveries(plan, env, counter), detections: () => counter.n };
}
