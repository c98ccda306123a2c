// The party worker pool (runtime/processes/party-worker-pool.ts) on its own: a party that fails, a
// worker that crashes or exits, a worker stuck in a synchronous step and then aborted. None of it
// may reach the calling process; every run rejects with the cause, and abort ends the thread.
import test from 'ava';
import { PartyWorkerPool, type PartyServices } from '../../runtime/processes/party-worker-pool.ts';
import { detached, movable } from '../../runtime/processes/party-worker-messages.ts';
import type { SessionStart } from '../../actors/sessions/session.messages.ts';
import { waitUntil } from './helpers.ts';

const faulty = new URL('./fixtures/faulty-party-worker.ts', import.meta.url);
const start = (protocol: string) => ({ sessionId: `s-${protocol}`, protocol, role: 'source', peer: 'Bob', node: 'Alice' }) as unknown as SessionStart;
// Nothing here reaches the I/O: any call is a test failure.
const noIo: PartyServices = {
  channelTo: () => { throw new Error('unexpected channelTo'); },
  authKeyBits: async () => { throw new Error('unexpected authKeyBits'); },
  stage: async () => { throw new Error('unexpected stage'); },
};

const pools: PartyWorkerPool[] = [];
test.after.always(async () => { for (const p of pools) await p.close(); });

test('a party that fails in the real worker rejects with its message; the worker is retired and the pool still serves', async (t) => {
  const pool = new PartyWorkerPool();
  pools.push(pool);
  const err = await t.throwsAsync(pool.run(start('nope'), [], noIo, new AbortController().signal));
  t.regex(err!.message, /unknown session protocol "nope"/);
  const again = await t.throwsAsync(pool.run(start('nope2'), [], noIo, new AbortController().signal));
  t.regex(again!.message, /unknown session protocol "nope2"/);
  await waitUntil(() => pool.threads() === 0, 'failed workers to exit');
});

for (const [what, msg] of [['throw', /party worker crashed: boom in the party worker/], ['exit', /party worker exited \(code 7\)/]] as const) {
  test(`a worker that ${what}s rejects the run with the cause, never the process`, async (t) => {
    const pool = new PartyWorkerPool(faulty);
    pools.push(pool);
    const err = await t.throwsAsync(pool.run(start(what), [], noIo, new AbortController().signal));
    t.regex(err!.message, msg);
    await waitUntil(() => pool.threads() === 0, 'the worker to be gone');
  });
}

test('abort terminates a worker stuck in a synchronous step', async (t) => {
  const pool = new PartyWorkerPool(faulty);
  pools.push(pool);
  pool.warm();
  const ac = new AbortController();
  const run = pool.run(start('spin'), [], noIo, ac.signal);
  // Let it boot and enter the endless loop, then abort.
  setTimeout(() => ac.abort(), 1500);
  const err = await t.throwsAsync(run);
  t.regex(err!.message, /session aborted/);
  await waitUntil(() => pool.threads() === 0, 'the spinning worker to be terminated');
});

test('a message viewing part of a large buffer goes out as its own copy of the viewed bytes', (t) => {
  const big = new Uint32Array(1 << 20).map((_, i) => i);
  const msg = { type: 'cascade.reply', count: 3, parities: big.subarray(5, 8), nested: [{ bits: new Uint8Array(big.buffer, 4, 4) }] };
  const own = detached(msg);
  t.deepEqual([...own.parities], [5, 6, 7]);
  t.is(own.parities.buffer.byteLength, 12);
  t.deepEqual([...own.nested[0]!.bits], [1, 0, 0, 0]);
  t.not(own.nested[0]!.bits.buffer, big.buffer);
  // The sender's buffer stays usable (nothing moved from it).
  t.is(big.buffer.byteLength, 4 << 20);
  t.deepEqual(movable(msg), [big.buffer]);
});

test('an unused spare worker ends after its idle time', async (t) => {
  const pool = new PartyWorkerPool(undefined, 300);
  pools.push(pool);
  pool.warm();
  t.is(pool.threads(), 1);
  await waitUntil(() => pool.threads() === 0, 'the idle spare to end');
  t.pass();
});
