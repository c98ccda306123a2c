// Access control with real Redis ACL users on the locked-down private Redis (startRedis): no anonymous
// access, a node reaches only its own pools and only through the pool functions plus a few reads, no node
// runs Lua of its own, the server reads statistics but no key material, a node connects as itself whatever
// REDIS_URL carries, and users and functions survive kill -9 of Redis.
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore, readOwnerStats, listOwners } from '../../infra/keypool/store.ts';
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../../infra/keypool/acl.ts';
import { openRedis, redisAcceptsAnonymous, type RedisClient } from '../../infra/keypool/connect.ts';
import { keyIdKey, poolPrefix, statsKey } from '../../infra/keypool/names.ts';
import { LIBRARY_NAME } from '../../infra/keypool/lua.ts';
import { installPoolUsers } from '../../runtime/pool-users.ts';
import { blockOf, deposit } from './helpers.ts';

const net = 'acl';
let srv: ManagedServer;
let users: PoolUsers;
const conns: RedisClient[] = [];
const stores: KeyPoolStore[] = [];

const as = (u: { username: string; password: string }) => {
  const r = new Redis(srv.address, { username: u.username, password: u.password, enableReadyCheck: false, maxRetriesPerRequest: 2 });
  r.on('error', () => undefined);
  conns.push(r);
  return r;
};
const storeOf = (node: string) => { const s = new KeyPoolStore(as(users.nodes[node]), { net, owner: node }); stores.push(s); return s; };
const aliceBob = () => poolPrefix(net, 'Alice', 'Bob', 'secret');
const bobAlice = () => poolPrefix(net, 'Bob', 'Alice', 'secret');

test.before(async () => {
  users = generatePoolUsers(net, ['Alice', 'Bob', 'Carol']);
  srv = await startRedis({ users: users.aclLines });
});
test.after.always(async () => { for (const s of stores) await s.close(); for (const c of conns) c.disconnect(); await srv?.stop(); });

async function noperm(t: ExecutionContext, p: Promise<unknown>, what: string) {
  const err = await p.then(() => undefined, (e: Error) => e);
  t.truthy(err, `${what} should be refused`);
  t.regex(String(err?.message), /NOPERM|no permissions/, what);
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
  await noperm(t, alice.getBuffer(`${bobAlice()}:d:k1`), 'GET of Bob\'s key data');
  await noperm(t, alice.hgetall(`${bobAlice()}:b:k1`), 'HGETALL of Bob\'s block');
  await noperm(t, alice.hgetall(statsKey(net, 'Bob', 'Alice', 'secret')), 'Bob\'s stats');
  await noperm(t, alice.set(`${bobAlice()}:d:k1`, 'x'), 'overwrite of Bob\'s key data');
  // Alice cannot open a store as Bob: the functions declare Bob's keys and Redis refuses the call.
  const fake = new KeyPoolStore(alice, { net, owner: 'Bob' });
  await noperm(t, fake.withdraw('Alice', 'secret', 8), 'withdraw from Bob\'s pool');
  await noperm(t, fake.take('Alice', 'secret', [[{ blockId: 'k1', offset: 0, length: 8 }]]), 'take from Bob\'s pool');
  await noperm(t, fake.stage('Carol', 'secret', blockOf('evil', 64, 2)), 'stage into Bob\'s pool');
  await noperm(t, fake.commit('Alice', 'secret', 'k1'), 'commit in Bob\'s pool');
  await noperm(t, fake.abort('Alice', 'secret', 'k1'), 'abort in Bob\'s pool');
  // a prefix-sharing name is another node
  await noperm(t, alice.get(poolPrefix(net, 'AliceX', 'Bob', 'secret') + ':d:k1'), 'a key of node AliceX');
  // directory entries Alice published for Bob are not readable by Carol, and Alice cannot forge one as Bob
  const carol = as(users.nodes.Carol);
  await noperm(t, carol.get(keyIdKey(net, 'Alice', 'Bob', 'secret', '11111111-1111-4111-8111-111111111111')), 'Carol reads Alice->Bob key ids');
  await noperm(t, alice.set(keyIdKey(net, 'Bob', 'Carol', 'secret', 'x'), '[]'), 'Alice forges a Bob->Carol key id');
});

