// Property test against a real redis-server: many concurrent clients interleave deposit, stage-then-abort,
// stages that expire, withdrawals by size on both ends, takes by reference (delayed and repeated) at random.
// Invariants: no bit is handed out twice on either end; both ends return identical bytes for the same
// references (equal to the deposited bits); after draining, every committed bit was handed out exactly once
// on each end (none lost) and staged/aborted/expired blocks contributed nothing.
import test from 'ava';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore, PoolError, type KeyBlock, type KeyRef } from '../../infra/keypool/store.ts';
import { blockOf, expectedBytes } from './helpers.ts';

let srv: ManagedServer;
test.before(async () => { srv = await startRedis(); });
test.after.always(async () => { await srv?.stop(); });

type Op =
  | { op: 'deposit'; len: number; split: number }
  | { op: 'abort'; len: number; early: boolean }
  | { op: 'expire'; len: number }
  | { op: 'withdraw'; side: 0 | 1; bits: number; count: number; deliver: boolean }
  | { op: 'deliver'; pick: number }
  | { op: 'retake'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('deposit' as const), len: fc.integer({ min: 1, max: 1500 }), split: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('abort' as const), len: fc.integer({ min: 1, max: 800 }), early: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire' as const), len: fc.integer({ min: 1, max: 800 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('withdraw' as const), side: fc.constantFrom(0 as const, 1 as const), bits: fc.integer({ min: 1, max: 700 }), count: fc.integer({ min: 1, max: 3 }), deliver: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retake' as const), pick: fc.nat() }) },
);

interface Pending { from: 0 | 1; refs: KeyRef[][]; bytes: Uint8Array[] }

