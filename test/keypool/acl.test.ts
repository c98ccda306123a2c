// Access control with real Redis ACL users: a node reaches only its own pools, the server only statistics.
import test from 'ava';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore, readOwnerStats, listOwners } from '../../infra/keypool/store.ts';
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../../infra/keypool/acl.ts';
import { blockOf, deposit } from './helpers.ts';
import { keyIdKey } from '../../infra/keypool/names.ts';

const net = 'acl';
let srv: ManagedServer;
let users: PoolUsers;
const conns: Redis[] = [];
const stores: KeyPoolStore[] = [];

const as = (u: { username: string; password: string }) => { const r = new Redis(srv.address, { username: u.username, password: u.password, enableReadyCheck: false }); conns.push(r); return r; };
const storeOf = (node: string) => { const s = new KeyPoolStore(as(users.nodes[node]), { net, owner: node }); stores.push(s); return s; };

test.before(async () => {
  users = generatePoolUsers(net, ['Alice', 'Bob', 'Carol'], { disableDefault: true });
  srv = await startRedis({ users: users.aclLines });
});
test.after.always(async () => { for (const c of conns) c.disconnect(); await srv?.stop(); });

async function noperm(t: import('ava').ExecutionContext, p: Promise<unknown>, what: string) {
  const err = await p.then(() => undefined, (e: Error) => e);
  t.truthy(err, `${what} should be refused`);
  t.regex(String(err?.message), /NOPERM/, what);
}

test.serial('each node works on its own pools with its own user', async (t) => {
  const a = storeOf('Alice'), b = storeOf('Bob');
  await deposit(a, b, 'secret', blockOf('k1', 1024, 1));
  const w = await a.withdraw('Bob', 'secret', 256, { keyIds: ['11111111-1111-4111-8111-111111111111'] });
  const refs = await b.resolveKeyIds('Alice', 'secret', ['11111111-1111-4111-8111-111111111111']);
  t.deepEqual(refs[0], w.keys[0].refs);
  const r = await b.take('Alice', 'secret', [refs[0]!]);
  t.deepEqual(r.keys[0].bytes, w.keys[0].bytes);
  // a peer's directory entry is input from another node: a malformed one is refused, naming the key id
  await as(users.nodes.Alice).set(keyIdKey(net, 'Alice', 'Bob', 'secret', '22222222-2222-4222-8222-222222222222'), '[["k1", -5, 8]]');
  await t.throwsAsync(b.resolveKeyIds('Alice', 'secret', ['22222222-2222-4222-8222-222222222222']), { message: /RANGE key id 22222222/ });
});

test.serial("node A's credentials cannot read or write node B's pools (NOPERM)", async (t) => {
  const alice = as(users.nodes.Alice);
  await noperm(t, alice.getBuffer(`qn:${net}:pool:Bob:Alice:secret:d:k1`), 'GET of Bob\'s key data');
  await noperm(t, alice.hgetall(`qn:${net}:pool:Bob:Alice:secret:b:k1`), 'HGETALL of Bob\'s block');
  await noperm(t, alice.hgetall(`qn:${net}:stats:Bob:Alice:secret`), 'Bob\'s stats');
  await noperm(t, alice.set(`qn:${net}:pool:Bob:Alice:secret:d:k1`, 'x'), 'overwrite of Bob\'s key data');
  // Alice cannot open a store as Bob: the scripts touch Bob's keys and Redis refuses them.
  const fake = new KeyPoolStore(alice, { net, owner: 'Bob' });
  await noperm(t, fake.withdraw('Alice', 'secret', 8), 'withdraw from Bob\'s pool');
  await noperm(t, fake.stage('Carol', 'secret', blockOf('evil', 64, 2)), 'stage into Bob\'s pool');
  // a prefix-sharing name is another node
  await noperm(t, alice.get(`qn:${net}:pool:AliceX:Bob:secret:d:k1`), 'a key of node AliceX');
  // directory entries Alice published for Bob are not readable by Carol, and Alice cannot forge one as Bob
  const carol = as(users.nodes.Carol);
  await noperm(t, carol.get(`qn:${net}:ref:from=Alice:to=Bob:secret:11111111-1111-4111-8111-111111111111`), 'Carol reads Alice->Bob key ids');
  await noperm(t, alice.set(`qn:${net}:ref:from=Bob:to=Carol:secret:x`, '[]'), 'Alice forges a Bob->Carol key id');
  // no admin commands
  await noperm(t, alice.call('KEYS', '*') as Promise<unknown>, 'KEYS');
  await noperm(t, alice.call('FLUSHALL') as Promise<unknown>, 'FLUSHALL');
  await noperm(t, alice.call('ACL', 'LIST') as Promise<unknown>, 'ACL LIST');
});

test.serial("the server's credentials read statistics but no key material", async (t) => {
  const server = as(users.server);
  const owners = await listOwners(server, net);
  t.deepEqual(owners, ['Alice', 'Bob']);
  const stats = await readOwnerStats(server, net, 'Alice');
  t.is(stats[0].bitsOut, 256);
  await noperm(t, server.getBuffer(`qn:${net}:pool:Alice:Bob:secret:d:k1`), 'server GET of key data');
  await noperm(t, server.hgetall(`qn:${net}:pool:Alice:Bob:secret:b:k1`), 'server read of a block');
  await noperm(t, server.get(`qn:${net}:ref:from=Alice:to=Bob:secret:11111111-1111-4111-8111-111111111111`), 'server read of key ids');
  await noperm(t, server.hset(`qn:${net}:stats:Alice:Bob:secret`, 'am', 1e9), 'server write of stats');
  await noperm(t, server.call('EVAL', "return redis.call('GET', KEYS[1])", 1, `qn:${net}:pool:Alice:Bob:secret:d:k1`) as Promise<unknown>, 'server EVAL');
  // the server hears every node's low-water events
  const sub = as(users.server);
  const heard: string[] = [];
  sub.on('pmessage', (_p, ch) => heard.push(ch));
  await sub.psubscribe(`qn:${net}:lowwater:*`);
  const a = storeOf('Alice');
  await a.configure('Bob', 'secret', { lowWaterBits: 10_000 });
  t.true((await a.withdraw('Bob', 'secret', 8)).lowWater);
  while (heard.length === 0) await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(heard, [`qn:${net}:lowwater:Alice`]);
  // a node cannot listen to another node's events
  await noperm(t, as(users.nodes.Bob).subscribe(`qn:${net}:lowwater:Alice`), 'Bob subscribes to Alice');
});

test.serial('the default user is off and applyPoolUsers installs users on a running Redis', async (t) => {
  const anon = new Redis(srv.address, { enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  conns.push(anon);
  const err = await anon.connect().then(() => anon.ping()).catch((e: Error) => e);
  t.true(err instanceof Error && /NOAUTH|WRONGPASS|NOPERM|disabled/i.test(err.message), String(err));
  const admin = as(users.admin);
  const more = generatePoolUsers(net, ['Dave']);
  await applyPoolUsers(admin, more, ['nodes']);
  const dave = new KeyPoolStore(as(more.nodes.Dave), { net, owner: 'Dave' });
  await dave.configure('Alice', 'secret', { lowWaterBits: 10 });
  t.is((await dave.stats('Alice', 'secret')).lowWaterBits, 10);
  await noperm(t, as(more.nodes.Dave).get(`qn:${net}:pool:Alice:Bob:secret:d:k1`), 'Dave reads Alice');
});