test.serial('a node user runs no Lua of its own and no command the pools do not need', async (t) => {
  const alice = as(users.nodes.Alice);
  const mine = `${aliceBob()}:d:k1`;
  await noperm(t, alice.call('EVAL', 'while true do end', 0) as Promise<unknown>, 'EVAL busy loop');
  await noperm(t, alice.call('EVAL', "return redis.call('GET', KEYS[1])", 1, mine) as Promise<unknown>, 'EVAL on its own key');
  await noperm(t, alice.call('EVALSHA', 'a'.repeat(40), 0) as Promise<unknown>, 'EVALSHA');
  await noperm(t, alice.call('EVAL_RO', 'return 1', 0) as Promise<unknown>, 'EVAL_RO');
  await noperm(t, alice.call('SCRIPT', 'LOAD', 'return 1') as Promise<unknown>, 'SCRIPT LOAD');
  await noperm(t, alice.call('FUNCTION', 'LOAD', '#!lua name=evil\nredis.register_function("f", function() while true do end end)') as Promise<unknown>, 'FUNCTION LOAD');
  await noperm(t, alice.call('FUNCTION', 'DELETE', LIBRARY_NAME) as Promise<unknown>, 'FUNCTION DELETE');
  for (const [cmd, ...args] of [['INFO'], ['KEYS', '*'], ['SCAN', '0'], ['FLUSHALL'], ['CONFIG', 'GET', '*'], ['ACL', 'LIST'], ['CLIENT', 'LIST'],
    ['MONITOR'], ['DUMP', mine], ['RENAME', mine, `${aliceBob()}:d:copy`], ['COPY', mine, `${aliceBob()}:d:copy`],
    ['APPEND', mine, 'x'], ['PEXPIRE', mine, '1'], ['EXPIRE', mine, '1'], ['SORT', `${aliceBob()}:q`], ['OBJECT', 'ENCODING', mine]]) {
    await noperm(t, alice.call(cmd, ...args) as Promise<unknown>, `${cmd} ${args.join(' ')}`);
  }
  // and what it needs works: its identity, the functions, its own reads
  t.is(await alice.call('ACL', 'WHOAMI'), users.nodes.Alice.username);
  t.is(await alice.ping(), 'PONG');
});

