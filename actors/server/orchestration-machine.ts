// The orchestration core as an actor. It owns the exclusive-resource pool and a mirror of the
// switch fabric (what it has asked the router to set), plans requests with `planRequest`,
// reserves all-or-nothing, and hands side effects to injected actions so the same machine
// runs in one process (tests) or behind the runtime's NATS host:
//   setSwitches({plan})          -> send CONNECT to the router actor (switch-fabric-machine.ts)
//   startSession({plan})         -> spawn/tell the session actors (lifecycle: see orchestration.ts)
//   releaseSwitches({sessionId}) -> send RELEASE to the router
//   abortSession({sessionId, reason}) -> a participant went down (VIEW): abort on all sides
// Whoever sends PLAN is remembered as a client and gets CAPACITY_CHANGED whenever resources are
// released or the network view changes, so it can re-plan what it queued.
import { assign, emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { SessionId } from '../../protocols/types.ts';
import { planParticipants, planRequest, type PlanDeps } from './orchestration.ts';
import type { NetworkView, Plan, QkdRequest } from './orchestration-types.ts';
import type { FiniteEngine, KeyRateEngine } from './orchestration-keyrate.ts';
import { emptyPool, release, reserve, type ResourceId, type ResourcePool } from './resources.ts';
import { addPorts, connect, createFabric, layoutFromView, releaseSession, type FabricState } from './switch-fabric.ts';

/** Where a session is in its lifecycle (reported by the session layer with SESSION_PROGRESS). */
export type SessionStage = 'reserved' | 'switching' | 'channel' | 'calibrating' | 'running' | 'staging' | 'confirming' | 'committing' | 'releasing';

export interface ActiveSession {
  plan: Plan;
  stage: SessionStage;
}

export type OrchestrationEvent =
  | { type: 'PLAN'; request: QkdRequest; replyTo?: AnyActorRef }
  | { type: 'SESSION_PROGRESS'; sessionId: SessionId; stage: SessionStage }
  | { type: 'SESSION_ENDED'; sessionId: SessionId; outcome: 'finished' | 'aborted'; reason?: string }
  | { type: 'VIEW'; view: NetworkView };

export type OrchestrationReply =
  | { type: 'PLANNED'; requestId: string; plan: Plan }
  | { type: 'QUEUED'; requestId: string; reason: string; waitingFor: string[] }
  | { type: 'REFUSED'; requestId: string; reason: string }
  /** `freed`: what the released session held (a queued request waiting for none of it stays as it is). */
  | { type: 'CAPACITY_CHANGED'; cause: 'released' | 'view'; sessionId?: SessionId; freed?: ResourceId[] };

export interface OrchestrationContext {
  view: NetworkView;
  pool: ResourcePool;
  fabric: FabricState;
  sessions: Record<SessionId, ActiveSession>;
  clients: AnyActorRef[];
  engine?: KeyRateEngine;
  /** null: plan with the fast ranking engine only (no finite-key optimisation). */
  finite?: FiniteEngine | null;
  /** Counter for session ids (deterministic; the host may override with uuids via `newSessionId`). */
  nextSession: number;
  log: Array<{ sessionId: SessionId; outcome: 'finished' | 'aborted'; reason?: string }>;
}

export interface OrchestrationInput {
  view: NetworkView;
  engine?: KeyRateEngine;
  finite?: FiniteEngine | null;
  fabric?: FabricState;
}

const addClient = (clients: AnyActorRef[], ref: AnyActorRef | undefined) => (ref && !clients.includes(ref) ? [...clients, ref] : clients);

export const orchestrationMachine = setup({
  types: {
    context: {} as OrchestrationContext,
    events: {} as OrchestrationEvent,
    input: {} as OrchestrationInput,
    emitted: {} as OrchestrationReply,
  },
  actions: {
    // Injected side effects (no-ops by default): provide them with machine.provide({ actions }).
    setSwitches: (_, _params: { plan: Plan }) => {},
    startSession: (_, _params: { plan: Plan }) => {},
    releaseSwitches: (_, _params: { sessionId: SessionId }) => {},
    /** A participant went down: the session layer aborts (discarding staged keys) and then reports SESSION_ENDED. */
    abortSession: (_, _params: { sessionId: SessionId; reason: string }) => {},
  },
}).createMachine({
  id: 'orchestration',
  context: ({ input }) => ({
    view: input.view,
    pool: emptyPool(),
    fabric: input.fabric ?? createFabric(layoutFromView(input.view), input.view.server.switchTimeMs),
    sessions: {},
    clients: [],
    ...(input.engine ? { engine: input.engine } : {}),
    ...(input.finite !== undefined ? { finite: input.finite } : {}),
    nextSession: 1,
    log: [],
  }),
  initial: 'ready',
  states: {
    ready: {
      on: {
        PLAN: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const clients = addClient(context.clients, event.replyTo);
            const deps: PlanDeps = { fabric: context.fabric, sessionId: `s${context.nextSession}-${event.request.id}` };
            if (context.engine) deps.engine = context.engine;
            if (context.finite !== undefined) deps.finite = context.finite;
            const out = planRequest(event.request, context.view, context.pool, deps);
            let reply: OrchestrationReply;
            if (out.kind === 'plan') {
              const r = reserve(context.pool, out.sessionId, out.resources);
              const f = connect(context.fabric, out.sessionId, out.crossConnects);
              if (!r.ok || !f.ok) {
                // Cannot happen when the plan was made from this same pool/fabric; kept as a guard.
                const why = !r.ok ? `reservation conflict on ${r.conflicts.map((c) => c.resource).join(', ')}` : (f as { reason: string }).reason;
                reply = { type: 'QUEUED', requestId: event.request.id, reason: why, waitingFor: [] };
                enqueue.assign({ clients });
              } else {
                enqueue.assign({
                  clients,
                  pool: r.pool,
                  fabric: f.state,
                  nextSession: context.nextSession + 1,
                  sessions: { ...context.sessions, [out.sessionId]: { plan: out, stage: 'switching' } },
                });
                enqueue({ type: 'setSwitches', params: { plan: out } });
                enqueue({ type: 'startSession', params: { plan: out } });
                reply = { type: 'PLANNED', requestId: event.request.id, plan: out };
              }
            } else {
              enqueue.assign({ clients });
              reply =
                out.kind === 'queued'
                  ? { type: 'QUEUED', requestId: out.requestId, reason: out.reason, waitingFor: out.waitingFor }
                  : { type: 'REFUSED', requestId: out.requestId, reason: out.reason };
            }
            enqueue(emit(reply));
            if (event.replyTo) enqueue.sendTo(event.replyTo, reply);
          }),
        },
        SESSION_PROGRESS: {
          guard: ({ context, event }) => context.sessions[event.sessionId] !== undefined,
          actions: assign(({ context, event }) => ({
            sessions: { ...context.sessions, [event.sessionId]: { ...context.sessions[event.sessionId]!, stage: event.stage } },
          })),
        },
        SESSION_ENDED: {
          // Finished and aborted sessions free their resources alike (see the lifecycle in orchestration.ts).
          guard: ({ context, event }) => context.sessions[event.sessionId] !== undefined,
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { [event.sessionId]: gone, ...rest } = context.sessions;
            enqueue.assign({
              pool: release(context.pool, event.sessionId),
              fabric: releaseSession(context.fabric, event.sessionId),
              sessions: rest,
              log: [...context.log, { sessionId: event.sessionId, outcome: event.outcome, ...(event.reason ? { reason: event.reason } : {}) }],
            });
            enqueue({ type: 'releaseSwitches', params: { sessionId: event.sessionId } });
            const note: OrchestrationReply = { type: 'CAPACITY_CHANGED', cause: 'released', sessionId: event.sessionId, freed: gone!.plan.resources };
            enqueue(emit(note));
            for (const c of context.clients) enqueue.sendTo(c, note);
          }),
        },
        VIEW: {
          // A node attached, went down or came back: new ports appear, queued work may now fit.
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({ view: event.view, fabric: addPorts(context.fabric, layoutFromView(event.view)) });
            // Resources stay reserved until the session layer confirms the abort (SESSION_ENDED):
            // releasing earlier could hand a detector to a new session while the old one still runs.
            const down = new Set(event.view.nodes.filter((n) => n.state === 'down').map((n) => n.id));
            const present = new Set(event.view.nodes.map((n) => n.id));
            for (const [sessionId, s] of Object.entries(context.sessions)) {
              const lost = planParticipants(s.plan).filter((n) => down.has(n) || !present.has(n));
              if (lost.length > 0) enqueue({ type: 'abortSession', params: { sessionId, reason: `${lost.join(', ')} down` } });
            }
            const note: OrchestrationReply = { type: 'CAPACITY_CHANGED', cause: 'view' };
            enqueue(emit(note));
            for (const c of context.clients) enqueue.sendTo(c, note);
          }),
        },
      },
    },
  },
});
