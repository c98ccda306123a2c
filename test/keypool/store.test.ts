// Key-pool store semantics against a real redis-server: staging, commit, abort, expiry, withdrawal by size
// and by reference, refusal of a second take, low-water events, receipts and statistics.
import test from 'ava';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore, PoolError } from '../../infra/keypool/store.ts';
import { lowWaterChannel, poolPrefix } from '../../infra/keypool/names.ts';
import { subscribeLowWater } from '../../infra/keypool/events.ts';
import { blockOf, deposit, expectedBytes } from './helpers.ts';

let srv: ManagedServer;
const stores: KeyPoolStore[] = [];
let netCounter = 0;
test.before(async () => { srv = await startRedis(); });
test.after.always(async () => { for (const s of stores) await s.close(); await srv?.stop(); });

function pair(opts: { stageTtlMs?: number } = {}) {
  const net = `n${netCounter++}`;
  const a = new KeyPoolStore(new Redis(srv.url), { net, owner: 'Alice', ...opts }, true);
  const b = new KeyPoolStore(new Redis(srv.url), { net, owner: 'Bob', ...opts }, true);
  stores.push(a, b);
  return { a, b, net };
}

async function code(p: Promise<unknown>): Promise<string> {
  try { await p; return 'ok'; } catch (e) { return e instanceof PoolError ? e.code : `other: ${(e as Error).message}`; }
}

test('both ends withdraw the same bits: by size on one, by reference on the other, spanning blocks', async (t) => {
  const { a, b } = pair();
  const blocks = new Map([blockOf('s1', 1000, 1), blockOf('s2', 999, 2)].map((x) => [x.id, x]));
  for (const blk of blocks.values()) await deposit(a, b, 'secret', blk);
  // Alice < Bob: Alice's lane is [0, 500) of s1 and [0, 499) of s2.
  const w = await a.withdraw('Bob', 'secret', 300, { count: 2 });
  t.deepEqual(w.keys.map((k) => k.refs), [
    [{ blockId: 's1', offset: 0, length: 300 }],
    [{ blockId: 's1', offset: 300, length: 200 }, { blockId: 's2', offset: 0, length: 100 }],
  ]);
  for (const k of w.keys) t.deepEqual(k.bytes, expectedBytes(blocks, k.refs));
  const r = await b.take('Alice', 'secret', w.keys.map((k) => k.refs));
  t.deepEqual(r.keys.map((k) => k.bytes), w.keys.map((k) => k.bytes));
  t.is(w.available, 500 + 499 - 600); // Alice's lane holds 500 + 499 bits
  // Bob withdraws from his lane (upper halves), Alice takes by reference.
  const wb = await b.withdraw('Alice', 'secret', 600);
  t.deepEqual(wb.keys[0].refs, [{ blockId: 's1', offset: 500, length: 500 }, { blockId: 's2', offset: 499, length: 100 }]);
  const rb = await a.take('Bob', 'secret', [wb.keys[0].refs]);
  t.deepEqual(rb.keys[0].bytes, expectedBytes(blocks, wb.keys[0].refs));
});

test('a second take of the same range is refused and takes nothing; the initiator lane cannot be taken by reference', async (t) => {
  const { a, b } = pair();
  await deposit(a, b, 'secret', blockOf('x', 512, 3));
  const w = await a.withdraw('Bob', 'secret', 64);
  await b.take('Alice', 'secret', [w.keys[0].refs]);
  t.is(await code(b.take('Alice', 'secret', [w.keys[0].refs])), 'TAKEN');
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'x', offset: 32, length: 64 }]])), 'TAKEN');
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'x', offset: 300, length: 8 }]])), 'LANE');
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'nope', offset: 0, length: 8 }]])), 'NOSUCH');
  // all-or-nothing: a request whose second range is bad leaves the first untaken
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'x', offset: 64, length: 8 }], [{ blockId: 'x', offset: 0, length: 8 }]])), 'TAKEN');
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'x', offset: 64, length: 8 }]])), 'ok');
  t.is((await b.stats('Alice', 'secret')).bitsOutRef, 72);
});

