// One participant of one QKD session, in its node's process (spawned by local control). The same
// lifecycle serves every protocol and role (BB84 source/detector, MDI sources and relay, BBM92);
// what differs is the protocol half the injected `runProtocol` actor runs (protocols/qkd/<name>/party.ts, via protocols/qkd/run-party.ts):
// Reports go to the coordinator on its own subject (`coord.<sid>`, the only server subject a node may
// publish on besides admission, status and decisions; runtime/subjects.ts).
//   calibrating (local control's devices) -> (session.ready to the coordinator) -> receiving the fabric's local view ->
//   processing (post-processing over the authenticated session channel, key confirmation,
//   stage in the pool) -> staged (STAGED to the coordinator) -> commit on the coordinator's
//   decision -> done.
// session.abort from the coordinator, a failed step or a step timeout before staging ends in
// `aborted`: the staged block (if any) is aborted in the pool, so no key of this session is ever
// committed unless the coordinator saw every key holder staged and decided to commit. (Before staging
// an abort is taken as it comes, from the server identity only (local-control.ts): with nothing staged
// it cannot make a one-sided key, since a commit needs this party's own staged report.)
// Once staged, the party never acts on a message alone: a session.commit or session.abort makes it
// ask the server for the durable record (injected `askDecision`, `verifying`) and do what the record
// says, so a forged, replayed or stale decision cannot commit one side and abort the other. Without
// any decision in time it asks all the same (`resolving`); if even that fails it ends `undecided`,
// leaving the block staged (never handed out) for the node's recovery loop
// (runtime/processes/session-recovery.ts, which has the crash table). RECHECK (the node's bus came
// back after losing its server, so its staged report or a decision sent meanwhile may be lost) makes
// a staged party report staged again and ask the record at once instead of at its step timeout.
// SERVER.RESTARTED (from local control, when the node had to register again with a new hypervisor:
// the server process restarted, and with it every coordinator it ran) resolves at once instead of
// after a step: a party that has not staged aborts (no coordinator is left to record a commit), a
// staged one asks for the record now (commit as recorded, or the restarted server records abort).
import { assign, fromPromise, sendParent, setup } from 'xstate';
import { busActionStubs, type BusEvent } from '../../runtime/port.ts';
import type { SessionStart } from './session.messages.ts';

export interface Calibration { calibrationMs: number; residualMisalignment: number }
export interface Received { detections: number }
import type { Staged } from '../../protocols/qkd/party.ts';
export type { Staged };

export interface PartyContext {
  start: SessionStart;
  calibration?: Calibration;
  detections?: number;
  staged?: Staged;
  reason?: string;
  failedStage?: string;
}

export type PartyEvent =
  | BusEvent<'session.commit', { sessionId: string }>
  | BusEvent<'session.abort', { sessionId: string; reason: string }>
  | { type: 'ABORT'; reason: string }
  | { type: 'RECHECK' }
  | { type: 'SERVER.RESTARTED' }
  | ({ type: 'CALIBRATED' } & Calibration);

