// Task wiring of the server process: the task coordinator (actors/tasks/task-coordinator.ts, system
// id `tasks`) with its task machines, whose services reach the nodes' task agents by request/reply
// on `actor.<node>.tasks-<node>`, check nodes and pools before a task starts (the network view of the
// session server, pool statistics from Redis, fill runs sized by the key-rate engine) and report
// stages on tasks.<requester>.<requestId>, to the identity that asked only. server.ts calls
// startTaskCoordinator(host, topology, view) once.
import { fromPromise } from 'xstate';
import type { Topology } from '../../infra/topology.ts';
import { taskCoordinatorMachine } from '../../actors/tasks/task-coordinator.ts';
import { conferenceTaskMachine, qbaTaskMachine, signTaskMachine } from '../../actors/tasks/task-machines.ts';
import { provideQbaRound } from '../../actors/tasks/qba-round.ts';
import {
  TaskRefusal, checkConference, chooseSignature, decideQba, planQba, runConference, runQds, runRound, type CoordinatorDeps, type RoleDone,
} from '../../actors/tasks/coordinator-services.ts';
import { TASK_COORDINATOR_ID, taskAgentId, type TaskRole } from '../../actors/tasks/tasks.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import { nodeAdmission } from '../../actors/server/admission.ts';
import { fillRun } from '../../actors/server/fill-plan.ts';
import type { ActorHost } from '../host.ts';
import type { NetworkState } from './session-wiring-server.ts';
import { poolLevels, type PoolLevels } from './pool-levels.ts';
import { subject } from '../subjects.ts';
import type { RedisAccess } from './session-wiring-node.ts';

/** How long one role may take (QBA roles hash 0.1 MB payloads on a busy machine). */
export const ROLE_TIMEOUT_MS = 300_000;

/** Who asked for each task (by its requestId), so its stages go to that identity only; the oldest are forgotten. */
function requesterBook(max = 1000) {
  const who = new Map<string, string>();
  return {
    note(requestId: string, from: string) { who.delete(requestId); who.set(requestId, from); if (who.size > max) who.delete(who.keys().next().value!); },
    of: (requestId: string) => who.get(requestId),
  };
}

export function coordinatorDeps(host: ActorHost, topology: Topology, network: NetworkState, levels: PoolLevels, requesters = requesterBook()): CoordinatorDeps {
  const names = topology.nodes.map((n) => n.name);
  // A task right after a node attached may beat the view's next poll: re-read it (at most every 250 ms).
  let readAt = 0;
  const fresh = async () => {
    if (Date.now() - readAt < 250) return network.view();
    await network.refresh();
    readAt = Date.now();
    return network.view();
  };
  return {
    async requestRole(node: string, body: TaskRole): Promise<RoleDone> {
      const r = await host.request<RoleDone>(subject.actor(node, taskAgentId(node)), 'task.role', body, { timeoutMs: ROLE_TIMEOUT_MS });
      return r.body;
    },
    nodes: () => topology.nodes.filter((n) => !n.attachLater).map((n) => n.name),
    async admission(field, node) {
      const v = (await fresh()).nodes.find((n) => n.id === node);
      return nodeAdmission(topology.network, field, node, names, v ? (v.state === 'down' ? 'down' : 'up') : 'expected');
    },
    async available(owner, peer, kind) {
      try { return await levels.available(owner, peer, kind); } catch (e) {
        throw new TaskRefusal(`pool statistics of network ${topology.network} unavailable: ${(e as Error).message}`, 'unavailable');
      }
    },
    fillRun: (owner, peer, kind, bits) => fillRun(network.view(), owner, peer, kind, bits),
    progress(requestId, text) {
      const to = requestId && requesters.of(requestId);
      if (!requestId || !to) return;
      try { host.publish(subject.tasks(to, requestId), 'task.progress', { requestId, stage: text.slice(0, 2000) }); } catch { /* best effort */ }
    },
  };
}

export function startTaskCoordinator(host: ActorHost, topology: Topology, network: NetworkState, redis?: RedisAccess): void {
  const levels = poolLevels(topology.network, redis);
  const requesters = requesterBook();
  const deps = coordinatorDeps(host, topology, network, levels, requesters);
  // Close the statistics connection with the host, so the process can exit.
  const hostStop = host.stop.bind(host);
  host.stop = async (opts) => { levels.close(); return hostStop(opts); };
  const round = provideQbaRound((input) => runRound(deps, input.plan, input.spec, input.registry));
  host.spawn(taskCoordinatorMachine, {
    systemId: TASK_COORDINATOR_ID,
    tap: (env, meta) => {
      const requestId = env.type === 'task.request' ? (env.body as { requestId?: string }).requestId : undefined;
      if (requestId) requesters.note(requestId, meta.from);
    },
    provide: () => ({
      actors: {
        'task.sign': signTaskMachine.provide({
          actors: {
            'qds.choose': fromPromise(({ input }) => chooseSignature(deps, input.taskId, input.request)),
            'qds.sign': fromPromise(async ({ input }) => {
              const t0 = Date.now();
              const c = input.choice;
              deps.progress(input.request.requestId, `signing: ${input.request.signer} signs ${input.request.message.length} bytes for ${c.forwarder}, third party ${c.verifier} (${c.variant} keys, n = ${c.n})`);
              const r = await runQds(deps, input.taskId, { signer: input.request.signer, ...input.choice }, { message: input.request.message, attack: input.request.attack });
              const { signerResult: _s, ...rest } = r;
              return { ...rest, messageBytes: input.request.message.length, bitsPerLink: input.choice.bitsPerLink, chosen: input.choice.chosen, attack: input.request.attack ?? null, runMs: Date.now() - t0 };
            }),
          },
        }),
        'task.conference': conferenceTaskMachine.provide({
          actors: {
            'conf.check': fromPromise(({ input }) => checkConference(deps, input.request)),
            'conf.run': fromPromise(({ input }) => runConference(deps, input.taskId, input.request)),
          },
        }),
        'task.qba': qbaTaskMachine.provide({
          actors: {
            'qba.plan': fromPromise(({ input }) => planQba(deps, input.taskId, input.request)),
            'qba.round': round,
            'qba.decide': fromPromise(({ input }) => decideQba(deps, input.plan, input.rounds)),
          },
        }),
      },
    }),
  });
}
