// Shared set-up for the task-actor tests: the reference network as real processes (launcher) on its
// private secured nats-server and private redis-server, and pools filled the way a QKD session fills them (stage the same
// block on both ends, then commit on both) through the store API.
import { randomBytes } from 'node:crypto';
import { KeyPoolStore, type PoolStats } from '../../infra/keypool/store.ts';
import type { ManagedServer } from '../../infra/servers.ts';
import { SERVER, subject } from '../../runtime/subjects.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { launchCluster, type Cluster } from '../../runtime/launcher.ts';
import { TASK_COORDINATOR_ID, type TaskRequest } from '../../actors/tasks/tasks.messages.ts';
import type { PoolKind } from '../../protocols/types.ts';

export const NODES = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];

export interface Env { nats: ManagedServer; redis: ManagedServer; cluster: Cluster; stores: Map<string, KeyPoolStore>; stop(): Promise<void> }

export async function startEnv(): Promise<Env> {
  const cluster = await launchCluster({ topology: loadTopology(referenceTopologyPath()), forwardChildLogs: !!process.env.HETQN_DEBUG });
  const nats = cluster.servers.nats!, redis = cluster.servers.redis!;
  const stores = new Map(NODES.map((n) => [n, KeyPoolStore.connect(redis.url, { net: cluster.net, owner: n, allowUrlCredentials: true })]));
  return {
    nats, redis, cluster, stores,
    async stop() {
      for (const s of stores.values()) await s.close();
      await cluster.stop();
    },
  };
}

let blockSeq = 0;
/** One random block of `bits` bits staged and committed on both ends of every pair, for each kind. */
export async function fillPools(stores: Map<string, KeyPoolStore>, bits: number, kinds: PoolKind[] = ['secret', 'imperfect'], nodes = NODES): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) for (const kind of kinds) {
    const a = stores.get(nodes[i])!, b = stores.get(nodes[j])!;
    const id = `fill-${process.pid}-${++blockSeq}`;
    const bytes = new Uint8Array(randomBytes((bits + 7) >>> 3));
    if (bits & 7) bytes[bytes.length - 1] &= (1 << (bits & 7)) - 1;
    const block = { id, bytes, length: bits, createdAt: Date.now(), meta: { protocol: 'test-fill' }, sessionId: id };
    jobs.push((async () => {
      await Promise.all([a.stage(b.owner, kind, block), b.stage(a.owner, kind, block)]);
      await Promise.all([a.commit(b.owner, kind, id), b.commit(a.owner, kind, id)]);
    })());
  }
  await Promise.all(jobs);
}

/** Bits consumed (by size + by reference) per pool "A|B" and kind, summed over both ends. */
export async function consumption(stores: Map<string, KeyPoolStore>): Promise<Map<string, { out: number; outRef: number }>> {
  const m = new Map<string, { out: number; outRef: number }>();
  for (const s of stores.values()) {
    for (const st of await s.listStats() as PoolStats[]) {
      const k = `${[st.owner, st.peer].sort().join('|')}:${st.kind}`;
      const e = m.get(k) ?? { out: 0, outRef: 0 };
      e.out += st.bitsOut; e.outRef += st.bitsOutRef;
      m.set(k, e);
    }
  }
  return m;
}

export async function request(cluster: Cluster, body: TaskRequest, timeoutMs = 600_000): Promise<Record<string, any>> {
  const r = await cluster.client.request<Record<string, any>>(subject.actor(SERVER, TASK_COORDINATOR_ID), 'task.request', body, { timeoutMs });
  return r.body;
}
