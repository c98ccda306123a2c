// BBM92 candidates: an untrusted E node (nearest first) sends one photon of each pair to each D node.
import { dbToTransmittance } from '../../physics/channel.ts';
import { cascadeEfficiency } from '../../postprocessing/cascade-efficiency.ts';
import type { Candidate, PlanContext } from '../descriptor.ts';
import type { Bbm92Channel } from './keyrate.ts';

/** The f the sessions' Cascade reaches at BBM92's typical QBER (2 %) on 1 Mbit keys (cascade-efficiency.ts): it ranks candidates and
 *  seeds the finite-key optimiser; the plan's prediction then charges the leak the session will
 *  have (settleLeak), never the published f (1.13-1.18). */
export const RANK_F = cascadeEfficiency(0.02, 2 ** 20);

export function bbm92Candidates(x: PlanContext): Candidate<Bbm92Channel>[] {
  const { a, b, defaults: d } = x;
  return x.helpers.map((e) => ({
    label: `BBM92 source ${e.id}`,
    tier: 1,
    protocol: 'bbm92',
    relay: { kind: 'source', node: e.id },
    channelDof: e.dof,
    helpers: [e],
    devices: [...x.deviceOf(a), ...x.deviceOf(b), ...x.deviceOf(e)],
    nativeDof: true,
    route: (ctx) => x.routeLegs(ctx, [
      (c) => x.planLeg(c, e, { kind: 'node', node: a.id }, x.measurable(a)),
      (c) => x.planLeg(c, e, { kind: 'node', node: b.id }, x.measurable(b)),
    ]),
    channel: (legs) => ({
      kind: 'bbm92',
      link: {
        etaA: dbToTransmittance(legs[0]!.lossDb) * (a.etaDet ?? d.etaDet),
        etaB: dbToTransmittance(legs[1]!.lossDb) * (b.etaDet ?? d.etaDet),
        pDark: a.darkCount ?? d.darkCount,
        eMis: (e.misalignment ?? d.misalignmentMdi) + x.serverMisalignment(legs) + x.residualOf(e, a, b),
      },
      f: RANK_F,
      // Both D nodes choose their basis passively at a 50:50 beam splitter (David's, as for BB84).
      qX: 0.5,
    }),
  }));
}
