// The key-pool actor: with injected fake services (no Redis) for queueing/replies/low-water, and with
// the real store behind it for one stage -> commit -> withdraw -> take round between two nodes.
import test from 'ava';
import { Redis } from 'ioredis';
import { createActor, fromPromise, waitFor, type Actor } from 'xstate';
import { keyPoolMachine, KeyMaterial, type BlockIn, type KeyPoolEmitted, type WithdrawIn, type WithdrawOut } from '../../actors/node/key-pool.ts';
import { keyPoolActors } from '../../infra/keypool/actors.ts';
import { KeyPoolStore, PoolError } from '../../infra/keypool/store.ts';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { blockOf } from './helpers.ts';
import type { PoolKind } from '../../protocols/types.ts';

function collect(actor: Actor<typeof keyPoolMachine>) {
  const out: KeyPoolEmitted[] = [];
  actor.on('*', (e) => out.push(e as KeyPoolEmitted));
  return out;
}
const until = async (f: () => boolean) => { while (!f()) await new Promise((r) => setTimeout(r, 2)); };

test('requests run one at a time in arrival order; results, failures, replies and low-water are emitted', async (t) => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const replies: unknown[] = [];
  const machine = keyPoolMachine.provide({
    actors: {
      'pool.commit': fromPromise<'committed' | 'already', BlockIn>(async ({ input }) => { log.push(`commit ${input.blockId}`); await gate; return 'committed'; }),
      'pool.withdraw': fromPromise(async ({ input }: { input: WithdrawIn }): Promise<WithdrawOut> => {
        log.push(`withdraw ${input.bits}`);
        return { keys: [], available: 10, lowWater: true, replayed: false, requestId: input.requestId ?? 'none' };
      }),
      'pool.abort': fromPromise<'aborted' | 'already', BlockIn>(async () => { log.push('abort'); throw new PoolError('COMMITTED', 'COMMITTED block b1 cannot be aborted'); }),
    },
    actions: { 'bus.reply': (_: unknown, p: { meta: unknown; type: string; body: unknown }) => { replies.push(p); } },
  });
  const actor = createActor(machine, { input: { owner: 'Alice', sweepMs: 3_600_000 } });
  const out = collect(actor);
  actor.start();
  actor.send({ type: 'pool.commit', body: { peer: 'Bob', kind: 'secret', blockId: 'b1' } });
  actor.send({ type: 'pool.withdraw', body: { peer: 'Bob', kind: 'secret', bits: 256, requestId: 'w-1' }, meta: { replyTo: '_INBOX.1', id: 'm1' } });
  actor.send({ type: 'pool.abort', body: { peer: 'Bob', kind: 'secret', blockId: 'b1' } });
  await until(() => log.length >= 1);
  t.deepEqual(log, ['commit b1']);
  t.is(actor.getSnapshot().context.queue.length, 3);
  t.deepEqual(actor.getSnapshot().value, { worker: 'commit', sweeper: 'waiting' });
  release();
  await until(() => out.length >= 4);
  t.deepEqual(log, ['commit b1', 'withdraw 256', 'abort']);
  t.deepEqual(out.map((e) => e.type), ['pool.done', 'pool.done', 'pool.lowWater', 'pool.failed']);
  t.like(out[1], { op: 'withdraw', requestId: 'w-1', peer: 'Bob', kind: 'secret' });
  t.deepEqual(out[2], { type: 'pool.lowWater', peer: 'Bob', kind: 'secret', available: 10 });
  t.like(out[3], { op: 'abort', code: 'COMMITTED' });
  t.is(replies.length, 1);
  t.like(replies[0] as object, { type: 'pool.done', meta: { replyTo: '_INBOX.1' } });
  await waitFor(actor, (s) => s.matches({ worker: 'idle' }) && s.context.queue.length === 0);
  t.like(actor.getSnapshot().context, { done: 2, failed: 1 });
  actor.stop();
});

