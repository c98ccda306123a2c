// Task wiring of the server process: the task coordinator (actors/tasks/task-coordinator.ts, system
// id `tasks`) with its task machines, whose services reach the nodes' task agents by request/reply
// on `actor.tasks-<node>`. server.ts calls startTaskCoordinator(host, topology) once.
import { fromPromise } from 'xstate';
import type { Topology } from '../../infra/topology.ts';
import { taskCoordinatorMachine } from '../../actors/tasks/task-coordinator.ts';
import { conferenceTaskMachine, qbaTaskMachine, signTaskMachine } from '../../actors/tasks/task-machines.ts';
import { provideQbaRound } from '../../actors/tasks/qba-round.ts';
import {
  chooseSignature, decideQba, planQba, runConference, runQds, runRound, type CoordinatorDeps, type RoleDone,
} from '../../actors/tasks/coordinator-services.ts';
import { TASK_COORDINATOR_ID, taskAgentId, type TaskRole } from '../../actors/tasks/tasks.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import type { ActorHost } from '../host.ts';

/** How long one role may take (QBA roles hash 0.1 MB payloads on a busy machine). */
const ROLE_TIMEOUT_MS = 300_000;

export function coordinatorDeps(host: ActorHost, topology: Topology): CoordinatorDeps {
  return {
    async requestRole(node: string, body: TaskRole): Promise<RoleDone> {
      const r = await host.request<RoleDone>(`actor.${taskAgentId(node)}`, 'task.role', body, { timeoutMs: ROLE_TIMEOUT_MS });
      return r.body;
    },
    nodes: () => topology.nodes.filter((n) => !n.attachLater).map((n) => n.name),
  };
}

export function startTaskCoordinator(host: ActorHost, topology: Topology): void {
  const deps = coordinatorDeps(host, topology);
  const round = provideQbaRound((input) => runRound(deps, input.plan, input.spec, input.registry));
  host.spawn(taskCoordinatorMachine, {
    systemId: TASK_COORDINATOR_ID,
    provide: () => ({
      actors: {
        'task.sign': signTaskMachine.provide({
          actors: {
            'qds.choose': fromPromise(({ input }) => chooseSignature(deps, input.taskId, input.request)),
            'qds.sign': fromPromise(async ({ input }) => {
              const t0 = Date.now();
              const r = await runQds(deps, input.taskId, { signer: input.request.signer, ...input.choice }, { message: input.request.message, attack: input.request.attack });
              const { signerResult: _s, ...rest } = r;
              return { ...rest, messageBytes: input.request.message.length, bitsPerLink: input.choice.bitsPerLink, chosen: input.choice.chosen, attack: input.request.attack ?? null, runMs: Date.now() - t0 };
            }),
          },
        }),
        'task.conference': conferenceTaskMachine.provide({
          actors: { 'conf.run': fromPromise(({ input }) => runConference(deps, input.taskId, input.request)) },
        }),
        'task.qba': qbaTaskMachine.provide({
          actors: {
            'qba.plan': fromPromise(async ({ input }) => planQba(deps, input.taskId, input.request)),
            'qba.round': round,
            'qba.decide': fromPromise(({ input }) => decideQba(deps, input.plan, input.rounds)),
          },
        }),
      },
    }),
  });
}
