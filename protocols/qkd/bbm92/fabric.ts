// The emulated optics of a BBM92 session (actors/server/fabric.ts runs it): the E node's pairs to
// the two D nodes through the switch; each D node gets its own coincidence click records.
import { dbToTransmittance } from '../../physics/channel.ts';
import type { Bbm92Link } from '../../keyrate/bbm92.ts';
import { sampleBbm92Frames } from '../../physics/sampler-bbm92.ts';
import type { Plan } from '../../../actors/server/orchestration-types.ts';
import type { Delivery, FabricEnv, FabricRun } from '../descriptor.ts';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

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
    return dbToTransmittance(l.lossDb) * (node(to)?.etaDet ?? env.defaults.etaDet);
  };
  return {
    etaA: arm(plan.a), etaB: arm(plan.b),
    pDark: node(plan.a)?.darkCount ?? env.defaults.darkCount,
    eMis: Math.min(0.5, (node(r.node)?.misalignment ?? env.defaults.misalignmentMdi) + env.serverMisalignment + sum(Object.values(env.residual))),
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

/** The emulated optics of a BBM92 session. */
export function bbm92Fabric(plan: Plan, env: FabricEnv): FabricRun {
  const counter = { n: 0 };
  const link = bbm92LinkFor(plan, env);
  return { link: { ...link }, deliveries: bbm92Deliveries(plan, env, link, counter), detections: () => counter.n };
}
