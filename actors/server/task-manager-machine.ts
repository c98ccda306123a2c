// Task management as an actor: aggregates requests from agents and the CLI, queues them
// (priority, then FIFO), and walks the queue asking the orchestration core to plan each one.
// Planned requests leave the queue (the orchestration core has reserved and started them);
// queued ones stay with their reason; refused ones leave with theirs. Whenever capacity
// changes (a session released its resources, a node attached) the queue is walked again: the
// entries waiting for what was released (or for anything), all of them when the network changed.
// The orchestration core is an invoked child (`orchestrationMachine` by default; the runtime
// host can provide a NATS proxy actor under the same name). Agent notification is an
// injected action. One PLAN is outstanding at a time, so the walk sees every earlier
// reservation; events arriving meanwhile only mark the walk dirty.
import { assign, enqueueActions, setup, type ActorRefFrom } from 'xstate';
import type { NetworkView, Plan, QkdRequest } from './orchestration-types.ts';
import { orchestrationMachine, type OrchestrationEvent, type OrchestrationInput, type OrchestrationReply } from './orchestration-machine.ts';
import { blockedAgain, enqueue as enqueueEntry, markWaiting, ordered, releaseHeld, removeEntry, sleep, wake, type QueueEntry } from './task-manager.ts';
import type { FiniteEngine, KeyRateEngine } from './orchestration-keyrate.ts';

export type AgentNotice =
  | { requestId: string; status: 'accepted' }
  | { requestId: string; status: 'planned'; plan: Plan }
  | { requestId: string; status: 'queued'; reason: string }
  | { requestId: string; status: 'refused'; reason: string };

export type TaskManagerEvent =
  | { type: 'SUBMIT'; request: QkdRequest }
  | { type: 'CANCEL'; requestId: string }
  | OrchestrationReply
  // Forwarded to the orchestration core (the session layer and the hypervisor may also send them there directly).
  | Extract<OrchestrationEvent, { type: 'SESSION_ENDED' | 'SESSION_PROGRESS' | 'VIEW' }>
  | { type: 'PLAN_TIMEOUT' };

export interface TaskManagerContext {
  queue: QueueEntry[];
  seq: number;
  /** Request ids of the current walk, in scheduling order, and the position in it. */
  walk: string[];
  cursor: number;
  /** Something changed during the walk: walk again when it ends. */
  dirty: boolean;
  /** requestId -> sessionId of everything this manager got planned. */
  planned: Record<string, string>;
  refused: Record<string, string>;
  /** What the sessions planned here hold now (resource -> session): an entry all of whose
   *  `waitingFor` is held again is not planned (a release woke it, another entry took it first). */
  held: Record<string, string>;
  /** The input the orchestration core starts from (later views arrive as VIEW events). */
  init: TaskManagerInput;
}

export interface TaskManagerInput {
  view: NetworkView;
  engine?: KeyRateEngine;
  finite?: FiniteEngine | null;
}

