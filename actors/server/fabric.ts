// The emulated optical layer on the server side (docs/ARCHITECTURE.md "The emulated optical layer"):
// for a planned session it hands the plan's protocol (protocols/qkd/registry.ts) the per-session
// context its sampler needs (the network view, the per-link constants fitted to the reference
// experiment, the residual misalignment the parties' calibration left, the server converters'
// misalignment), and yields, per participant, ONLY that participant's local view. Nothing here is
// protocol logic; the fabric's own frame (Eve's branch per slot) never leaves the protocol's sampler.
import type { NodeView, Plan } from './orchestration-types.ts';
import type { FabricEnv, FabricInputs, FabricRun } from '../../protocols/qkd/descriptor.ts';
import { protocolOf } from '../../protocols/qkd/registry.ts';
import { expectedResidualOf } from '../node/devices.ts';
import { REFERENCE_DEFAULTS } from '../../protocols/qkd/defaults.ts';
import { resourceId } from './resources.ts';

export type { CalibrationData, Delivery, FabricInputs, FabricRun, MdiCalibrationData } from '../../protocols/qkd/descriptor.ts';

/** The protocol's fabric context for a plan: defaults, the server converters' misalignment on its
 *  conversions, and the participants' expected calibration residual. */
export function fabricEnv(plan: Plan, x: FabricInputs): FabricEnv {
  const serverMisalignment = plan.conversions.filter((c) => c.at === 'server')
    .reduce((s, c) => s + (x.view.server.converters.find((v) => resourceId.serverConverter(v.id) === c.converter)?.misalignment ?? 0), 0);
  const expectedResidual = (ids: string[]) => expectedResidualOf(ids.flatMap((id) => x.view.nodes.filter((n): n is NodeView => n.id === id)));
  return { ...x, defaults: REFERENCE_DEFAULTS, serverMisalignment, expectedResidual };
}

/** Start the optical run of a planned session. */
export function runFabric(plan: Plan, x: FabricInputs): FabricRun {
  return protocolOf(plan.protocol).fabric(plan, fabricEnv(plan, x));
}
