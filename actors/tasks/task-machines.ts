// The server-side actor of one task, spawned by the task coordinator per request:
//   sign:       choosing (variant, third party, n; pre-check of nodes and pools) -> signing (the three QDS roles) -> done
//   conference: checking (nodes and pools) -> delivering (sponsor + participants) -> done
//   qba:        planning (with the pre-check) -> broadcasting (spawns the root multicast-round actor, which
//               spawns its sub-rounds) -> deciding (what every node saw) -> done
// Each reports to the coordinator with `task.finished` (result, or error with its code, field and details).
import { assign, fromPromise, sendParent, setup, spawnChild, type AnyStateMachine } from 'xstate';
import type { InboundMeta } from '../../runtime/port.ts';
import type { QdsChoice } from './qds-chooser.ts';
import type { QbaPlan, RoundReport } from './coordinator-services.ts';
import type { ConferenceRequest, QbaRequest, SignRequest } from './tasks.messages.ts';

export interface TaskInput<R> { taskId: string; request: R; meta?: InboundMeta; startedAt: number }
/** Why a task ended without a result: the message, and for a refusal its code, field and details. */
export interface TaskFailure { error: string; code?: string; field?: string; [detail: string]: unknown }
const failure = (e: unknown): TaskFailure => {
  if (!(e instanceof Error)) return { error: String(e) };
  const r = e as Error & { code?: string; field?: string; details?: Record<string, unknown> };
  return { error: r.message, ...(r.code ? { code: r.code } : {}), ...(r.field ? { field: r.field } : {}), ...r.details };
};
const finished = (ctx: { taskId: string; meta?: InboundMeta; startedAt: number; failure?: TaskFailure }, kind: string, result?: unknown) =>
  ({ type: 'task.finished', taskId: ctx.taskId, meta: ctx.meta, kind, result, failure: ctx.failure, wallMs: Date.now() - ctx.startedAt });

interface SignCtx extends TaskInput<SignRequest> { choice?: QdsChoice; result?: unknown; failure?: TaskFailure }

export const signTaskMachine = setup({
  types: { context: {} as SignCtx, input: {} as TaskInput<SignRequest> },
  actors: {
    'qds.choose': fromPromise<QdsChoice, { taskId: string; request: SignRequest }>(async () => { throw new Error('qds.choose must be provided'); }),
    'qds.sign': fromPromise<unknown, { taskId: string; request: SignRequest; choice: QdsChoice }>(async () => { throw new Error('qds.sign must be provided'); }),
  },
}).createMachine({
  id: 'signTask',
  context: ({ input }) => ({ ...input }),
  initial: 'choosing',
  states: {
    choosing: {
      invoke: {
        src: 'qds.choose', input: ({ context }) => ({ taskId: context.taskId, request: context.request }),
        onDone: { target: 'signing', actions: assign({ choice: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    signing: {
      invoke: {
        src: 'qds.sign', input: ({ context }) => ({ taskId: context.taskId, request: context.request, choice: context.choice! }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    done: { type: 'final', entry: sendParent(({ context }) => finished(context, 'sign', context.result)) },
    failed: { type: 'final', entry: sendParent(({ context }) => finished(context, 'sign')) },
  },
});

interface ConfCtx extends TaskInput<ConferenceRequest> { result?: unknown; failure?: TaskFailure }

export const conferenceTaskMachine = setup({
  types: { context: {} as ConfCtx, input: {} as TaskInput<ConferenceRequest> },
  actors: {
    'conf.check': fromPromise<unknown, { taskId: string; request: ConferenceRequest }>(async () => { throw new Error('conf.check must be provided'); }),
    'conf.run': fromPromise<unknown, { taskId: string; request: ConferenceRequest }>(async () => { throw new Error('conf.run must be provided'); }),
  },
}).createMachine({
  id: 'conferenceTask',
  context: ({ input }) => ({ ...input }),
  initial: 'checking',
  states: {
    checking: {
      invoke: {
        src: 'conf.check', input: ({ context }) => ({ taskId: context.taskId, request: context.request }),
        onDone: { target: 'delivering' },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    delivering: {
      invoke: {
        src: 'conf.run', input: ({ context }) => ({ taskId: context.taskId, request: context.request }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    done: { type: 'final', entry: sendParent(({ context }) => finished(context, 'conference', context.result)) },
    failed: { type: 'final', entry: sendParent(({ context }) => finished(context, 'conference')) },
  },
});

interface QbaCtx extends TaskInput<QbaRequest> { plan?: QbaPlan; rounds: RoundReport[]; result?: unknown; failure?: TaskFailure }
type RoundFinished = { type: 'round.finished'; id: string; reports: RoundReport[]; error?: string };

export const qbaTaskMachine = setup({
  types: { context: {} as QbaCtx, input: {} as TaskInput<QbaRequest>, events: {} as RoundFinished },
  actors: {
    'qba.plan': fromPromise<QbaPlan, { taskId: string; request: QbaRequest }>(async () => { throw new Error('qba.plan must be provided'); }),
    'qba.round': undefined as unknown as AnyStateMachine,
    'qba.decide': fromPromise<unknown, { plan: QbaPlan; rounds: RoundReport[] }>(async () => { throw new Error('qba.decide must be provided'); }),
  },
}).createMachine({
  id: 'qbaTask',
  context: ({ input }) => ({ ...input, rounds: [] }),
  initial: 'planning',
  states: {
    planning: {
      invoke: {
        src: 'qba.plan', input: ({ context }) => ({ taskId: context.taskId, request: context.request }),
        onDone: { target: 'broadcasting', actions: assign({ plan: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    broadcasting: {
      entry: spawnChild('qba.round', { id: ({ context }) => `round:${context.plan!.root.path.join('>')}`, input: ({ context }) => ({ plan: context.plan!, spec: context.plan!.root, registry: [] }) }),
      on: {
        'round.finished': [
          { guard: ({ event }) => !!event.error, target: 'failed', actions: assign({ failure: ({ event }) => ({ error: event.error! }) }) },
          { target: 'deciding', actions: assign({ rounds: ({ event }) => event.reports }) },
        ],
      },
    },
    deciding: {
      invoke: {
        src: 'qba.decide', input: ({ context }) => ({ plan: context.plan!, rounds: context.rounds }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: assign({ failure: ({ event }) => failure(event.error) }) },
      },
    },
    done: { type: 'final', entry: sendParent(({ context }) => finished(context, 'qba', context.result)) },
    failed: { type: 'final', entry: sendParent(({ context }) => finished(context, 'qba')) },
  },
});
