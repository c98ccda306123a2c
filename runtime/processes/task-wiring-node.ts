// Task wiring of a node process: the node's task agent (actors/tasks/task-agent.ts, system id
// `tasks-<node>`) with its services: the node's key pools (infra/keypool/store.ts, its own Redis user
// from its bundle, owner = this node), task channels to other nodes (task-channel.ts) and a CSPRNG
// standing in for the QRNG. node-process.ts calls startTaskWiring(host, name, redis) once; without a
// Redis the node has no pools and no task agent.
import { randomFillSync } from 'node:crypto';
import { fromPromise } from 'xstate';
import { fromBytes } from '../../protocols/bits.ts';
import type { Rng } from '../../protocols/rng.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { taskAgentMachine, roleChildId } from '../../actors/tasks/task-agent.ts';
import { taskRoleMachine, type StepInput } from '../../actors/tasks/task-role-machine.ts';
import { ROLE_IMPLEMENTATIONS } from '../../actors/tasks/task-role-steps.ts';
import { createQbaNodeMemory, type TaskNodeServices } from '../../actors/tasks/task-services.ts';
import type { RoleRun } from '../../actors/tasks/qds-roles.ts';
import { taskAgentId, type TaskRole } from '../../actors/tasks/tasks.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import type { InboundMeta } from '../port.ts';
import type { ActorHost } from '../host.ts';
import { TaskMailbox } from './task-channel.ts';
import type { RedisAccess } from './session-wiring-node.ts';

/** Cryptographic randomness behind the Rng interface (the node's QRNG in this emulation). */
export function cryptoRng(): Rng {
  const buf = new Uint32Array(1024);
  let at = buf.length;
  const next = () => { if (at === buf.length) { randomFillSync(buf); at = 0; } return buf[at++]!; };
  const rng: Rng = {
    nextUint32: next,
    nextDouble: () => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53,
    nextInt(n) {
      const lim = Math.floor(2 ** 32 / n) * n;
      for (;;) { const x = next(); if (x < lim) return x % n; }
    },
    fillBytes(out) { randomFillSync(out); return out; },
    fork: () => rng,
  };
  return rng;
}

export function taskServices(host: ActorHost, node: string, store: KeyPoolStore, mailbox: TaskMailbox): TaskNodeServices {
  const rng = cryptoRng();
  return {
    node,
    async withdraw(peer, kind, bits) {
      const r = await store.withdraw(peer, kind, bits);
      const k = r.keys[0]!;
      return { refs: k.refs, key: fromBytes(k.bytes, k.length) };
    },
    async take(peer, kind, refs) {
      const r = await store.take(peer, kind, [refs]);
      const k = r.keys[0]!;
      return fromBytes(k.bytes, k.length);
    },
    channel: (taskId, peer, opts) => mailbox.channel(taskId, peer, opts),
    release: (taskId) => mailbox.release(taskId),
    rng: () => rng,
    qba: createQbaNodeMemory(),
  };
}

export interface TaskWiring { store: KeyPoolStore; stop(): Promise<void> }

export function startTaskWiring(host: ActorHost, node: string, redis?: RedisAccess): TaskWiring | undefined {
  if (!redis) return undefined;
  const store = KeyPoolStore.connect(redis.url, { net: host.net, owner: node, ...redis });
  const mailbox = new TaskMailbox(host, node);
  const svc = taskServices(host, node, store, mailbox);
  const runs = new Map<string, RoleRun<TaskRole>>();
  host.spawn(taskAgentMachine, {
    systemId: taskAgentId(node),
    input: { node },
    provide: (port) => ({
      actions: {
        'role.begin': (_: unknown, p: { body: TaskRole }) => {
          runs.set(roleChildId(p.body.role, p.body.taskId), { params: p.body, svc, st: {}, result: {} });
        },
        'role.report': (_: unknown, p: { role: string; taskId: string; ok: boolean; error?: string; meta?: InboundMeta }) => {
          const key = roleChildId(p.role, p.taskId);
          const run = runs.get(key);
          runs.delete(key);
          if (![...runs.values()].some((r) => r.params.taskId === p.taskId)) mailbox.release(p.taskId);
          if (p.meta) port.reply(p.meta, 'task.roleDone', { ...(run?.result ?? {}), taskId: p.taskId, node, role: p.role, ok: p.ok, ...(p.error ? { error: p.error } : {}) });
        },
      },
      actors: {
        'task.role': taskRoleMachine.provide({
          actors: {
            'role.step': fromPromise<void, StepInput>(async ({ input }) => {
              const run = runs.get(roleChildId(input.role, input.taskId));
              if (!run) throw new Error(`no parameters for ${input.role} of task ${input.taskId}`);
              const step = ROLE_IMPLEMENTATIONS[run.params.role][input.step];
              if (!step) throw new Error(`role ${input.role} has no step ${input.step}`);
              await step(run as never);
            }),
          },
        }),
      },
    }),
  });
  const stop = async () => { mailbox.close(); host.stopActor(taskAgentId(node)); await store.close(); };
  // Close the pool connection with the host, so the process can exit.
  const hostStop = host.stop.bind(host);
  host.stop = async (opts) => { await stop().catch(() => undefined); return hostStop(opts); };
  return { store, stop };
}
