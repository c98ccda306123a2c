// Key pools behind Redis Sentinel (infra/redis-ha.ts: one master, two replicas, three sentinels), each node
// connecting with its own ACL user through a redis-sentinel:// URL and the sentinels' discovery-only user:
// users and functions on every data node, the sentinels locked down, a pool step acknowledged only once a
// replica holds it, and concurrent traffic of three pairs across a kill -9 of the master (automatic failover)
// and a SENTINEL FAILOVER with the pool invariants checked (ha-workload.ts).
import test from 'ava';
import type { Redis } from 'ioredis';
import { startRedisSentinel, SENTINEL_MASTER_NAME, type ManagedRedisHa } from '../../infra/redis-ha.ts';
import type { ManagedServer } from '../../infra/servers.ts';
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../../infra/keypool/acl.ts';
import { openRedis, redisAcceptsAnonymous, type RedisClient } from '../../infra/keypool/connect.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { withTargetParams } from '../../infra/keypool/target.ts';
import { LIBRARY_NAME } from '../../infra/keypool/lua.ts';
import { poolPrefix } from '../../infra/keypool/names.ts';
import { blockOf } from './helpers.ts';
import { runPoolWorkload, type Pair } from './ha-workload.ts';

const net = 'has';
const pairs: Pair[] = [{ a: 'Alice', b: 'Bob' }, { a: 'Carol', b: 'Dave' }, { a: 'Erin', b: 'Judy' }];
let ha: ManagedRedisHa;
let users: PoolUsers;
const stores: KeyPoolStore[] = [];
const conns: RedisClient[] = [];

test.before(async () => {
  users = generatePoolUsers(net, pairs.flatMap((p) => [p.a, p.b]));
  ha = await startRedisSentinel({ users: users.aclLines });
});
test.after.always(async () => {
  for (const s of stores) await s.close();
  for (const c of conns) c.disconnect();
  await ha?.stop();
});

const storeOf = (owner: string, params: Parameters<typeof withTargetParams>[1] = { retryMs: 90_000 }) => {
  const s = KeyPoolStore.connect(withTargetParams(ha.address, params), { net, owner, ...users.nodes[owner], sentinel: ha.sentinelAuth });
  s.redis.on('error', () => undefined);
  stores.push(s);
  return s;
};

async function withNode<T>(n: ManagedServer, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = ha.adminOf(n);
  try { return await f(r); } finally { r.disconnect(); }
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bounded = () => Promise.race([ok(), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]).catch(() => false);
  while (!(await bounded())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const master = async () => (await ha.masters())[0];

test.serial('users and functions are on every data node; the sentinels and data nodes refuse anonymous clients; the sentinel client user only discovers', async (t) => {
  t.is(ha.nodes.length, 3);
  const admin = openRedis(ha.url, { allowUrlCredentials: true, sentinel: ha.sentinelAuth });
  admin.on('error', () => undefined);
  conns.push(admin);
  const later = generatePoolUsers(net, ['Zed']);
  t.deepEqual(await applyPoolUsers(admin, later, ['nodes']), { persisted: true, nodes: 3 }, 'through the sentinel URL: the master and both replicas');
  for (const n of ha.nodes) {
    await withNode(n, async (r) => {
      for (const u of [users.nodes.Alice, later.nodes.Zed]) t.truthy(await r.call('ACL', 'GETUSER', u.username), `${u.username} on :${n.port}`);
      t.is((await r.call('FUNCTION', 'LIST', 'LIBRARYNAME', LIBRARY_NAME) as unknown[]).length, 1, `library on :${n.port}`);
    });
  }
  t.false(await redisAcceptsAnonymous(ha.address, undefined, ha.sentinelAuth));
  const s = ha.sentinels[0];
  const as = (u?: { username: string; password: string }) => {
    const r = openRedis(`redis://127.0.0.1:${s.port}`, { ...u, redis: { maxRetriesPerRequest: 1 } });
    r.on('error', () => undefined);
    conns.push(r);
    return r;
  };
  t.regex(await as().call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME).then(String, (e: Error) => e.message), /^NOAUTH/);
  const client = as(ha.sentinelAuth);
  t.deepEqual(await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME), ['127.0.0.1', String((await master()).port)]);
  for (const cmd of [['FAILOVER', SENTINEL_MASTER_NAME], ['SET', SENTINEL_MASTER_NAME, 'quorum', '1'], ['MASTERS'], ['REMOVE', SENTINEL_MASTER_NAME]]) {
    t.regex(await client.call('SENTINEL', ...cmd).then(String, (e: Error) => e.message), /NOPERM/, `SENTINEL ${cmd[0]}`);
  }
});

test.serial('a pool step is acknowledged only once every replica holds it', async (t) => {
  t.regex(ha.address, /[?&]wait=2\b/, 'the address asks for both replicas');
  const m = await master();
  const replicas = ha.nodes.filter((n) => n !== m);
  const alice = storeOf('Alice', { retryMs: 1500, waitMs: 300 });
  const blk = blockOf('held-back', 256, 7);
  // one replica stopped: the other one's acknowledgement is not enough
  process.kill(replicas[0].pid()!, 'SIGSTOP');
  let err: unknown;
  try {
    err = await alice.stage('Bob', 'secret', blk).then(() => undefined, (e: unknown) => e);
  } finally {
    process.kill(replicas[0].pid()!, 'SIGCONT');
  }
  t.regex(String((err as Error)?.message), /^NOTREPLICATED 1 of 2/);
  // The master did execute it: the retry (same block id) is an idempotent 'already', acknowledged once both
  // replicas caught up, and both then hold the staged block.
  t.is(await alice.stage('Bob', 'secret', blk), 'already');
  const held = await Promise.all(replicas.map((r) => withNode(r, (c) => c.hget(`${poolPrefix(net, 'Alice', 'Bob', 'secret')}:b:held-back`, 'st'))));
  t.deepEqual(held, ['s', 's']);
  await alice.abort('Bob', 'secret', blk.id);
  await ha.waitHealthy();
});

test.serial('three pairs trade keys across a kill -9 of the master and a SENTINEL FAILOVER: no bit twice, none lost, both ends identical', async (t) => {
  const first = await master();
  let second: ManagedServer | undefined, third: ManagedServer | undefined;
  const steps: string[] = [];
  const faults = async () => {
    await new Promise((r) => setTimeout(r, 2000));
    await first.kill();
    steps.push(`killed master :${first.port}`);
    await waitFor('the sentinels promoting a replica', async () => (second = await master()) !== first);
    steps.push(`replica :${second!.port} promoted`);
    await first.restart();
    await ha.waitHealthy(90_000);
    steps.push(`old master :${first.port} back as a replica`);
    await withNode(ha.sentinels[1], (r) => r.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME));
    await waitFor('SENTINEL FAILOVER', async () => (third = await master()) !== second);
    await ha.waitHealthy(90_000);
    steps.push(`failover to :${third!.port}`);
    await new Promise((r) => setTimeout(r, 2000));
  };
  const report = await runPoolWorkload(pairs, (owner) => storeOf(owner), faults);
  t.log(steps.join('; '));
  t.log(`committed ${report.committedBlocks} blocks (${JSON.stringify(report.committedBits)} bits), aborted ${report.abortedBlocks}, `
    + `${report.withdrawals} withdrawals (${report.replayed} replayed from a receipt), ${report.inDoubt} operations in doubt and retried`);
  t.deepEqual(report.problems, []);
  t.true(report.committedBlocks >= 3 && report.withdrawals >= 3, 'traffic flowed');
  t.is(steps.length, 4);
  t.not(second, first);
  t.not(third, second);
});
