// Key pools on a private Redis Cluster of 3 masters with one replica each (infra/redis-ha.ts), each node
// process connecting with its own ACL user through a redis-cluster:// URL: users and functions on every
// node, a node confined to its own pools on every master, a pool step acknowledged only once a replica holds
// it, and concurrent traffic of three pairs (one per master) across a kill -9 of a master (automatic failover)
// and a manual CLUSTER FAILOVER with the pool invariants checked (ha-workload.ts).
import test, { type ExecutionContext } from 'ava';
import type { Redis } from 'ioredis';
import { startRedisCluster, type ManagedRedisHa } from '../../infra/redis-ha.ts';
import type { ManagedServer } from '../../infra/servers.ts';
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../../infra/keypool/acl.ts';
import { loadPoolLibrary } from '../../infra/keypool/library.ts';
import { openRedis, type RedisClient } from '../../infra/keypool/connect.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { withTargetParams } from '../../infra/keypool/target.ts';
import { LIBRARY_NAME } from '../../infra/keypool/lua.ts';
import { poolPrefix, statsKey } from '../../infra/keypool/names.ts';
import { blockOf, deposit } from './helpers.ts';
import { subscribeLowWater, type LowWaterEvent } from '../../infra/keypool/events.ts';
import { runPoolWorkload, type Pair } from './ha-workload.ts';

const net = 'hac';
const pairs: Pair[] = [{ a: 'Alice', b: 'Bob' }, { a: 'Carol', b: 'Dave' }, { a: 'Erin', b: 'Judy' }];
let ha: ManagedRedisHa;
let users: PoolUsers;
let admin: RedisClient;
const stores: KeyPoolStore[] = [];
const conns: RedisClient[] = [];

test.before(async () => {
  users = generatePoolUsers(net, pairs.flatMap((p) => [p.a, p.b]));
  ha = await startRedisCluster({ users: users.aclLines });
  admin = openRedis(ha.url, { allowUrlCredentials: true });
});
test.after.always(async () => {
  for (const s of stores) await s.close();
  for (const c of conns) c.disconnect();
  admin?.disconnect();
  await ha?.stop();
});

/** A node's store through the cluster URL, as the node's own user; extra URL parameters for the test. */
const storeOf = (owner: string, params: Parameters<typeof withTargetParams>[1] = { retryMs: 90_000 }) => {
  const s = KeyPoolStore.connect(withTargetParams(ha.address, params), { net, owner, ...users.nodes[owner] });
  s.redis.on('error', () => undefined);
  stores.push(s);
  return s;
};

/** The data node that is master of the slot of pair p's pools now, and its replica (none while the master of a
 *  failover has no replica yet). */