test('the periodic sweep asks the store to expire stale stages of every pool seen', async (t) => {
  const swept: string[] = [];
  const machine = keyPoolMachine.provide({
    actors: {
      'pool.stats': fromPromise<object, { peer: string; kind: PoolKind }>(async () => ({})),
      'pool.sweep': fromPromise<{ expiredStages: number; expiredKeyBits: number }, { peer: string; kind: PoolKind }>(async ({ input }) => { swept.push(`${input.peer}:${input.kind}`); return { expiredStages: 0, expiredKeyBits: 0 }; }),
    },
  });
  const actor = createActor(machine, { input: { owner: 'Alice', sweepMs: 20 } }).start();
  actor.send({ type: 'pool.stats', body: { peer: 'Bob', kind: 'secret' } });
  actor.send({ type: 'pool.stats', body: { peer: 'Carol', kind: 'psk' } });
  await until(() => swept.length >= 4);
  t.deepEqual(swept.slice(0, 2), ['Bob:secret', 'Carol:psk']);
  actor.stop();
});

test('with the real store: two nodes stage, commit, withdraw by size and take by reference through their actors', async (t) => {
  const srv: ManagedServer = await startRedis();
  const conns = [new Redis(srv.url), new Redis(srv.url)];
  try {
    const sa = new KeyPoolStore(conns[0], { net: 'm', owner: 'Alice' }), sb = new KeyPoolStore(conns[1], { net: 'm', owner: 'Bob' });
    const a = createActor(keyPoolMachine.provide({ actors: keyPoolActors(sa) }), { input: { owner: 'Alice' } }).start();
    const b = createActor(keyPoolMachine.provide({ actors: keyPoolActors(sb) }), { input: { owner: 'Bob' } }).start();
    const oa = collect(a), ob = collect(b);
    const blk = blockOf('sess-1', 2048, 7);
    a.send({ type: 'pool.stage', body: { peer: 'Bob', kind: 'secret', block: blk } });
    b.send({ type: 'pool.stage', body: { peer: 'Alice', kind: 'secret', block: blk } });
    a.send({ type: 'pool.commit', body: { peer: 'Bob', kind: 'secret', blockId: 'sess-1' } });
    b.send({ type: 'pool.commit', body: { peer: 'Alice', kind: 'secret', blockId: 'sess-1' } });
    a.send({ type: 'pool.withdraw', body: { peer: 'Bob', kind: 'secret', bits: 256, count: 2 } });
    await until(() => oa.length >= 3 && ob.length >= 2);
    const w = (oa[2] as Extract<KeyPoolEmitted, { type: 'pool.done' }>).result as WithdrawOut;
    t.true(w.keys[0].key instanceof KeyMaterial);
    t.false(JSON.stringify(oa[2]).includes(Buffer.from(w.keys[0].key.bytes).toString('base64')), 'key bytes stay out of JSON');
    b.send({ type: 'pool.take', body: { peer: 'Alice', kind: 'secret', keys: w.keys.map((k) => k.refs) } });
    await until(() => ob.length >= 3);
    const r = (ob[2] as Extract<KeyPoolEmitted, { type: 'pool.done' }>).result as WithdrawOut;
    t.deepEqual(r.keys.map((k) => k.key.bytes), w.keys.map((k) => k.key.bytes));
    b.send({ type: 'pool.take', body: { peer: 'Alice', kind: 'secret', keys: [w.keys[0].refs] } });
    await until(() => ob.length >= 4);
    t.like(ob[3], { type: 'pool.failed', code: 'TAKEN' });
    // a restarted actor (its counter starts again) gets fresh bits, not an earlier request's receipt
    a.stop();
    const a2 = createActor(keyPoolMachine.provide({ actors: keyPoolActors(sa) }), { input: { owner: 'Alice' } }).start();
    const oa2 = collect(a2);
    a2.send({ type: 'pool.withdraw', body: { peer: 'Bob', kind: 'secret', bits: 256, count: 2 } });
    await until(() => oa2.length >= 1);
    const w2 = (oa2[0] as Extract<KeyPoolEmitted, { type: 'pool.done' }>).result as WithdrawOut;
    t.deepEqual(w2.keys.map((k) => k.refs[0].offset), [512, 768]);
    t.false(w2.replayed);
    a2.stop(); b.stop();
  } finally {
    for (const c of conns) c.disconnect();
    await srv.stop();
  }
});
