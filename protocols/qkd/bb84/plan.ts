// BB84 candidates: the transmitter (C or E) sends to the D node directly, through the switch; the
// receiver measures in a DoF it can decode. A calibrated pair on its direct route uses its fitted
// effective channel (infra/topologies/reference-calibration.json) instead of the nominal one.
import { dbToTransmittance } from '../../physics/channel.ts';
import { cascadeEfficiency } from '../../postprocessing/cascade-efficiency.ts';
import type { Candidate, PlanContext } from '../descriptor.ts';
import type { Bb84Channel } from './keyrate.ts';

/** The f the sessions' Cascade reaches at BB84's typical QBER (0.9 %) on 4 Mbit keys (cascade-efficiency.ts): it ranks candidates and
 *  seeds the finite-key optimiser; the plan's prediction then charges the leak the session will
 *  have (settleLeak), never the published f (1.13-1.18). */
export const RANK_F = cascadeEfficiency(0.009, 2 ** 22);

export function bb84Candidates(x: PlanContext): Candidate<Bb84Channel>[] {
  const { a, b, view, defaults: d } = x;
  const [tx, rx] = a.type === 'D' ? [b, a] : [a, b];
  return [{
    label: `BB84 ${tx.id}->${rx.id}`,
    tier: 1,
    protocol: 'bb84',
    relay: { kind: 'none' },
    channelDof: tx.dof,
    helpers: [],
    devices: [...x.deviceOf(tx), ...x.deviceOf(rx)],
    nativeDof: true,
    route: (ctx) => x.routeLegs(ctx, [(c) => x.planLeg(c, tx, { kind: 'node', node: rx.id }, x.measurable(rx))]),
    channel: (legs) => {
      const cal = view.calibration?.[`${rx.id}-${tx.id}`] ?? view.calibration?.[`${tx.id}-${rx.id}`];
      // Calibrated pair (direct route only): the fitted effective channel replaces the nominal one.
      const direct = legs[0]!.conversions.every((c) => c.at === 'node');
      const lossDb = cal && direct ? (view.fibreDbPerKm ?? 0.2) * cal.lengthKm + cal.extraLossDb : legs[0]!.lossDb;
      const eMis = cal && direct ? cal.misalignment : (tx.misalignment ?? d.misalignmentBb84) + x.serverMisalignment(legs) + x.residualOf(tx, rx);
      return {
        kind: 'bb84',
        link: { etaCh: dbToTransmittance(lossDb), etaDet: rx.etaDet ?? d.etaDet, pDark: rx.darkCount ?? d.darkCount, pAfterpulse: 0, eMis },
        // David's basis choice is passive 50:50 (docs/reference/reference-network.md).
        qXBob: 0.5,
        f: RANK_F,
      };
    },
  }];
}
