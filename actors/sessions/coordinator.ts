// The server side of one QKD session (orchestration.ts SESSION LIFECYCLE steps 3-10): waits for
// the switches to settle, gives every participant its role (session.start to its local control),
// waits until all have calibrated, runs the emulated optics (the injected `fabric` actor samples
// the detections and delivers each participant its own local view), waits until both key holders
// have staged their block, then decides: commit on both, or abort on all.
// Every step has a timeout; a failed participant, a participant reported down by the hypervisor,
// or a timeout before the commit decision aborts the session on all sides (staged blocks are
// discarded, nothing is committed). The host releases switches and reservations when the
// machine reaches a final state, whatever the outcome (injected `ended`).
// The commit decision is made durable (injected `recordDecision`, infra/keypool/decisions.ts) BEFORE
// any party hears it, so a party that misses it (crash, lost message) learns it later from the
// server; if it cannot be recorded the session aborts. An abort is recorded before the parties hear it
// too (best effort: they are told even when the record cannot be written), because a party holding a
// staged block acts only on what the record says (party-machine.ts `verifying`).
// A participant's report counts only when its sender (the bus identity in the subject, runtime/port.ts
// InboundMeta.from) is the participant it names. CANCEL also comes from the server's process when its
// NATS server is lost (frames in flight gone); RETELL, when the bus is back, sends a recorded commit
// again (parties that missed it would otherwise wait for their step timeout). Crash analysis: runtime/processes/session-recovery.ts.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Plan } from '../server/orchestration-types.ts';
import { busActionStubs, type BusEvent } from '../../runtime/port.ts';
import { localControlAddress, type PartyStats, type SessionRole, type SessionStart } from './session.messages.ts';

export interface Participant { node: string; role: SessionRole; peer: string; holdsKey: boolean; convertTo?: 'pol' | 'tbp' | 'pha' }

export interface CoordinatorInput {
  /** The relative subject participants report on (`coord.<sid>`, routed to this coordinator). */
  coordinatorId: string;
  plan: Plan;
  participants: Participant[];
  /** Per-step budget (switching, calibration, commit), ms. */
  stepTimeoutMs: number;
  /** Budget of sampling + post-processing, ms (grows with the pulses). */
  processingTimeoutMs: number;
}

export interface FabricInput { plan: Plan; participants: Participant[]; residual: Record<string, number> }
export interface FabricOutput { detections: number; seed: string; link: Record<string, number> }

export interface CoordinatorContext extends CoordinatorInput {
  ready: Record<string, { calibrationMs: number; residualMisalignment: number }>;
  received: Record<string, number>;
  staged: Record<string, { blockId: string; bits: number; stats: PartyStats; timings: Record<string, number> }>;
  committed: string[];
  aborted: string[];
  fabric?: FabricOutput;
  reason?: string;
  stageAt: Record<string, number>;
}

type Ev<T extends string, B> = BusEvent<T, B>;
export type CoordinatorEvent =
  | Ev<'session.ready', { node: string; calibrationMs: number; residualMisalignment: number }>
  | Ev<'session.received', { node: string; detections: number }>
  | Ev<'session.staged', { node: string; blockId: string; bits: number; stats: PartyStats; timings: Record<string, number> }>
  | Ev<'session.committed', { node: string; blockId: string }>
  | Ev<'session.failed', { node: string; stage: string; reason: string }>
  | Ev<'session.aborted', { node: string }>
  | { type: 'PARTICIPANT.DOWN'; node: string }
  | { type: 'CANCEL'; reason: string }
  | { type: 'RETELL' };

const holders = (c: CoordinatorContext) => c.participants.filter((p) => p.holdsKey).map((p) => p.node);
const isParticipant = (c: CoordinatorContext, node: string) => c.participants.some((p) => p.node === node);
/** A participant speaking for itself: the node it names is the identity that sent it. */
const own = ({ context, event }: { context: CoordinatorContext; event: { body: { node: string }; meta: { from: string } } }) =>
  event.meta.from === event.body.node && isParticipant(context, event.body.node);

export function startMessage(c: CoordinatorInput, p: Participant, coordinator: string): SessionStart {
  const plan = c.plan;
  const helpers = plan.relay.kind === 'none' ? [] : plan.relay.kind === 'joint' ? [...plan.relay.nodes] : [plan.relay.node];
  return {
    sessionId: plan.sessionId, requestId: plan.requestId, protocol: plan.protocol, keyKind: plan.keyKind ?? 'secret', node: p.node, role: p.role, peer: p.peer, helpers, ends: [plan.a, plan.b],
    pulses: plan.pulses, params: plan.params, coordinator, stepTimeoutMs: c.processingTimeoutMs,
    ...(p.convertTo ? { convertTo: p.convertTo } : {}),
  };
}

