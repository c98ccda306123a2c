// The root machine of a node process: register with the platform (challenge + authenticated
// announce, done by the injected `register` actor), then heartbeat on `status` (as its own bus identity) every
// heartbeatMs (the injected `sendHeartbeat` action adds the states of all actors in the process).
// A refusal (bad credential, unknown node...) is final; an unanswered attempt is retried; a
// node.reregister from a restarted hypervisor sends it through registration again.
// Sessions, key pools and devices are added by later machines spawned on the same host.
import { assign, fromPromise, setup } from 'xstate';
import { busActionStubs } from '../../runtime/port.ts';
import type { Dof, NodeType } from '../../protocols/types.ts';

export interface NodeInput {
  name: string;
  type: NodeType;
  dof: Dof;
  linkKm: number;
  retryMs?: number;
  /** Give up after this many unanswered attempts (0 = never). */
  maxAttempts?: number;
}

export interface RegisterOutput { heartbeatMs: number; network: string }

/** The register actor rejects with this when the platform refuses (so the machine does not retry). */
export class RefusedError extends Error {
  readonly refused = true;
  constructor(readonly field: string, readonly reason: string) { super(`registration refused: ${field}: ${reason}`); }
}

interface NodeContext extends Required<NodeInput> {
  attempts: number;
  seq: number;
  heartbeatMs: number;
  network?: string;
  error?: { field: string; reason: string };
}

export const nodeMachine = setup({
  types: { context: {} as NodeContext, input: {} as NodeInput, events: {} as { type: 'node.leave' } | { type: 'node.reregister' } },
  actions: {
    ...busActionStubs,
    sendHeartbeat: (_: unknown, _params: { node: string; seq: number; state: string }) => { throw new Error('sendHeartbeat must be provided by the host'); },
  },
  actors: {
    register: fromPromise<RegisterOutput, { name: string; type: NodeType; dof: Dof; linkKm: number }>(async () => {
      throw new Error('register must be provided by the host');
    }),
  },
  delays: {
    heartbeat: ({ context }) => context.heartbeatMs,
    retry: ({ context }) => context.retryMs,
  },
  guards: {
    refused: ({ event }) => !!(event as { error?: { refused?: boolean } }).error?.refused,
    outOfAttempts: ({ context }) => context.maxAttempts > 0 && context.attempts >= context.maxAttempts,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({
    retryMs: 500, maxAttempts: 0, ...input, attempts: 0, seq: 0, heartbeatMs: 1000,
  }),
  initial: 'registering',
  states: {
    registering: {
      entry: assign({ attempts: ({ context }) => context.attempts + 1 }),
      invoke: {
        src: 'register',
        input: ({ context }) => ({ name: context.name, type: context.type, dof: context.dof, linkKm: context.linkKm }),
        onDone: { target: 'registered', actions: assign({ heartbeatMs: ({ event }) => event.output.heartbeatMs, network: ({ event }) => event.output.network }) },
        onError: [
          { guard: 'refused', target: 'refused', actions: assign({ error: ({ event }) => { const e = event.error as RefusedError; return { field: e.field, reason: e.reason }; } }) },
          { target: 'waiting' },
        ],
      },
    },
    waiting: {
      always: { guard: 'outOfAttempts', target: 'unreachable' },
      after: { retry: 'registering' },
    },
    registered: {
      entry: [
        { type: 'sendHeartbeat', params: ({ context }) => ({ node: context.name, seq: context.seq, state: 'registered' }) },
        assign({ seq: ({ context }) => context.seq + 1 }),
      ],
      after: { heartbeat: { target: 'registered', reenter: true } },
      on: { 'node.leave': 'left', 'node.reregister': 'registering' },
    },
    refused: { type: 'final' },
    unreachable: { type: 'final' },
    left: { type: 'final' },
  },
});