async function shardOf(p: Pair): Promise<{ master: ManagedServer; replica?: ManagedServer }> {
  // asked of one live node directly (what the cluster agrees on once a failover is over)
  const live = ha.nodes.find((n) => n.pid() !== undefined)!;
  const [slot, ranges] = await withNode(live, async (r) => [Number(await r.call('CLUSTER', 'KEYSLOT', statsKey(net, p.a, p.b, 'secret'))),
    await r.call('CLUSTER', 'SLOTS') as [number, number, [string, number], ...[string, number][]][]] as const);
  const r = ranges.find(([from, to]) => slot >= from && slot <= to)!;
  const byPort = (port: number) => ha.nodes.find((n) => n.port === port)!;
  return { master: byPort(Number(r[2][1])), replica: r[3] && byPort(Number(r[3][1])) };
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bounded = () => Promise.race([ok(), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]).catch(() => false);
  while (!(await bounded())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function withNode<T>(n: ManagedServer, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = ha.adminOf(n);
  try { return await f(r); } finally { r.disconnect(); }
}

async function noperm(t: ExecutionContext, p: Promise<unknown>, what: string) {
  const err = await p.then(() => undefined, (e: Error) => e);
  t.regex(String(err?.message), /NOPERM|no permissions/, `${what} should be refused`);
}

test.serial('the users and the functions library are on every node, and each pair\'s pools live on a different master', async (t) => {
  t.is(ha.nodes.length, 6);
  // installed through the cluster URL as the launcher does: on all six nodes, the library on the three masters
  const later = generatePoolUsers(net, ['Zed']);
  t.deepEqual(await applyPoolUsers(admin, later, ['nodes']), { persisted: true, nodes: 6 });
  await loadPoolLibrary(admin);
  for (const n of ha.nodes) {
    await withNode(n, async (r) => {
      for (const u of [users.nodes.Alice, users.nodes.Judy, later.nodes.Zed]) t.truthy(await r.call('ACL', 'GETUSER', u.username), `${u.username} on :${n.port}`);
      const libs = await r.call('FUNCTION', 'LIST', 'LIBRARYNAME', LIBRARY_NAME) as unknown[];
      t.is(libs.length, 1, `library on :${n.port}`);
    });
  }
  const masters = await Promise.all(pairs.map(async (p) => (await shardOf(p)).master.port));
  t.is(new Set(masters).size, 3, `pairs on masters ${masters.join(', ')}`);
});

test.serial('a node user reaches only its own pools, on every master (NOPERM elsewhere)', async (t) => {
  const alice = storeOf('Alice');
  await alice.configure('Bob', 'secret', { lowWaterBits: 10 });
  t.is((await alice.stats('Bob', 'secret')).lowWaterBits, 10);
  const r = alice.redis;
  for (const p of pairs) {
    // the other end's pool of Alice's own pair (same master) and both ends' pools of the other pairs
    for (const [owner, peer] of [[p.b, p.a], ...(p.a === 'Alice' ? [] : [[p.a, p.b]])]) {
      await noperm(t, r.hgetall(statsKey(net, owner, peer, 'secret')), `HGETALL of ${owner}'s stats`);
      await noperm(t, r.call('FCALL', 'qn_configure', 1, statsKey(net, owner, peer, 'secret'), '5', '') as Promise<unknown>, `qn_configure on ${owner}'s pool`);
      await noperm(t, r.call('SET', `${poolPrefix(net, owner, peer, 'secret')}:f`, '1') as Promise<unknown>, `SET in ${owner}'s pool`);
    }
  }
  await noperm(t, r.call('FUNCTION', 'FLUSH') as Promise<unknown>, 'FUNCTION FLUSH');
  await noperm(t, r.call('CLUSTER', 'NODES') as Promise<unknown>, 'CLUSTER NODES');
});

test.serial('low-water events of pools on every master reach one cluster subscriber (the server\'s user)', async (t) => {
  const sub = openRedis(ha.address, { ...users.server });
  sub.on('error', () => undefined);
  conns.push(sub);
  const events: LowWaterEvent[] = [];
  await subscribeLowWater(sub, net, (e) => events.push(e));
  for (const p of pairs.slice(1)) {
    const [a, b] = [storeOf(p.a), storeOf(p.b)];
    await deposit(a, b, 'psk', blockOf(`lw-${p.a}`, 1000, 11));
    await a.configure(p.b, 'psk', { lowWaterBits: 400 });
    t.true((await a.withdraw(p.b, 'psk', 200)).lowWater);
  }
  await waitFor('both low-water events', async () => events.length >= 2, 10_000);
  t.deepEqual(events.map((e) => [e.owner, e.peer, e.kind, e.available, e.threshold]).sort(), [['Carol', 'Dave', 'psk', 300, 400], ['Erin', 'Judy', 'psk', 300, 400]]);
});

test.serial('a pool step is acknowledged only once a replica holds it', async (t) => {
  const p = pairs[2];
  const { master, replica } = await shardOf(p);
  if (!replica) throw new Error('no replica');
  const erin = storeOf(p.a, { retryMs: 1500, waitMs: 300 });
  const blk = blockOf('held-back', 256, 7);
  process.kill(replica.pid()!, 'SIGSTOP');
  let err: unknown;
  try {
    err = await erin.stage(p.b, 'secret', blk).then(() => undefined, (e: unknown) => e);
  } finally {
    process.kill(replica.pid()!, 'SIGCONT');
  }
  t.regex(String((err as Error)?.message), /^NOTREPLICATED 0 of 1/);
  // The master did execute it: the retry (same block id) is an idempotent 'already', acknowledged once the
  // replica caught up, and the replica then holds the staged block.
  t.is(await erin.stage(p.b, 'secret', blk), 'already');
  const onReplica = await withNode(replica, async (r) => { await r.call('READONLY'); return r.hget(`${poolPrefix(net, p.a, p.b, 'secret')}:b:held-back`, 'st'); });
  t.is(onReplica, 's');
  t.not(master.port, replica.port);
  await erin.abort(p.b, 'secret', blk.id);
});

test.serial('three pairs trade keys across a kill -9 of a master and a manual failover: no bit twice, none lost, both ends identical', async (t) => {
  const killed = await shardOf(pairs[0]);
  const manual = await shardOf(pairs[1]);
  if (!killed.replica || !manual.replica) throw new Error('a master without a replica');
  const promoted = killed.replica, standby = manual.replica;
  const steps: string[] = [];
  const faults = async () => {
    await new Promise((r) => setTimeout(r, 2000));
    await killed.master.kill();
    steps.push(`killed master :${killed.master.port}`);
    await waitFor('the replica taking over the killed master\'s slots', async () => (await shardOf(pairs[0])).master === promoted);
    steps.push(`replica :${promoted.port} promoted`);
    await killed.master.restart();
    await ha.waitHealthy(90_000);
    steps.push(`old master :${killed.master.port} back as a replica`);
    await withNode(standby, (r) => r.call('CLUSTER', 'FAILOVER'));
    await waitFor('the manual failover', async () => (await shardOf(pairs[1])).master === standby);
    await ha.waitHealthy(90_000);
    steps.push(`manual failover to :${standby.port}`);
    await new Promise((r) => setTimeout(r, 2000));
  };
  const report = await runPoolWorkload(pairs, (owner) => storeOf(owner), faults);
  t.log(steps.join('; '));
  t.log(`committed ${report.committedBlocks} blocks (${JSON.stringify(report.committedBits)} bits), aborted ${report.abortedBlocks}, `
    + `${report.withdrawals} withdrawals (${report.replayed} replayed from a receipt), ${report.inDoubt} operations in doubt and retried`);
  t.deepEqual(report.problems, []);
  t.true(report.committedBlocks >= 3 && report.withdrawals >= 3, 'traffic flowed');
  t.is((await shardOf(pairs[0])).master, promoted, 'the killed master\'s slots moved to its replica');
  t.is((await shardOf(pairs[1])).master, standby);
  t.is(steps.length, 4);
});