export const coordinatorMachine = setup({
  types: {
    context: {} as CoordinatorContext,
    input: {} as CoordinatorInput,
    events: {} as CoordinatorEvent,
  },
  actions: {
    ...busActionStubs,
    /** Stage changes for the requester / the task manager (injected). */
    progress: (_, _p: { stage: string; detail?: Record<string, number | string> }) => {},
    stamp: assign(({ context }, p: { stage: string }) => ({ stageAt: { ...context.stageAt, [p.stage]: Date.now() } })),
  },
  actors: {
    /** Record the abort durably (injected); a failure is logged there and the parties are told anyway
     *  (an unrecorded abort is recovered as one). */
    recordAbort: fromPromise<void, { sessionId: string }>(async () => { throw new Error('recordAbort: not provided'); }),
    fabric: fromPromise<FabricOutput, FabricInput>(async () => { throw new Error('fabric: not provided'); }),
    /** Durably record the commit decision; true when recorded (injected). */
    recordDecision: fromPromise<boolean, { sessionId: string }>(async () => { throw new Error('recordDecision: not provided'); }),
  },
  delays: {
    settle: ({ context }) => context.plan.switchTimeMs,
    step: ({ context }) => context.stepTimeoutMs,
    processing: ({ context }) => context.processingTimeoutMs,
    abortGrace: 3000,
  },
}).createMachine({
  id: 'sessionCoordinator',
  context: ({ input }) => ({ ...input, ready: {}, received: {}, staged: {}, committed: [], aborted: [], stageAt: { reserved: Date.now() } }),
  initial: 'switching',
  on: {
    'session.failed': {
      target: '.aborting',
      guard: own,
      actions: assign({ reason: ({ event }) => `${event.body.node} failed while ${event.body.stage}: ${event.body.reason}` }),
    },
    'PARTICIPANT.DOWN': {
      target: '.aborting',
      guard: ({ context, event }) => isParticipant(context, event.node),
      actions: assign({ reason: ({ event }) => `${event.node} went down during the session` }),
    },
    CANCEL: { target: '.aborting', actions: assign({ reason: ({ event }) => event.reason }) },
    'session.aborted': { guard: own, actions: assign({ aborted: ({ context, event }) => [...new Set([...context.aborted, event.body.node])] }) },
  },
  states: {
    switching: {
      entry: [{ type: 'stamp', params: { stage: 'switching' } }, { type: 'progress', params: { stage: 'switching' } }],
      after: { settle: 'calibrating' },
    },
    calibrating: {
      entry: [
        { type: 'stamp', params: { stage: 'calibrating' } },
        { type: 'progress', params: { stage: 'calibrating' } },
        enqueueActions(({ context, enqueue }) => {
          for (const p of context.participants) {
            enqueue({ type: 'bus.send', params: { to: localControlAddress(p.node), type: 'session.start', body: startMessage(context, p, context.coordinatorId) } });
          }
        }),
      ],
      on: {
        'session.ready': {
          guard: own,
          actions: assign({ ready: ({ context, event }) => ({ ...context.ready, [event.body.node]: { calibrationMs: event.body.calibrationMs, residualMisalignment: event.body.residualMisalignment } }) }),
        },
      },
      always: { guard: ({ context }) => context.participants.every((p) => context.ready[p.node]), target: 'running' },
      after: { step: { target: 'aborting', actions: assign({ reason: ({ context }) => `calibration timed out (waiting for ${context.participants.filter((p) => !context.ready[p.node]).map((p) => p.node).join(', ')})` }) } },
    },
    running: {
      entry: [{ type: 'stamp', params: { stage: 'running' } }, { type: 'progress', params: { stage: 'running' } }],
      invoke: {
        src: 'fabric',
        input: ({ context }) => ({ plan: context.plan, participants: context.participants, residual: Object.fromEntries(Object.entries(context.ready).map(([n, r]) => [n, r.residualMisalignment])) }),
        onDone: {
          target: 'processing',
          actions: [assign({ fabric: ({ event }) => event.output }), { type: 'progress', params: ({ event }) => ({ stage: 'detections', detail: { detections: event.output.detections } }) }],
        },
        onError: { target: 'aborting', actions: assign({ reason: ({ event }) => `fabric: ${(event.error as Error)?.message ?? event.error}` }) },
      },
      after: { processing: { target: 'aborting', actions: assign({ reason: 'the optical run timed out' }) } },
    },
    processing: {
      entry: [{ type: 'stamp', params: { stage: 'processing' } }, { type: 'progress', params: { stage: 'post-processing' } }],
      on: {
        'session.received': { guard: own, actions: assign({ received: ({ context, event }) => ({ ...context.received, [event.body.node]: event.body.detections }) }) },
        'session.staged': {
          guard: ({ context, event }) => own({ context, event }) && holders(context).includes(event.body.node),
          actions: [
            assign({ staged: ({ context, event }) => ({ ...context.staged, [event.body.node]: { blockId: event.body.blockId, bits: event.body.bits, stats: event.body.stats, timings: event.body.timings } }) }),
            { type: 'progress', params: ({ event }) => ({ stage: 'staged', detail: { node: event.body.node, bits: event.body.bits } }) },
          ],
        },
      },
      always: [
        {
          // Both ends must have staged the same block with the same length; anything else is a mismatch.
          guard: ({ context }) => holders(context).every((n) => context.staged[n]) && new Set(holders(context).map((n) => `${context.staged[n]!.blockId}/${context.staged[n]!.bits}`)).size !== 1,
          target: 'aborting',
          actions: assign({ reason: 'the two ends staged different blocks' }),
        },
        { guard: ({ context }) => holders(context).every((n) => context.staged[n]), target: 'deciding' },
      ],
      after: { processing: { target: 'aborting', actions: assign({ reason: 'post-processing timed out' }) } },
    },
    deciding: {
      entry: { type: 'stamp', params: { stage: 'deciding' } },
      invoke: {
        src: 'recordDecision',
        input: ({ context }) => ({ sessionId: context.plan.sessionId }),
        onDone: [
          { guard: ({ event }) => event.output, target: 'committing' },
          { target: 'aborting', actions: assign({ reason: 'the session already has another decision recorded' }) },
        ],
        onError: { target: 'aborting', actions: assign({ reason: ({ event }) => `commit decision not recorded: ${(event.error as Error)?.message ?? event.error}` }) },
      },
      // Once the record may be written, only its outcome decides: no abort on the side.
      on: { 'session.failed': {}, 'PARTICIPANT.DOWN': {}, CANCEL: {} },
    },
    committing: {
      entry: [
        { type: 'stamp', params: { stage: 'committing' } },
        { type: 'progress', params: { stage: 'committing' } },
        enqueueActions(({ context, enqueue }) => {
          // Relays get it too: it ends their part (they hold no key).
          for (const p of context.participants) enqueue({ type: 'bus.send', params: { to: localControlAddress(p.node), type: 'session.commit', body: { sessionId: context.plan.sessionId } } });
        }),
      ],
      // The decision is final and recorded: a node that dies now commits its staged block when it
      // comes back (the block outlives the process in Redis; session-recovery.ts asks the server).
      on: {
        'session.committed': { guard: own, actions: assign({ committed: ({ context, event }) => [...new Set([...context.committed, event.body.node])] }) },
        'session.failed': {},
        'PARTICIPANT.DOWN': {},
        CANCEL: {},
        RETELL: { target: 'committing', reenter: true },
      },
      always: { guard: ({ context }) => holders(context).every((n) => context.committed.includes(n)), target: 'finished' },
      after: { step: { target: 'finished', actions: assign({ reason: ({ context }) => `commit not confirmed by ${holders(context).filter((n) => !context.committed.includes(n)).join(', ')}` }) } },
    },
    finished: { type: 'final', entry: { type: 'stamp', params: { stage: 'finished' } } },
    aborting: {
      entry: [
        { type: 'stamp', params: { stage: 'aborting' } },
        { type: 'progress', params: ({ context }) => ({ stage: 'aborting', detail: { reason: context.reason ?? 'aborted' } }) },
      ],
      invoke: {
        src: 'recordAbort',
        input: ({ context }) => ({ sessionId: context.plan.sessionId }),
        onDone: { target: 'telling' },
        onError: { target: 'telling' },
      },
      on: { 'session.failed': {}, 'PARTICIPANT.DOWN': {}, CANCEL: {} },
      // A record that hangs (Redis unreachable) must not keep the parties waiting.
      after: { abortGrace: 'telling' },
    },
    telling: {
      entry: enqueueActions(({ context, enqueue }) => {
        for (const p of context.participants) enqueue({ type: 'bus.send', params: { to: localControlAddress(p.node), type: 'session.abort', body: { sessionId: context.plan.sessionId, reason: (context.reason ?? 'aborted').slice(0, 2000) } } });
      }),
      on: { 'session.failed': {}, 'PARTICIPANT.DOWN': {}, CANCEL: {} },
      always: { guard: ({ context }) => context.participants.every((p) => context.aborted.includes(p.node)), target: 'aborted' },
      after: { abortGrace: 'aborted' },
    },
    aborted: { type: 'final', entry: { type: 'stamp', params: { stage: 'aborted' } } },
  },
});