export const taskManagerMachine = setup({
  types: {
    context: {} as TaskManagerContext,
    events: {} as TaskManagerEvent,
    input: {} as TaskManagerInput,
  },
  actors: { orchestration: orchestrationMachine },
  actions: {
    notifyAgent: (_, _notice: AgentNotice) => {},
    startWalk: assign(({ context }) => ({ walk: ordered(context.queue).filter((e) => e.ready !== false).map((e) => e.request.id), cursor: 0, dirty: false })),
  },
  delays: {
    // A remote orchestration core that never answers must not stall the queue.
    planTimeout: 10_000,
  },
  guards: {
    walkDone: ({ context }) => context.cursor >= context.walk.length,
  },
}).createMachine({
  id: 'taskManager',
  context: ({ input }) => ({ queue: [], seq: 0, walk: [], cursor: 0, dirty: false, planned: {}, refused: {}, held: {}, init: input }),
  invoke: {
    src: 'orchestration',
    id: 'orchestration',
    systemId: 'orchestration',
    input: ({ context }): OrchestrationInput => ({
      view: context.init.view,
      ...(context.init.engine ? { engine: context.init.engine } : {}),
      ...(context.init.finite !== undefined ? { finite: context.init.finite } : {}),
    }),
  },
  on: {
    SUBMIT: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.queue.some((e) => e.request.id === event.request.id) || context.planned[event.request.id]) return;
        enqueue.assign({ queue: enqueueEntry(context.queue, event.request, context.seq), seq: context.seq + 1, dirty: true });
        enqueue({ type: 'notifyAgent', params: { requestId: event.request.id, status: 'accepted' } });
      }),
    },
    CANCEL: { actions: assign(({ context, event }) => ({ queue: removeEntry(context.queue, event.requestId) })) },
    CAPACITY_CHANGED: {
      actions: assign(({ context, event }) => ({
        queue: wake(context.queue, event.cause === 'released' ? event.freed : undefined),
        held: event.cause === 'released' && event.sessionId !== undefined ? releaseHeld(context.held, event.sessionId, event.freed) : context.held,
        dirty: true,
      })),
    },
    SESSION_ENDED: { actions: enqueueActions(({ event, enqueue }) => enqueue.sendTo('orchestration', event)) },
    SESSION_PROGRESS: { actions: enqueueActions(({ event, enqueue }) => enqueue.sendTo('orchestration', event)) },
    VIEW: { actions: enqueueActions(({ event, enqueue }) => enqueue.sendTo('orchestration', event)) },
  },
  initial: 'idle',
  states: {
    idle: {
      always: { guard: ({ context }) => context.dirty && context.queue.length > 0, target: 'walking', actions: 'startWalk' },
    },
    walking: {
      always: [
        { guard: ({ context }) => context.cursor >= context.walk.length && context.dirty && context.queue.length > 0, target: 'walking', reenter: true, actions: 'startWalk' },
        { guard: 'walkDone', target: 'idle', actions: assign({ dirty: false }) },
        { guard: ({ context }) => !context.queue.some((e) => e.request.id === context.walk[context.cursor]), actions: assign({ cursor: ({ context }) => context.cursor + 1 }) },
        {
          guard: ({ context }) => blockedAgain(context.queue.find((e) => e.request.id === context.walk[context.cursor])!, context.held),
          actions: assign(({ context }) => ({ queue: sleep(context.queue, context.walk[context.cursor]!), cursor: context.cursor + 1 })),
        },
        { target: 'awaitingPlan' },
      ],
    },
    awaitingPlan: {
      entry: enqueueActions(({ context, enqueue, self }) => {
        const entry = context.queue.find((e) => e.request.id === context.walk[context.cursor])!;
        enqueue.sendTo('orchestration', { type: 'PLAN', request: entry.request, replyTo: self } satisfies OrchestrationEvent);
      }),
      after: { planTimeout: { target: 'walking', actions: assign({ cursor: ({ context }) => context.cursor + 1, dirty: true }) } },
      on: {
        PLANNED: {
          target: 'walking',
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({
              queue: removeEntry(context.queue, event.requestId),
              planned: { ...context.planned, [event.requestId]: event.plan.sessionId },
              held: { ...context.held, ...Object.fromEntries(event.plan.resources.map((r) => [r, event.plan.sessionId])) },
              cursor: context.cursor + 1,
            });
            enqueue({ type: 'notifyAgent', params: { requestId: event.requestId, status: 'planned', plan: event.plan } });
          }),
        },
        QUEUED: {
          target: 'walking',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const before = context.queue.find((e) => e.request.id === event.requestId);
            enqueue.assign({ queue: markWaiting(context.queue, event.requestId, event.reason, event.waitingFor), cursor: context.cursor + 1 });
            // Tell the agent once per distinct reason, not on every re-plan.
            if (before?.reason !== event.reason) enqueue({ type: 'notifyAgent', params: { requestId: event.requestId, status: 'queued', reason: event.reason } });
          }),
        },
        REFUSED: {
          target: 'walking',
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({
              queue: removeEntry(context.queue, event.requestId),
              refused: { ...context.refused, [event.requestId]: event.reason },
              cursor: context.cursor + 1,
            });
            enqueue({ type: 'notifyAgent', params: { requestId: event.requestId, status: 'refused', reason: event.reason } });
          }),
        },
      },
    },
  },
});

export type TaskManagerActor = ActorRefFrom<typeof taskManagerMachine>;
