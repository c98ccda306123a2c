// A node's emulated devices (docs/ARCHITECTURE.md, infrastructure layer): source + encoder, DoF
// converter, detector, QRNG and post-processor, each an actor with a calibration phase before
// every session. Calibration (phase reference, polarization, mean photon number, delay) is
// emulated by a duration and a residual misalignment: the probability that a detected photon
// lands in the wrong detector because the calibration is not perfect. The fabric adds the
// parties' residuals to the link's intrinsic misalignment e_mis (Lim 2014 Sec. IV error model).
import { assign, sendParent, setup } from 'xstate';
import type { Rng } from '../../protocols/rng.ts';
import type { Dof, NodeType } from '../../protocols/types.ts';

export type DeviceKind = 'source' | 'converter' | 'detector' | 'qrng' | 'postprocessor';

export interface DeviceSpec {
  id: string;
  kind: DeviceKind;
  /** Emulated calibration time, ms (real devices: seconds; scaled down for the emulation). */
  calibrationMs: number;
  /** Standard deviation of the residual misalignment after calibration (folded normal). */
  residualSigma: number;
}

/** The devices a node of this type carries (docs/reference/reference-network.md hardware). */
export function devicesOf(type: NodeType, dof: Dof, ownConverter: boolean): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  // Phase-based encodings need an interferometer phase lock: longer and a little less exact.
  const phaseLike = dof !== 'pol';
  // C: weak-coherent source + encoder; E: entangled-pair (SPDC) source, calibrated the same way.
  if (type === 'C' || type === 'E') out.push({ id: 'source', kind: 'source', calibrationMs: phaseLike ? 60 : 40, residualSigma: phaseLike ? 1.5e-4 : 1e-4 });
  if (ownConverter) out.push({ id: 'converter', kind: 'converter', calibrationMs: 30, residualSigma: 5e-5 });
  if (type === 'D') out.push({ id: 'detector', kind: 'detector', calibrationMs: 50, residualSigma: 1e-4 });
  out.push({ id: 'qrng', kind: 'qrng', calibrationMs: 5, residualSigma: 0 });
  out.push({ id: 'postprocessor', kind: 'postprocessor', calibrationMs: 0, residualSigma: 0 });
  return out;
}

/** Expected summed residual of a node's devices after calibration: E|N(0, s^2)| = s sqrt(2/pi) per
 *  device (folded normal). The planner adds it to the link's misalignment, as the fabric adds the
 *  residuals the parties report. */
export function expectedResidual(type: NodeType, dof: Dof, ownConverter: boolean): number {
  return devicesOf(type, dof, ownConverter).reduce((s, d) => s + d.residualSigma, 0) * Math.sqrt(2 / Math.PI);
}

/** The expected residual summed over the participants of a session. */
export function expectedResidualOf(nodes: ReadonlyArray<{ type: NodeType; dof: Dof; ownConverter?: boolean }>): number {
  return nodes.reduce((s, n) => s + expectedResidual(n.type, n.dof, !!n.ownConverter), 0);
}

/** Standard deviation of that sum: each device's |N(0, s^2)| has variance s^2 (1 - 2/pi). */
export function residualSdOf(nodes: ReadonlyArray<{ type: NodeType; dof: Dof; ownConverter?: boolean }>): number {
  const v = nodes.flatMap((n) => devicesOf(n.type, n.dof, !!n.ownConverter)).reduce((s, d) => s + d.residualSigma ** 2 * (1 - 2 / Math.PI), 0);
  return Math.sqrt(v);
}

/** Standard normal by Box-Muller. */
function gauss(rng: Rng): number {
  const u = Math.max(rng.nextDouble(), 1e-300), v = rng.nextDouble();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One calibration of one device: its duration and the residual misalignment it leaves. */
export function calibrateDevice(spec: DeviceSpec, rng: Rng): { durationMs: number; residual: number } {
  return { durationMs: spec.calibrationMs, residual: Math.abs(gauss(rng)) * spec.residualSigma };
}

export type DeviceState = 'idle' | 'calibrating' | 'ready' | 'in-session';

export interface DeviceContext { spec: DeviceSpec; rng: Rng; residual: number; sessionId?: string; calibrations: number }

/** One device: CALIBRATE (for a session) -> calibrating for its duration -> ready (reports
 *  CALIBRATED with the residual to its parent) -> START -> in-session -> RELEASE -> idle. */
export const deviceMachine = setup({
  types: {
    context: {} as DeviceContext,
    input: {} as { spec: DeviceSpec; rng: Rng },
    events: {} as { type: 'CALIBRATE'; sessionId: string } | { type: 'START' } | { type: 'RELEASE' },
  },
  delays: { calibration: ({ context }) => context.spec.calibrationMs },
}).createMachine({
  id: 'device',
  context: ({ input }) => ({ spec: input.spec, rng: input.rng, residual: 0, calibrations: 0 }),
  initial: 'idle',
  states: {
    idle: { on: { CALIBRATE: { target: 'calibrating', actions: assign({ sessionId: ({ event }) => event.sessionId }) } } },
    calibrating: {
      after: {
        calibration: {
          target: 'ready',
          actions: [
            assign(({ context }) => ({ residual: calibrateDevice(context.spec, context.rng).residual, calibrations: context.calibrations + 1 })),
            sendParent(({ context }) => ({ type: 'DEVICE.CALIBRATED', device: context.spec.id, sessionId: context.sessionId, residual: context.residual })),
          ],
        },
      },
      on: { RELEASE: 'idle' },
    },
    ready: { on: { START: 'in-session', RELEASE: 'idle' } },
    'in-session': { on: { RELEASE: 'idle' } },
  },
  on: {
    // A new session re-calibrates whatever the device was doing (sessions on one node are serialised
    // by the resource pool; this only matters after an abort raced a start).
    CALIBRATE: { target: '.calibrating', reenter: true, actions: assign({ sessionId: ({ event }) => event.sessionId }) },
  },
});