test('random concurrent interleavings never hand out a bit twice, never lose a committed bit, and both ends agree', async (t) => {
  let run = 0;
  await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 14 }), { minLength: 2, maxLength: 8 }), async (programs) => {
    const net = `prop${run++}`;
    const names = ['Alice', 'Bob'] as const;
    const conns: Redis[] = [];
    const open = (owner: string) => { const r = new Redis(srv.url); conns.push(r); return new KeyPoolStore(r, { net, owner }); };
    const blocks = new Map<string, KeyBlock>();
    const committed = new Set<string>();
    const handed: [Map<string, number>, Map<string, number>] = [new Map(), new Map()]; // "block:bit" -> count
    const pending: Pending[] = [];
    const delivered: Pending[] = [];
    const problems: string[] = [];
    const hand = (side: 0 | 1, refs: KeyRef[], bytes: Uint8Array) => {
      for (const r of refs) for (let i = 0; i < r.length; i++) {
        const k = `${r.blockId}:${r.offset + i}`;
        handed[side].set(k, (handed[side].get(k) ?? 0) + 1);
      }
      const want = expectedBytes(blocks, refs);
      if (Buffer.compare(Buffer.from(want), Buffer.from(bytes)) !== 0) problems.push(`${names[side]} got wrong bytes for ${JSON.stringify(refs)}`);
    };
    const takeFor = async (s: [KeyPoolStore, KeyPoolStore], p: Pending, expectOk: boolean) => {
      const to = (1 - p.from) as 0 | 1;
      try {
        const r = await s[to].take(names[p.from], 'secret', p.refs);
        if (!expectOk) problems.push(`second take of ${JSON.stringify(p.refs)} was accepted`);
        r.keys.forEach((k, i) => {
          hand(to, k.refs, k.bytes);
          if (Buffer.compare(Buffer.from(k.bytes), Buffer.from(p.bytes[i])) !== 0) problems.push('ends disagree on a key');
        });
      } catch (e) {
        if (!(e instanceof PoolError) || expectOk || e.code !== 'TAKEN') problems.push(`take failed: ${(e as Error).message}`);
      }
    };

    await Promise.all(programs.map(async (prog, c) => {
      const s: [KeyPoolStore, KeyPoolStore] = [open('Alice'), open('Bob')];
      for (const [i, o] of prog.entries()) {
        const id = `c${c}-${i}`;
        if (o.op === 'deposit' || o.op === 'abort' || o.op === 'expire') {
          const blk = { ...blockOf(id, o.len, run * 1000 + c * 50 + i), split: o.op === 'deposit' ? Math.floor(o.split * o.len) : undefined };
          blocks.set(id, blk);
        }
        if (o.op === 'deposit') {
          await Promise.all([s[0].stage('Bob', 'secret', blocks.get(id)!), s[1].stage('Alice', 'secret', blocks.get(id)!)]);
          await s[0].commit('Bob', 'secret', id);
          await s[1].commit('Alice', 'secret', id);
          committed.add(id);
        } else if (o.op === 'abort') {
          if (o.early) await s[1].abort('Alice', 'secret', id);
          await s[0].stage('Bob', 'secret', blocks.get(id)!);
          await s[0].abort('Bob', 'secret', id);
          if (!o.early) { await s[1].stage('Alice', 'secret', blocks.get(id)!); await s[1].abort('Alice', 'secret', id); }
          else if (!(await s[1].stage('Alice', 'secret', blocks.get(id)!).then(() => false, (e) => e instanceof PoolError && e.code === 'EXISTS'))) problems.push('stage after abort accepted');
        } else if (o.op === 'expire') {
          await s[0].stage('Bob', 'secret', blocks.get(id)!, { ttlMs: 1 });
          await new Promise((r) => setTimeout(r, 3));
          const code = await s[0].commit('Bob', 'secret', id).then(() => 'ok', (e) => (e as PoolError).code);
          if (code !== 'EXPIRED') problems.push(`commit of an expired stage gave ${code}`);
        } else if (o.op === 'withdraw') {
          try {
            const w = await s[o.side].withdraw(names[1 - o.side], 'secret', o.bits, { count: o.count });
            for (const k of w.keys) hand(o.side, k.refs, k.bytes);
            const p: Pending = { from: o.side, refs: w.keys.map((k) => k.refs), bytes: w.keys.map((k) => k.bytes) };
            if (o.deliver) { await takeFor(s, p, true); delivered.push(p); } else pending.push(p);
          } catch (e) {
            if (!(e instanceof PoolError && e.code === 'SHORT')) problems.push(`withdraw failed: ${(e as Error).message}`);
          }
        } else if (o.op === 'deliver') {
          if (pending.length) { const p = pending.splice(o.pick % pending.length, 1)[0]; await takeFor(s, p, true); delivered.push(p); }
        } else if (o.op === 'retake') {
          if (delivered.length) await takeFor(s, delivered[o.pick % delivered.length], false);
        }
      }
    }));
    // Drain: deliver what is pending, then each end withdraws everything left in its lane and the peer takes it.
    const s: [KeyPoolStore, KeyPoolStore] = [open('Alice'), open('Bob')];
    for (const p of pending.splice(0)) await takeFor(s, p, true);
    for (const side of [0, 1] as const) {
      const left = (await s[side].stats(names[1 - side], 'secret')).available;
      if (left > 0) {
        const w = await s[side].withdraw(names[1 - side], 'secret', left);
        hand(side, w.keys[0].refs, w.keys[0].bytes);
        await takeFor(s, { from: side, refs: [w.keys[0].refs], bytes: [w.keys[0].bytes] }, true);
      }
    }
    const committedBits = [...committed].reduce((n, id) => n + blocks.get(id)!.length, 0);
    for (const side of [0, 1] as const) {
      const st = await s[side].stats(names[1 - side], 'secret');
      for (const [k, n] of handed[side]) if (n !== 1) problems.push(`${names[side]} handed out ${k} ${n} times`);
      for (const k of handed[side].keys()) if (!committed.has(k.slice(0, k.lastIndexOf(':')))) problems.push(`${names[side]} handed out uncommitted ${k}`);
      if (handed[side].size !== committedBits) problems.push(`${names[side]} handed out ${handed[side].size} of ${committedBits} committed bits`);
      if (st.bitsIn !== committedBits || st.available !== 0 || st.availablePeer !== 0 || st.staged !== 0 || st.blocks !== 0) problems.push(`${names[side]} stats ${JSON.stringify(st)}`);
      if (st.bitsOut + st.bitsOutRef !== committedBits) problems.push(`${names[side]} out ${st.bitsOut}+${st.bitsOutRef} != ${committedBits}`);
    }
    for (const c of conns) c.disconnect();
    if (problems.length) throw new Error(problems.slice(0, 5).join('\n'));
  }), { numRuns: 40 });
  t.pass();
});