const stub = <O, I>(name: string) => fromPromise<O, I>(async () => { throw new Error(`${name}: not provided (inject it from the node process)`); });

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const partyMachine = setup({
  types: {
    context: {} as PartyContext,
    input: {} as SessionStart,
    events: {} as PartyEvent,
  },
  actions: {
    ...busActionStubs,
    /** Open the session's inboxes before anything is reported ready (injected). */
    prepare: (_, _p: { start: SessionStart }) => {},
    /** Close the session's inboxes and drop its frames (injected). */
    cleanup: (_, _p: { sessionId: string }) => {},
    /** Tell local control the session ended (frees the devices). */
    ended: sendParent((_, p: { sessionId: string; outcome: 'committed' | 'aborted' }) => ({ type: 'PARTY.ENDED', sessionId: p.sessionId, outcome: p.outcome })),
  },
  actors: {
    // Injected by the node process (runtime/processes/session-wiring-node.ts).
    receiveFrames: stub<Received, SessionStart>('receiveFrames'),
    runProtocol: stub<Staged, SessionStart>('runProtocol'),
    commitKey: stub<void, { start: SessionStart; blockId: string }>('commitKey'),
    askDecision: stub<'commit' | 'abort' | 'pending', { sessionId: string }>('askDecision'),
    abortKey: stub<void, { start: SessionStart; blockId?: string }>('abortKey'),
  },
  delays: {
    step: ({ context }) => context.start.stepTimeoutMs,
    /** Between two questions while the record says pending (the coordinator writes it in a moment). */
    recheck: 300,
  },
}).createMachine({
  id: 'party',
  context: ({ input }) => ({ start: input }),
  initial: 'calibrating',
  entry: { type: 'prepare', params: ({ context }) => ({ start: context.start }) },
  on: {
    'session.abort': { target: '.aborting', actions: assign({ reason: ({ event }) => event.body.reason }) },
    ABORT: { target: '.aborting', actions: assign({ reason: ({ event }) => event.reason }) },
    'SERVER.RESTARTED': { target: '.aborting', actions: assign({ reason: 'the server restarted: the session\'s coordinator is gone' }) },
  },
  states: {
    calibrating: {
      // Local control calibrates the node's devices (devices.ts) and sends CALIBRATED.
      on: {
        CALIBRATED: {
          target: 'receiving',
          actions: [
            assign({ calibration: ({ event }) => ({ calibrationMs: event.calibrationMs, residualMisalignment: event.residualMisalignment }) }),
            { type: 'bus.publish', params: ({ context, event }) => ({ subject: context.start.coordinator, type: 'session.ready', body: { sessionId: context.start.sessionId, node: context.start.node, calibrationMs: event.calibrationMs, residualMisalignment: event.residualMisalignment } }) },
          ],
        },
      },
      after: { step: { target: 'failed', actions: assign({ reason: 'calibration timed out', failedStage: 'calibrating' }) } },
    },
    receiving: {
      invoke: {
        src: 'receiveFrames',
        input: ({ context }) => context.start,
        onDone: {
          target: 'processing',
          actions: [
            assign({ detections: ({ event }) => event.output.detections }),
            { type: 'bus.publish', params: ({ context, event }) => ({ subject: context.start.coordinator, type: 'session.received', body: { sessionId: context.start.sessionId, node: context.start.node, detections: event.output.detections } }) },
          ],
        },
        onError: { target: 'failed', actions: assign({ reason: ({ event }) => errText(event.error), failedStage: 'receiving' }) },
      },
    },
    processing: {
      invoke: {
        src: 'runProtocol',
        input: ({ context }) => context.start,
        onDone: {
          target: 'staged',
          actions: [
            assign({ staged: ({ event }) => event.output }),
            { type: 'bus.publish', params: ({ context, event }) => ({ subject: context.start.coordinator, type: 'session.staged', body: { sessionId: context.start.sessionId, node: context.start.node, ...event.output } }) },
          ],
        },
        onError: { target: 'failed', actions: assign({ reason: ({ event }) => errText(event.error), failedStage: 'processing' }) },
      },
    },
    staged: {
      // A local ABORT cannot undo a commit the coordinator may have decided: only the record counts.
      on: {
        'session.commit': 'verifying', 'session.abort': 'verifying', ABORT: {}, 'SERVER.RESTARTED': 'resolving',
        // The staged report may have been lost with the server too: report again (the coordinator
        // takes it once), then ask.
        RECHECK: {
          target: 'resolving',
          actions: { type: 'bus.publish', params: ({ context }) => ({ subject: context.start.coordinator, type: 'session.staged', body: { sessionId: context.start.sessionId, node: context.start.node, ...context.staged! } }) },
        },
      },
      after: { step: 'resolving' },
    },
    verifying: {
      // A decision message arrived: act on the durable record, not on the message. While the record
      // is still open, ask again shortly (rechecking); a server that cannot answer sends it back to
      // staged, whose own timeout asks again.
      invoke: {
        src: 'askDecision',
        input: ({ context }) => ({ sessionId: context.start.sessionId }),
        onDone: [
          { guard: ({ event }) => event.output === 'commit', target: 'committing' },
          { guard: ({ event }) => event.output === 'abort', target: 'aborting', actions: assign({ reason: 'the recorded decision is abort' }) },
          { target: 'rechecking' },
        ],
        onError: { target: 'staged' },
      },
      on: { 'session.commit': {}, 'session.abort': {}, ABORT: {}, 'SERVER.RESTARTED': {} },
    },
    rechecking: {
      on: { 'session.commit': {}, 'session.abort': {}, ABORT: {}, 'SERVER.RESTARTED': {} },
      after: { recheck: 'verifying' },
    },
    resolving: {
      invoke: {
        src: 'askDecision',
        input: ({ context }) => ({ sessionId: context.start.sessionId }),
        onDone: [
          { guard: ({ event }) => event.output === 'commit', target: 'committing' },
          { guard: ({ event }) => event.output === 'abort', target: 'aborting', actions: assign({ reason: 'the recorded decision is abort' }) },
          { target: 'staged' },
        ],
        onError: { target: 'undecided', actions: assign({ reason: ({ event }) => `no decision: ${errText(event.error)}` }) },
      },
      on: { 'session.commit': 'verifying', 'session.abort': 'verifying', ABORT: {}, 'SERVER.RESTARTED': {} },
    },
    undecided: {
      type: 'final',
      entry: [
        { type: 'cleanup', params: ({ context }) => ({ sessionId: context.start.sessionId }) },
        { type: 'ended', params: ({ context }) => ({ sessionId: context.start.sessionId, outcome: 'aborted' as const }) },
      ],
    },
    committing: {
      // The decision is taken: commit is idempotent, so retry rather than abort.
      invoke: {
        src: 'commitKey',
        input: ({ context }) => ({ start: context.start, blockId: context.staged!.blockId }),
        onDone: {
          target: 'done',
          actions: { type: 'bus.publish', params: ({ context }) => ({ subject: context.start.coordinator, type: 'session.committed', body: { sessionId: context.start.sessionId, node: context.start.node, blockId: context.staged!.blockId } }) },
        },
        onError: { target: 'committing', reenter: true },
      },
      on: { 'session.abort': {}, ABORT: {}, 'SERVER.RESTARTED': {} },
    },
    done: {
      type: 'final',
      entry: [
        { type: 'cleanup', params: ({ context }) => ({ sessionId: context.start.sessionId }) },
        { type: 'ended', params: ({ context }) => ({ sessionId: context.start.sessionId, outcome: 'committed' as const }) },
      ],
    },
    failed: {
      entry: { type: 'bus.publish', params: ({ context }) => ({ subject: context.start.coordinator, type: 'session.failed', body: { sessionId: context.start.sessionId, node: context.start.node, stage: context.failedStage ?? 'unknown', reason: (context.reason ?? 'failed').slice(0, 2000) } }) },
      always: 'aborting',
    },
    aborting: {
      invoke: {
        src: 'abortKey',
        input: ({ context }) => ({ start: context.start, blockId: context.staged?.blockId }),
        onDone: 'aborted',
        onError: 'aborted',
      },
      on: { 'session.abort': {}, ABORT: {}, 'session.commit': {}, 'SERVER.RESTARTED': {} },
    },
    aborted: {
      type: 'final',
      entry: [
        { type: 'bus.publish', params: ({ context }) => ({ subject: context.start.coordinator, type: 'session.aborted', body: { sessionId: context.start.sessionId, node: context.start.node } }) },
        { type: 'cleanup', params: ({ context }) => ({ sessionId: context.start.sessionId }) },
        { type: 'ended', params: ({ context }) => ({ sessionId: context.start.sessionId, outcome: 'aborted' as const }) },
      ],
    },
  },
});
