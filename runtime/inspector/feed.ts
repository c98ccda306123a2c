// Everything the inspector learns from a running network, through the host API only: it holds the
// inspection lease (hosts stream while it is renewed), converts the inspection events, polls the
// hypervisor's view, follows request notices (tasks.<requestId>), and reads pool levels (counts
// only) from Redis when it can. `raw` sees each inspection event for the Stately relay.
import type { ActorHost } from '../host.ts';
import type { Subscription } from '../bus.ts';
import { SERVER, subject } from '../subjects.ts';
import { listOwners, readOwnerStats } from '../../infra/keypool/store.ts';
import { openRedis, redisTlsFromEnv, type RedisClient } from '../../infra/keypool/connect.ts';
import type { HypervisorView } from '../../actors/server/registry.messages.ts';
import '../../actors/server/registry.messages.ts';
import '../../actors/server/orchestration.messages.ts';
import '../../actors/sessions/session.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import { InspectionConverter, type InspectionEventLike } from './convert.ts';
import type { NetworkView, PoolLevel } from './model.ts';
import type { Recorder } from './recorder.ts';
import { summarise } from './summarise.ts';

export interface FeedOptions {
  host: ActorHost;
  recorder: Recorder;
  redisUrl?: string;
  networkEveryMs?: number;
  poolsEveryMs?: number;
  raw?: (ev: InspectionEventLike) => void;
  log?: (line: string) => void;
}

export interface NetworkFeed { stop(): Promise<void> }

const LEASE_MS = 10_000;

/** The view without what changes on every poll by itself (ages, the poll time). */
const viewKey = (v: NetworkView) => JSON.stringify({ ...v, at: 0, nodes: v.nodes.map((n) => ({ ...n, heartbeatAgeMs: 0 })) });

export function startFeed(o: FeedOptions): NetworkFeed {
  const { host, recorder } = o;
  const converter = new InspectionConverter();
  const subs: Subscription[] = [];
  const timers: NodeJS.Timeout[] = [];

  subs.push(host.subscribe(subject.inspectAll(), (env) => {
    const ev = env.body as InspectionEventLike;
    o.raw?.(ev);
    for (const r of converter.convert(ev)) recorder.add(r);
  }));
  subs.push(host.subscribe(subject.tasksAll(), (env, meta) => {
    const request = meta.subject.split('.').at(-2)!; // qn.<net>.tasks.<requester>.<requestId>.server
    recorder.add({ k: 'notice', t: env.ts || Date.now(), request, type: env.type, body: summarise(env.body) });
  }, { from: SERVER }));

  const requester = `inspector-${host.processId}`;
  const lease = () => { try { host.publish(subject.inspectControl(), 'inspect.lease', { untilMs: LEASE_MS, requester }); } catch { /* reconnecting */ } };
  lease();
  timers.push(setInterval(lease, LEASE_MS / 3));

  let lastView = '';
  const pollNetwork = async () => {
    try {
      const r = await host.request<HypervisorView>(subject.actor(SERVER, 'hypervisor'), 'hypervisor.status', {}, { timeoutMs: 2000 });
      const view = r.body as NetworkView;
      const key = viewKey(view);
      if (key !== lastView) { lastView = key; recorder.add({ k: 'network', t: Date.now(), view }); }
    } catch { /* no hypervisor (yet) */ }
  };
  void pollNetwork();
  timers.push(setInterval(() => void pollNetwork(), o.networkEveryMs ?? 1000));

  let redis: RedisClient | undefined;
  if (o.redisUrl) {
    // The URL's own user (the launcher's URL, or one given to hetqn inspect); any target form (target.ts).
    redis = openRedis(o.redisUrl, { allowUrlCredentials: true, tls: redisTlsFromEnv(), redis: { lazyConnect: true, maxRetriesPerRequest: 0 } });
    redis.on('error', () => undefined);
    let lastPools = '';
    let warned = false;
    let polls = 0;
    const pollPools = async () => {
      try {
        if (redis!.status === 'wait') await redis!.connect();
        const pools: PoolLevel[] = [];
        for (const owner of await listOwners(redis!, recorder.network)) {
          for (const s of await readOwnerStats(redis!, recorder.network, owner)) pools.push({ owner: s.owner, peer: s.peer, kind: s.kind, available: s.available });
        }
        const key = JSON.stringify(pools);
        // A point on every change, and one every 10 polls so the chart's time axis moves on.
        if (pools.length && (key !== lastPools || ++polls % 10 === 0)) recorder.add({ k: 'pools', t: Date.now(), pools });
        lastPools = key;
      } catch (e) {
        if (!warned) { warned = true; o.log?.(`inspector: no pool levels from Redis (${(e as Error).message})`); }
      }
    };
    void pollPools();
    timers.push(setInterval(() => void pollPools(), o.poolsEveryMs ?? 2000));
  }

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const s of subs) s.unsubscribe();
      redis?.disconnect();
    },
  };
}