test('staged blocks are unusable; abort and expiry make them never usable', async (t) => {
  const { a, b } = pair({ stageTtlMs: 50 });
  const blk = blockOf('st', 256, 4);
  await a.stage('Bob', 'secret', blk);
  t.is(await code(a.withdraw('Bob', 'secret', 8)), 'SHORT');
  t.is(await a.stage('Bob', 'secret', blk), 'already');
  t.is(await a.abort('Bob', 'secret', 'st'), 'aborted');
  t.is(await code(a.commit('Bob', 'secret', 'st')), 'ABORTED');
  t.is(await code(a.stage('Bob', 'secret', blk)), 'EXISTS');
  // abort before the stage arrives pre-empts it
  t.is(await b.abort('Alice', 'secret', 'late'), 'aborted');
  t.is(await code(b.stage('Alice', 'secret', blockOf('late', 64, 5))), 'EXISTS');
  // expiry: a stage that waits past its deadline cannot be committed
  await a.stage('Bob', 'secret', blockOf('slow', 64, 6));
  await new Promise((r) => setTimeout(r, 120));
  t.is(await code(a.commit('Bob', 'secret', 'slow')), 'EXPIRED');
  const s = await a.stats('Bob', 'secret');
  t.is(s.staged, 0);
  t.is(s.aborted, 256);
  t.is(s.expiredStaged, 64);
  t.is(s.available, 0);
  // sweep expires stale stages without a commit attempt
  await a.stage('Bob', 'secret', blockOf('slow2', 64, 7));
  await new Promise((r) => setTimeout(r, 120));
  t.deepEqual(await a.sweep('Bob', 'secret'), { expiredStages: 1, expiredKeyBits: 0 });
  t.is(await code(a.commit('Bob', 'secret', 'slow2')), 'EXPIRED');
  // committed blocks cannot be aborted and commits are idempotent
  await deposit(a, b, 'secret', blockOf('ok', 64, 8));
  t.is(await a.commit('Bob', 'secret', 'ok'), 'already');
  t.is(await code(a.abort('Bob', 'secret', 'ok')), 'COMMITTED');
});

test('withdrawal is all-or-nothing when the pool is short, and pools of different kinds are separate', async (t) => {
  const { a, b } = pair();
  await deposit(a, b, 'imperfect', blockOf('i1', 200, 9));
  const err = await a.withdraw('Bob', 'secret', 8).catch((e) => e);
  t.true(err instanceof PoolError && err.code === 'SHORT' && err.available === 0);
  const short = await a.withdraw('Bob', 'imperfect', 60, { count: 2 }).catch((e) => e);
  t.true(short instanceof PoolError && short.code === 'SHORT' && short.available === 100);
  t.is((await a.withdraw('Bob', 'imperfect', 50, { count: 2 })).available, 0);
});

test('a retried request id returns the same bits and consumes nothing more', async (t) => {
  const { a, b } = pair();
  await deposit(a, b, 'psk', blockOf('p', 1024, 10));
  const w1 = await a.withdraw('Bob', 'psk', 128, { requestId: 'req-1' });
  const w2 = await a.withdraw('Bob', 'psk', 128, { requestId: 'req-1' });
  t.false(w1.replayed);
  t.true(w2.replayed);
  t.deepEqual(w2.keys, w1.keys);
  t.is((await a.stats('Bob', 'psk')).bitsOut, 128);
  const t1 = await b.take('Alice', 'psk', [w1.keys[0].refs], { requestId: 'tk-1' });
  const t2 = await b.take('Alice', 'psk', [w1.keys[0].refs], { requestId: 'tk-1' });
  t.true(t2.replayed);
  t.deepEqual(t2.keys, t1.keys);
});

test('consumed bits are zeroed in Redis and a fully consumed block is deleted', async (t) => {
  const { a, b, net } = pair();
  const blk = blockOf('z', 40, 11);
  await deposit(a, b, 'secret', blk);
  const raw = new Redis(srv.url);
  const P = poolPrefix(net, 'Alice', 'Bob', 'secret');
  const dataKey = `${P}:d:z`;
  const w = await a.withdraw('Bob', 'secret', 13);
  const data = await raw.getBuffer(dataKey);
  t.is(data![0], 0);
  t.is(data![1] & 0x1f, 0);
  t.is(data![1] >> 5, blk.bytes[1] >> 5);
  await a.withdraw('Bob', 'secret', 7);
  const rb = await b.withdraw('Alice', 'secret', 20);
  await a.take('Bob', 'secret', [rb.keys[0].refs]);
  t.is(await raw.exists(dataKey), 0);
  t.is(await raw.hget(`${P}:b:z`, 'st'), 'x');
  t.is((await a.stats('Bob', 'secret')).blocks, 0);
  t.is(await code(a.stage('Bob', 'secret', blk)), 'EXISTS');
  t.truthy(w);
  await raw.quit();
});

test('low-water: the withdrawal that crosses the threshold says so and publishes one event; refill re-arms it', async (t) => {
  const { a, b, net } = pair();
  await a.configure('Bob', 'secret', { lowWaterBits: 300 });
  await deposit(a, b, 'secret', blockOf('l1', 1000, 12)); // 500 bits in Alice's lane
  const sub = new Redis(srv.url);
  const events: unknown[] = [];
  const invalid: string[] = [];
  await subscribeLowWater(sub, net, (e) => events.push(e), { owner: 'Alice', onInvalid: (r) => invalid.push(r) });
  const pub = new Redis(srv.url);
  await pub.publish(lowWaterChannel(net, 'Alice'), JSON.stringify({ owner: 'Alice', peer: 'Bob', kind: 'secret', available: -1, threshold: 3 }));
  await pub.quit();
  t.false((await a.withdraw('Bob', 'secret', 100)).lowWater);
  t.true((await a.withdraw('Bob', 'secret', 150)).lowWater);
  t.false((await a.withdraw('Bob', 'secret', 50)).lowWater);
  await deposit(a, b, 'secret', blockOf('l2', 1000, 13));
  t.false((await a.stats('Bob', 'secret')).belowLowWater);
  t.true((await a.withdraw('Bob', 'secret', 600)).lowWater);
  while (events.length < 2) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(events, [
    { owner: 'Alice', peer: 'Bob', kind: 'secret', available: 250, threshold: 300 },
    { owner: 'Alice', peer: 'Bob', kind: 'secret', available: 100, threshold: 300 },
  ]);
  t.deepEqual(invalid, ['low-water message: available: Number must be greater than or equal to 0']);
  await sub.quit();
});

