// The server's task coordinator (system id `tasks`, part of the control plane): it takes task
// requests from agents and the CLI ('task.request'), spawns one task actor per request
// (task-machines.ts) and answers the request with 'task.result' when that actor finishes.
import { assign, setup, spawnChild, stopChild, type AnyStateMachine } from 'xstate';
import { busActionStubs, type BusEvent, type InboundMeta } from '../../runtime/port.ts';
import type { TaskRequest } from './tasks.messages.ts';

type Finished = { type: 'task.finished'; taskId: string; kind: string; meta?: InboundMeta; result?: Record<string, unknown>; failure?: { error: string }; wallMs: number };
type Events = BusEvent<'task.request', TaskRequest> | Finished;
interface Ctx { epoch: string; seq: number; running: number; finished: number; failed: number }
const taskIdOf = (c: Ctx, kind: string) => `${kind}-${c.epoch}-${c.seq}`;

const childId = (taskId: string) => `task:${taskId}`;

export const taskCoordinatorMachine = setup({
  types: { context: {} as Ctx, events: {} as Events },
  actions: { ...busActionStubs },
  guards: {
    /** The request asks for this kind of task (a named guard, so each branch exports with its kind). */
    isKind: ({ event }, p: { kind: string }) => (event as BusEvent<'task.request', TaskRequest>).body.kind === p.kind,
  },
  actors: {
    'task.sign': undefined as unknown as AnyStateMachine,
    'task.qba': undefined as unknown as AnyStateMachine,
    'task.conference': undefined as unknown as AnyStateMachine,
  },
}).createMachine({
  id: 'taskCoordinator',
  context: () => ({ epoch: Math.random().toString(36).slice(2, 8), seq: 0, running: 0, finished: 0, failed: 0 }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'task.request': (['sign', 'qba', 'conference'] as const).map((kind) => ({
          guard: { type: 'isKind' as const, params: { kind } },
          actions: [
            assign({ seq: ({ context }: { context: Ctx }) => context.seq + 1, running: ({ context }: { context: Ctx }) => context.running + 1 }),
            spawnChild(`task.${kind}` as 'task.sign', {
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              id: ({ context }: { context: Ctx }) => childId(taskIdOf(context, kind)),
              input: ({ context, event }: { context: Ctx; event: Events }) => {
                const e = event as BusEvent<'task.request', TaskRequest>;
                return { taskId: taskIdOf(context, kind), request: e.body, meta: e.meta, startedAt: Date.now() };
              },
            }),
          ],
        })) as never,
        'task.finished': {
          actions: [
            { type: 'bus.reply', params: ({ event }) => {
              const e = event as Finished;
              return { meta: e.meta!, type: 'task.result', body: { kind: e.kind, taskId: e.taskId, wallMs: e.wallMs, ...(e.failure ?? e.result) } };
            } },
            stopChild(({ event }) => childId((event as Finished).taskId)),
            assign(({ context, event }) => ({ running: context.running - 1, finished: context.finished + ((event as Finished).failure ? 0 : 1), failed: context.failed + ((event as Finished).failure ? 1 : 0) })),
          ],
        },
      },
    },
  },
});
