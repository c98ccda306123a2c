// One QBA multicast round QBA(signer, backups, d) as an actor (spec "QBA"): it runs the round's
// three-party QDS runs (invoked `qba.runRound`), then SPAWNS one child actor per backup j for
// QBA(j, S \ {j}, d - 1) — the same machine, recursively — waits for every child's subtree, and
// reports its own round and its subtree to its parent with `round.finished`. For N = 5, d = 2 the
// tree has 5 actors: the root and four depth-1 children.
import { assign, enqueueActions, fromPromise, sendParent, setup, type AnyStateMachine } from 'xstate';
import type { RoundSpec } from '../../protocols/tasks/qba.ts';
import { planChild } from '../../protocols/tasks/qba.ts';
import type { QbaPlan, RegistryEntry, RoundReport } from './coordinator-services.ts';

export interface QbaRoundInput { plan: QbaPlan; spec: RoundSpec; registry: RegistryEntry[] }
interface Ctx extends QbaRoundInput {
  id: string;
  own?: RoundReport;
  signed: RegistryEntry[];
  children: RoundSpec[];
  pending: number;
  subtree: RoundReport[];
  error?: string;
}
type Finished = { type: 'round.finished'; id: string; reports: RoundReport[]; error?: string };

export const qbaRoundMachine = setup({
  types: { context: {} as Ctx, input: {} as QbaRoundInput, events: {} as Finished },
  actors: {
    'qba.runRound': fromPromise<{ report: RoundReport; signed: RegistryEntry[] }, QbaRoundInput>(async () => { throw new Error('qba.runRound must be provided'); }),
    /** This machine itself (with the same implementations); wired by provideQbaRound. */
    'qba.round': undefined as unknown as AnyStateMachine,
  },
}).createMachine({
  id: 'qbaRound',
  context: ({ input }) => ({ ...input, id: input.spec.path.join('>'), signed: [], children: planChild(input.spec).children.map((c) => ({ ...c, backups: [...c.backups], path: [...c.path] })), pending: 0, subtree: [] }),
  initial: 'signing',
  states: {
    signing: {
      invoke: {
        src: 'qba.runRound',
        input: ({ context }) => ({ plan: context.plan, spec: context.spec, registry: context.registry }),
        onDone: { target: 'spawning', actions: assign({ own: ({ event }) => event.output.report, signed: ({ event }) => event.output.signed }) },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
      },
    },
    spawning: {
      always: [
        { guard: ({ context }) => context.children.length === 0, target: 'done' },
        {
          target: 'waiting',
          actions: [
            assign({ pending: ({ context }) => context.children.length }),
            // One child actor per sub-round QBA(j, S \ {j}, d - 1), spawned from this machine's own logic.
            enqueueActions(({ context, enqueue }) => {
              for (const child of context.children) {
                enqueue.spawnChild('qba.round', { id: `round:${child.path.join('>')}`, input: { plan: context.plan, spec: child, registry: [...context.registry, ...context.signed] } });
              }
            }),
          ],
        },
      ],
    },
    waiting: {
      on: {
        'round.finished': [
          { guard: ({ event }) => !!event.error, target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
          {
            actions: assign({ pending: ({ context }) => context.pending - 1, subtree: ({ context, event }) => [...context.subtree, ...event.reports] }),
          },
        ],
      },
      always: { guard: ({ context }) => context.pending === 0, target: 'done' },
    },
    done: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'round.finished', id: context.id, reports: [context.own!, ...context.subtree.sort((a, b) => a.id.localeCompare(b.id))] })),
    },
    failed: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'round.finished', id: context.id, reports: [], error: `round ${context.id}: ${context.error}` })),
    },
  },
});

/** The round machine with its services, able to spawn copies of itself. */
export function provideQbaRound(runRound: (input: QbaRoundInput) => Promise<{ report: RoundReport; signed: RegistryEntry[] }>): AnyStateMachine {
  const m = qbaRoundMachine.provide({ actors: { 'qba.runRound': fromPromise(({ input }: { input: QbaRoundInput }) => runRound(input)) } as never }) as AnyStateMachine;
  (m.implementations.actors as Record<string, unknown>)['qba.round'] = m;
  return m;
}
