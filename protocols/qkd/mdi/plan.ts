// MDI candidates: each BSM-capable D relay (nearest first) in every DoF it measures, then joint
// BSMs: the server's beam splitter interferes the two signals and its outputs go to two D nodes
// that each gate two detectors on early/late bins (physics/joint-bsm.ts). A calibrated pair
// (infra/topologies/reference-calibration-mdi.json) at its relay and DoF uses its fitted link
// and pre-computed parameters.
import { mdiLinkFromFibres, type MdiLink } from '../../physics/mdi-model.ts';
import { jointBsmToMdiLink } from '../../physics/joint-bsm.ts';
import { dbToTransmittance } from '../../physics/channel.ts';
import type { Dof } from '../../types.ts';
import type { PlannedLeg } from '../../../actors/server/routing.ts';
import { cascadeEfficiency } from '../../postprocessing/cascade-efficiency.ts';
import type { Candidate, PlanContext } from '../descriptor.ts';
import { jointBsmOptics } from './joint-optics.ts';
import type { MdiChannel } from './keyrate.ts';

const intersect = (a: readonly Dof[], b: readonly Dof[]): Dof[] => a.filter((d) => b.includes(d));

/** The f the sessions' Cascade reaches at MDI's typical QBER (2.5 %) on 4 Mbit keys (cascade-efficiency.ts): it ranks candidates and
 *  seeds the finite-key optimiser; the plan's prediction then charges the leak the session will
 *  have (settleLeak), never the published f (1.13-1.18). */
export const RANK_F = cascadeEfficiency(0.025, 2 ** 22);

export function mdiCandidates(x: PlanContext): Candidate<MdiChannel>[] {
  const { a, b, view, defaults: d } = x;
  const list: Candidate<MdiChannel>[] = [];
  // MDI: each side's light must arrive at the BSM in the same DoF, one the relay can measure.
  const eMis = () => Math.max(a.misalignment ?? d.misalignmentMdi, b.misalignment ?? d.misalignmentMdi);
  const pairCal = view.mdiCalibration?.[`${a.id}-${b.id}`] ?? view.mdiCalibration?.[`${b.id}-${a.id}`];
  for (const r of x.helpers.filter((n) => n.bsm)) {
    // A calibrated pair at this relay is measured the way it was calibrated (a known, fitted
    // configuration beats an uncalibrated guess in another DoF).
    const dofs = pairCal && pairCal.relay === r.id && x.measurable(r).includes(pairCal.channelDof) ? [pairCal.channelDof] : x.measurable(r);
    for (const dof of dofs) {
      list.push({
        label: `MDI ${dof} via ${r.id}`,
        tier: 1,
        protocol: 'mdi',
        relay: { kind: 'single', node: r.id },
        channelDof: dof,
        helpers: [r],
        devices: [...x.deviceOf(a), ...x.deviceOf(b), ...x.detectorsOf(r)],
        nativeDof: dof === r.dof,
        route: (ctx) =>
          x.routeLegs(ctx, [
            (c) => x.planLeg(c, a, { kind: 'node', node: r.id }, [dof]),
            (c) => x.planLeg(c, b, { kind: 'node', node: r.id }, [dof]),
          ]),
        channel: (legs) => {
          const eta = r.etaDet ?? d.etaDet;
          // Calibrated pair through this relay in the reference's DoF, conversions at the nodes only.
          const key = `${a.id}-${b.id}`, rev = `${b.id}-${a.id}`;
          const cal = view.mdiCalibration?.[key] ?? view.mdiCalibration?.[rev];
          if (cal && cal.relay === r.id && cal.channelDof === dof && legs.every((l) => l.conversions.every((c) => c.at === 'node'))) {
            const flip = view.mdiCalibration?.[key] === undefined;
            const link = mdiLinkFromFibres({
              lengthAKm: flip ? cal.lengthBKm : cal.lengthAKm,
              lengthBKm: flip ? cal.lengthAKm : cal.lengthBKm,
              etaDet: eta,
              pDark: r.darkCount ?? d.darkCount,
              eMis: cal.eMis,
              visibility: cal.visibility,
              alphaDbPerKm: view.fibreDbPerKm ?? 0.2,
              extraLossADb: cal.extraLossDb / 2,
              extraLossBDb: cal.extraLossDb / 2,
            });
            const params = cal.params && (flip ? { a: cal.params.b, b: cal.params.a } : cal.params);
            return { kind: 'mdi', link, f: RANK_F, ...(params ? { params, ...(cal.paramsPulses ? { paramsPulses: cal.paramsPulses } : {}) } : {}) };
          }
          const link: MdiLink = {
            etaA: dbToTransmittance(legs[0]!.lossDb) * eta,
            etaB: dbToTransmittance(legs[1]!.lossDb) * eta,
            pDark: r.darkCount ?? d.darkCount,
            eMis: eMis() + x.serverMisalignment(legs) + x.residualOf(a, b, r),
            visibility: d.visibility,
          };
          return { kind: 'mdi', link, f: RANK_F };
        },
      });
    }
  }
  // Joint BSM: the server's beam splitter interferes the two signals; its outputs go to two D
  // nodes that each gate two detectors on early/late bins (physics/joint-bsm.ts).
  for (const { g, h: hN, bs } of x.jointCombinations()) {
    for (const dof of intersect(x.measurable(g), x.measurable(hN))) {
      list.push({
        label: `MDI ${dof} joint BSM ${g.id}+${hN.id} on ${bs.id}`,
        tier: 2,
        protocol: 'mdi-joint',
        relay: { kind: 'joint', nodes: [g.id, hN.id], beamSplitter: bs.id },
        channelDof: dof,
        helpers: [g, hN],
        devices: [...x.deviceOf(a), ...x.deviceOf(b), ...x.detectorsOf(g).slice(0, 2), ...x.detectorsOf(hN).slice(0, 2), x.beamSplitterResource(bs.id)],
        nativeDof: dof === g.dof && dof === hN.dof,
        route: (ctx) =>
          x.routeLegs(ctx, [
            (c) => x.planLeg(c, a, { kind: 'bs', id: bs.id }, [dof]),
            (c) => x.planLeg(c, b, { kind: 'bs', id: bs.id }, [dof]),
            (c) => x.planBsOutput(c, bs.id, 'out0', g),
            (c) => x.planBsOutput(c, bs.id, 'out1', hN),
          ]),
        channel: (legs) => {
          const xLoss = (l: PlannedLeg) => l.hops.filter((h) => h.kind === 'xconnect').reduce((t, h) => t + h.lossDb, 0);
          const bsm = jointBsmOptics({
            a, b, ports: [g, hN], channelDof: dof, view, defaults: d,
            inLossDb: [legs[0]!.lossDb, legs[1]!.lossDb],
            outCrossConnectDb: [xLoss(legs[2]!), xLoss(legs[3]!)],
            bsLossDb: bs.lossDb,
            conversionsAtNodes: legs.every((l) => l.conversions.every((c) => c.at === 'node')),
            serverMisalignment: x.serverMisalignment(legs),
            residual: x.residualOf(a, b, g, hN),
            expectedResidual: x.residualOf(a, b, g, hN),
          });
          return { kind: 'mdi', link: jointBsmToMdiLink(bsm).link, f: RANK_F };
        },
      });
    }
  }
  return list;
}
