// Real QKD sessions (one process per node, the launcher, real nats-server) on key pools behind Redis
// Sentinel (one master, two replicas, three sentinels; infra/redis-ha.ts), with the Redis master failing
// over in the middle of a session, before its ends stage the key: killed with SIGKILL, or moved by
// SENTINEL FAILOVER, once the detections are in (so staging, the decision and the commits run after the fault,
// while the sentinels fail over or the new master still waits for its replicas). Each session commits on both ends or aborts on both (the
// block is committed at both ends or at neither, and both ends hold the same committed bits), and the next
// session commits with no manual step: every process found the new master through the sentinels.
import test from 'ava';
import { startRedisSentinel, SENTINEL_MASTER_NAME, type ManagedRedisHa } from '../../infra/redis-ha.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { withTargetParams } from '../../infra/keypool/target.ts';
import { launchCluster, type Cluster } from '../../runtime/launcher.ts';
import { qkd, submit, waitUntil, type Env, type QkdHandle } from './helpers.ts';

let ha: ManagedRedisHa | undefined;
let cluster: Cluster | undefined;
const stores = new Map<string, KeyPoolStore>();

test.before(async () => {
  ha = await startRedisSentinel();
  // The sentinels' discovery user, for this process and (inherited) every process the launcher starts.
  process.env.HETQN_REDIS_SENTINEL_USER = ha.sentinelAuth!.username;
  process.env.HETQN_REDIS_SENTINEL_PASSWORD = ha.sentinelAuth!.password;
  cluster = await launchCluster({
    topology: loadTopology(referenceTopologyPath()), // a private secured nats-server
    // a failover with a restart of the old master fits in a minute also on a loaded machine
    redisUrl: withTargetParams(ha.url, { retryMs: 60_000 }), forwardChildLogs: !!process.env.HETQN_TEST_LOGS,
  });
});
test.after.always(async () => {
  for (const s of stores.values()) await s.close();
  await cluster?.stop();
  await ha?.stop();
});

const env = (): Env => ({ cluster: cluster! } as Env);

/** A node's pools read as the admin through the sentinel URL (the test's view, not the node's). */
function store(owner: string): KeyPoolStore {
  let s = stores.get(owner);
  if (!s) {
    s = KeyPoolStore.connect(withTargetParams(ha!.url, { retryMs: 60_000 }), { net: cluster!.net, owner, allowUrlCredentials: true });
    s.redis.on('error', () => undefined);
    stores.set(owner, s);
  }
  return s;
}

const master = async () => (await ha!.masters())[0];

/** Both ends' view of the session's block once nothing of it is staged any more (recovery settles strays). */
async function settled(a: string, b: string, sessionId: string): Promise<[string, string]> {
  let states: [string, string] = ['', ''];
  await waitUntil(async () => {
    const [x, y] = await Promise.all([store(a).block(b, 'secret', sessionId), store(b).block(a, 'secret', sessionId)]);
    states = [x?.state ?? 'none', y?.state ?? 'none'];
    return !states.includes('staged');
  }, `the block of ${sessionId} to leave the staged state on both ends`, 90_000);
  return states;
}

/** What the session did after the fault (stages seen after it, and when its result came). */
function afterFault(h: QkdHandle): { log(): string; stages(): string[] } {
  const at = Date.now(), seen = h.notices.length;
  let doneAt = 0;
  void h.done.then(() => { doneAt = Date.now(); });
  const stages = () => h.notices.slice(seen).map((n) => String(n.body?.stage ?? n.type));
  return { stages, log: () => `after the fault: ${stages().join(', ')}; result ${doneAt - at} ms after it` };
}

async function checkBothOrNeither(t: import('ava').ExecutionContext, a: string, b: string, h: QkdHandle, since: ReturnType<typeof afterFault>) {
  const o = await h.done;
  t.log(since.log());
  // the pool steps really ran across the failover: the ends staged (or gave up) after it
  t.true(since.stages().includes('staged') || !o.ok, 'the key was staged after the fault');
  const planned = h.notices.find((n) => n.type === 'task.notice' && n.body.status === 'planned');
  if (!planned) throw new Error(`no session was planned: ${o.reason}; notices ${JSON.stringify(h.notices.map((n) => n.type))}`);
  const sessionId = planned.body.plan.sessionId as string;
  const [sa, sb] = await settled(a, b, sessionId);
  t.log(`session ${o.ok ? 'committed' : `aborted (${o.reason})`}; block at ${a}: ${sa}, at ${b}: ${sb}`);
  const committed = (s: string) => s === 'committed' || s === 'consumed';
  t.is(committed(sa), committed(sb), 'committed on both ends or on neither');
  t.is(committed(sa), o.ok, 'the outcome reported is the one recorded');
  const [ca, cb] = await Promise.all([store(a).committedBlocks(b, 'secret'), store(b).committedBlocks(a, 'secret')]);
  t.deepEqual(ca.map((x) => [x.id, x.length]), cb.map((x) => [x.id, x.length]), 'both ends hold the same committed blocks');
  const [st1, st2] = await Promise.all([store(a).stats(b, 'secret'), store(b).stats(a, 'secret')]);
  t.is(st1.bitsIn, st2.bitsIn);
  if (o.ok) {
    t.is(o.result!.keyId, sessionId);
    // the committed key is identical at both ends
    const w = await store(a).withdraw(b, 'secret', 128);
    const k = await store(b).take(a, 'secret', [w.keys[0].refs]);
    t.deepEqual(Buffer.from(k.keys[0].bytes), Buffer.from(w.keys[0].bytes));
  }
}

test.serial('kill -9 of the Redis master once the detections are in (before the ends stage the key): committed on both ends or aborted on both; the next session commits', async (t) => {
  const first = await master();
  const h = await submit(env(), 'David', 'Alice', { seconds: 0.01 }, 150_000);
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'detections') || h.notices.some((n) => n.type === 'qkd.result'),
    'the detections', 120_000);
  const since = afterFault(h);
  await first.kill();
  await waitUntil(async () => (await master().catch(() => first)) !== first, 'the sentinels to promote a replica', 60_000);
  await first.restart();
  await ha!.waitHealthy(90_000);
  await checkBothOrNeither(t, 'David', 'Alice', h, since);
  const next = await qkd(env(), 'Charlie', 'David', { seconds: 0.01 });
  t.true(next.ok, next.reason);
});

test.serial('SENTINEL FAILOVER once the detections are in: committed on both ends or aborted on both; the next session commits', async (t) => {
  const before = await master();
  const h = await submit(env(), 'David', 'Bob', { seconds: 0.01 }, 150_000);
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'detections') || h.notices.some((n) => n.type === 'qkd.result'),
    'the detections', 120_000);
  const since = afterFault(h);
  const r = ha!.adminOf(ha!.sentinels[0]);
  try { await r.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME); } finally { r.disconnect(); }
  await waitUntil(async () => (await master().catch(() => before)) !== before, 'the failover', 60_000);
  await ha!.waitHealthy(90_000);
  await checkBothOrNeither(t, 'David', 'Bob', h, since);
  const next = await qkd(env(), 'David', 'Alice', { seconds: 0.01 });
  t.true(next.ok, next.reason);
});