test.serial("the server's credentials read statistics but no key material", async (t) => {
  const server = as(users.server);
  const owners = await listOwners(server, net);
  t.deepEqual(owners, ['Alice', 'Bob']);
  const stats = await readOwnerStats(server, net, 'Alice');
  t.is(stats[0].bitsOut, 256);
  await noperm(t, server.getBuffer(`${aliceBob()}:d:k1`), 'server GET of key data');
  await noperm(t, server.hgetall(`${aliceBob()}:b:k1`), 'server read of a block');
  await noperm(t, server.get(keyIdKey(net, 'Alice', 'Bob', 'secret', '11111111-1111-4111-8111-111111111111')), 'server read of key ids');
  await noperm(t, server.hset(statsKey(net, 'Alice', 'Bob', 'secret'), 'am', 1e9), 'server write of stats');
  await noperm(t, server.call('EVAL', "return redis.call('GET', KEYS[1])", 1, `${aliceBob()}:d:k1`) as Promise<unknown>, 'server EVAL');
  // FCALL of a pool function on a node's pool: refused, the keys are not the server's
  await noperm(t, new KeyPoolStore(server, { net, owner: 'Alice' }).withdraw('Bob', 'secret', 8), 'server withdraws from Alice\'s pool');
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

test.serial('no anonymous access: NOAUTH without credentials, the default user is off and cannot log in', async (t) => {
  const anon = new Redis(srv.address, { enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  anon.on('error', () => undefined);
  conns.push(anon);
  await anon.connect();
  const err = await anon.ping().then(() => undefined, (e: Error) => e);
  t.regex(String(err?.message), /^NOAUTH/);
  const asDefault = await anon.call('AUTH', 'default', 'anything').then(() => 'ok', (e: Error) => e.message);
  t.regex(asDefault, /WRONGPASS|disabled/);
  t.false(await redisAcceptsAnonymous(srv.address));
  const admin = openRedis(srv.url, { allowUrlCredentials: true });
  conns.push(admin);
  const flags = await admin.call('ACL', 'GETUSER', 'default') as unknown[];
  t.true((flags[1] as string[]).includes('off'));
});

test.serial('a Redis whose default user is open: redisAcceptsAnonymous says so and the launcher refuses it unless insecure', async (t) => {
  // a Redis whose default user is on without a password, as a stock redis-server a user might point hetqn at
  const open = await startRedis({ poolLibrary: false });
  try {
    const admin = openRedis(open.url, { allowUrlCredentials: true });
    conns.push(admin);
    await admin.call('ACL', 'SETUSER', 'default', 'on', 'nopass');
    t.true(await redisAcceptsAnonymous(open.address));
    // the launcher's installation refuses it, naming the problem, unless told it is insecure
    const log: string[] = [];
    await t.throwsAsync(installPoolUsers(open.url, net, ['Alice'], (l) => log.push(l)), { message: /accepts connections without credentials.*--insecure/ });
    const users = await installPoolUsers(open.url, net, ['Alice'], (l) => log.push(l), { insecure: true });
    t.truthy(users?.nodes.Alice);
    t.true(log.some((l) => /without credentials.*\(insecure\)/.test(l)), log.join('\n'));
  } finally {
    await open.stop();
  }
});

test.serial('a REDIS_URL with the admin password still makes a node connect as its own user', async (t) => {
  const alice = users.nodes.Alice;
  t.regex(srv.url, /hetqn-admin:[0-9a-f]+@/, 'the URL carries the admin credentials');
  const store = KeyPoolStore.connect(srv.url, { net, owner: 'Alice', username: alice.username, password: alice.password });
  store.redis.on('error', () => undefined);
  stores.push(store);
  t.is(await store.redis.call('ACL', 'WHOAMI'), alice.username);
  await noperm(t, store.redis.get(`${bobAlice()}:d:k1`), 'the node\'s store reads Bob\'s data');
  // without a user of its own a node refuses to start on the admin's URL
  t.throws(() => KeyPoolStore.connect(srv.url, { net, owner: 'Alice' }), { message: /no Redis user of its own/ });
  // only an explicit opt-in runs as the URL's user
  const insecure = KeyPoolStore.connect(srv.url, { net, owner: 'Alice', allowUrlCredentials: true });
  insecure.redis.on('error', () => undefined);
  stores.push(insecure);
  t.is(await insecure.redis.call('ACL', 'WHOAMI'), 'hetqn-admin');
});

test.serial('users (also those added at run time) and the functions survive kill -9 of Redis', async (t) => {
  const admin = openRedis(srv.url, { allowUrlCredentials: true });
  conns.push(admin);
  const more = generatePoolUsers(net, ['Dave']);
  t.deepEqual(await applyPoolUsers(admin, more, ['nodes']), { persisted: true, nodes: 1 });
  const dave = new KeyPoolStore(as(more.nodes.Dave), { net, owner: 'Dave' });
  stores.push(dave);
  await dave.configure('Alice', 'secret', { lowWaterBits: 10 });
  const alice = storeOf('Alice'), bob = storeOf('Bob');
  await deposit(alice, bob, 'secret', blockOf('k2', 512, 7));
  await srv.kill();
  await srv.restart();
  // the same connections reconnect and work: users from the file, functions from the AOF
  t.is((await dave.stats('Alice', 'secret')).lowWaterBits, 10);
  const w = await alice.withdraw('Bob', 'secret', 64);
  const r = await bob.take('Alice', 'secret', [w.keys[0].refs]);
  t.deepEqual(r.keys[0].bytes, w.keys[0].bytes);
  t.is(await as(more.nodes.Dave).call('ACL', 'WHOAMI'), more.nodes.Dave.username);
  await noperm(t, as(more.nodes.Dave).get(`${aliceBob()}:d:k1`), 'Dave reads Alice');
  const libs = await admin.call('FUNCTION', 'LIST', 'LIBRARYNAME', LIBRARY_NAME) as unknown[][];
  t.is(libs.length, 1);
});
