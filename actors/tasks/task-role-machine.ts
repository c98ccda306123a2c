// One task role on one node (QDS signer/forwarder/verifier, conference sponsor/participant, QBA
// queries) as an actor: it runs the role's steps in order (each an invoked promise actor
// `role.step`, provided by the node's task wiring, which keeps key material out of the snapshot)
// and reports to its parent, the node's task agent, with `role.finished`.
import { assign, fromPromise, sendParent, setup } from 'xstate';
import type { InboundMeta } from '../../runtime/port.ts';

export interface RoleInput { role: string; taskId: string; steps: string[]; meta?: InboundMeta }
export interface StepInput { role: string; taskId: string; step: string }

interface Ctx extends RoleInput { index: number; error?: string }

export const taskRoleMachine = setup({
  types: { context: {} as Ctx, input: {} as RoleInput },
  actors: {
    'role.step': fromPromise<void, StepInput>(async () => { throw new Error('role.step must be provided by the node task wiring'); }),
  },
}).createMachine({
  id: 'taskRole',
  context: ({ input }) => ({ ...input, index: 0 }),
  initial: 'running',
  states: {
    running: {
      invoke: {
        src: 'role.step',
        input: ({ context }) => ({ role: context.role, taskId: context.taskId, step: context.steps[context.index] }),
        onDone: [
          { guard: ({ context }) => context.index + 1 < context.steps.length, target: 'running', reenter: true, actions: assign({ index: ({ context }) => context.index + 1 }) },
          { target: 'done' },
        ],
        onError: { target: 'failed', actions: assign({ error: ({ event }) => (event.error instanceof Error ? event.error.message : String(event.error)) }) },
      },
    },
    done: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'role.finished', role: context.role, taskId: context.taskId, ok: true, meta: context.meta })),
    },
    failed: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'role.finished', role: context.role, taskId: context.taskId, ok: false, error: `${context.steps[context.index]}: ${context.error}`, meta: context.meta })),
    },
  },
});