test('key expiry destroys old committed blocks on both lanes', async (t) => {
  const { a, b } = pair();
  await a.configure('Bob', 'secret', { keyTtlMs: 60_000 });
  await deposit(a, b, 'secret', blockOf('old', 256, 14, Date.now() - 120_000));
  await deposit(a, b, 'secret', blockOf('new', 256, 15));
  const w = await a.withdraw('Bob', 'secret', 64);
  t.is(w.keys[0].refs[0].blockId, 'new');
  const s = await a.stats('Bob', 'secret');
  t.is(s.expiredKeys, 256);
  t.is(s.available, 64);
  t.is(s.availablePeer, 128);
  await b.configure('Alice', 'secret', { keyTtlMs: 60_000 });
  t.is(await code(b.take('Alice', 'secret', [[{ blockId: 'old', offset: 0, length: 8 }]])), 'EXPIRED');
});

test('statistics and the pool list report levels and consumption without key material', async (t) => {
  const { a, b } = pair();
  await deposit(a, b, 'secret', blockOf('s', 2048, 16));
  await deposit(a, b, 'psk', blockOf('p', 512, 17));
  const w = await a.withdraw('Bob', 'secret', 256, { count: 2 });
  await b.take('Alice', 'secret', w.keys.map((k) => k.refs));
  const list = await a.listStats();
  t.deepEqual(list.map((s) => [s.peer, s.kind, s.bitsIn, s.available, s.availablePeer, s.bitsOut, s.withdrawals]),
    [['Bob', 'psk', 512, 256, 256, 0, 0], ['Bob', 'secret', 2048, 512, 1024, 512, 2]]);
  const sb = await b.stats('Alice', 'secret');
  t.is(sb.bitsOutRef, 512);
  t.is(sb.availablePeer, 512);
  t.true(sb.fillRateBps > 0);
});

test('block info: state, metadata and what is left, never key bits', async (t) => {
  const { a, b } = pair();
  const blk = blockOf('info', 100, 19, 1_700_000_000_000);
  await a.stage('Bob', 'secret', blk);
  t.like(await a.block('Bob', 'secret', 'info'), { state: 'staged', length: 100, createdAt: 1_700_000_000_000, sessionId: 'info', meta: { protocol: 'test', qber: 0.01, eps: 1e-10 } });
  await b.stage('Alice', 'secret', blk);
  await a.commit('Bob', 'secret', 'info');
  await a.withdraw('Bob', 'secret', 20);
  t.like(await a.block('Bob', 'secret', 'info'), { state: 'committed', availableOwn: 30, availablePeer: 50 });
  await b.abort('Alice', 'secret', 'info');
  t.deepEqual(await b.block('Alice', 'secret', 'info'), { id: 'info', state: 'aborted' });
  t.is(await a.block('Bob', 'secret', 'nothing'), undefined);
});

test('committed blocks: the session and bits left of each block with key, oldest first; staged and consumed ones are not listed', async (t) => {
  const { a, b } = pair();
  await deposit(a, b, 'secret', blockOf('old', 64, 21, 1_700_000_000_000));
  await deposit(a, b, 'secret', blockOf('new', 64, 22, 1_700_000_001_000));
  await a.stage('Bob', 'secret', blockOf('pending', 64, 23));
  await a.withdraw('Bob', 'secret', 40); // all of old's lane (32) and 8 of new's
  t.deepEqual((await a.committedBlocks('Bob', 'secret')).map((x) => [x.id, x.sessionId, x.availableOwn, x.availablePeer]), [['old', 'old', 0, 32], ['new', 'new', 24, 32]]);
  const w = await b.withdraw('Alice', 'secret', 32); // Bob's lane of old
  await a.take('Bob', 'secret', [w.keys[0]!.refs]);
  t.deepEqual((await a.committedBlocks('Bob', 'secret')).map((x) => x.id), ['new']);
  t.deepEqual(await a.committedBlocks('Bob', 'imperfect'), []);
});

test('stage validates its input and names the field', async (t) => {
  const { a } = pair();
  const blk = blockOf('v', 64, 18);
  await t.throwsAsync(a.stage('Bob', 'secret', { ...blk, length: 65 }), { message: /block\.bytes/ });
  await t.throwsAsync(a.stage('Bob', 'secret', { ...blk, id: 'bad id' }), { message: /blockId/ });
  await t.throwsAsync(a.stage('Bob', 'secret', { ...blk, split: 99 }), { message: /block\.split/ });
  await t.throwsAsync(a.stage('B*', 'secret', blk), { message: /peer/ });
  await t.throwsAsync(a.withdraw('Bob', 'secret', 0), { message: /bits/ });
});
