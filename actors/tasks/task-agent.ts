// A node's task agent (system id `tasks-<node>`): the server's task coordinator asks it to play a
// role in a task ('task.role' requests); it spawns one task-role actor per role and answers the
// request when the role finishes ('task.roleDone', with the role's report from `role.report`).
// Roles of many tasks run side by side (a QBA multicast round gives a node several QDS runs at once).
// Roles are taken from the server's bus identity only (the sender in the subject, runtime/port.ts).
import { assign, setup, spawnChild, stopChild } from 'xstate';
import { busActionStubs, SERVER_IDENTITY, type BusEvent, type InboundMeta } from '../../runtime/port.ts';
import type { TaskRole } from './tasks.messages.ts';
import { taskRoleMachine } from './task-role-machine.ts';

export interface TaskAgentInput { node: string }
interface Ctx { node: string; running: number; finished: number; failed: number }

type Finished = { type: 'role.finished'; role: string; taskId: string; ok: boolean; error?: string; meta?: InboundMeta };
type Events = BusEvent<'task.role', TaskRole> | Finished;

/** Steps of every role (implemented in qds-roles.ts / conference-roles.ts / task-role-steps.ts). */
export const ROLE_STEPS: Record<TaskRole['role'], string[]> = {
  'qds.signer': ['withdraw', 'sign', 'deliver'],
  'qds.forwarder': ['takeKeys', 'receiveSigned', 'authenticate', 'forward', 'verdict'],
  'qds.verifier': ['takeKeys', 'authenticate', 'verify', 'returnKeys'],
  'conf.sponsor': ['withdraw', 'encrypt', 'deliver'],
  'conf.participant': ['takeKeys', 'receive', 'decrypt'],
  'qba.seen': ['report'],
};

export const roleChildId = (role: string, taskId: string) => `${role}@${taskId}`;

export const taskAgentMachine = setup({
  types: { context: {} as Ctx, input: {} as TaskAgentInput, events: {} as Events },
  actions: {
    ...busActionStubs,
    /** Register the role's parameters with the wiring before its actor starts. */
    'role.begin': (_: unknown, _p: { body: TaskRole }) => { throw new Error('role.begin must be provided by the node task wiring'); },
    /** Answer the coordinator with the role's report and forget the role's scratch state. */
    'role.report': (_: unknown, _p: Finished) => { throw new Error('role.report must be provided by the node task wiring'); },
  },
  actors: { 'task.role': taskRoleMachine },
}).createMachine({
  id: 'taskAgent',
  context: ({ input }) => ({ node: input.node, running: 0, finished: 0, failed: 0 }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'task.role': {
          guard: ({ event }) => (event as BusEvent<'task.role', TaskRole>).meta.from === SERVER_IDENTITY,
          actions: [
            { type: 'role.begin', params: ({ event }) => ({ body: event.body }) },
            spawnChild('task.role', {
              id: ({ event }) => roleChildId((event as BusEvent<'task.role', TaskRole>).body.role, (event as BusEvent<'task.role', TaskRole>).body.taskId),
              input: ({ event }) => {
                const e = event as BusEvent<'task.role', TaskRole>;
                return { role: e.body.role, taskId: e.body.taskId, steps: ROLE_STEPS[e.body.role], meta: e.meta };
              },
            }),
            assign({ running: ({ context }) => context.running + 1 }),
          ],
        },
        'role.finished': {
          actions: [
            { type: 'role.report', params: ({ event }) => event as Finished },
            stopChild(({ event }) => roleChildId((event as Finished).role, (event as Finished).taskId)),
            assign(({ context, event }) => ({
              running: context.running - 1,
              finished: context.finished + ((event as Finished).ok ? 1 : 0),
              failed: context.failed + ((event as Finished).ok ? 0 : 1),
            })),
          ],
        },
      },
    },
  },
});
