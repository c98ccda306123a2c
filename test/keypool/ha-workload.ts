// Concurrent pool traffic for the failover tests (Redis Cluster, Sentinel): per pair of nodes, a depositor
// stages and commits blocks on both ends (every fifth one is staged and then explicitly aborted), and one
// worker per end withdraws keys by size and has the other end take them by reference, while `faults` fails
// Redis over. An operation that fails without an answer from the pool is in doubt and retried with the same
// block id or request id, as a node would. Then each lane is drained, and the invariants of property.test.ts
// and faults.test.ts are checked: no bit handed out twice on either end, every committed bit handed out once
// on each end (none lost), nothing from an aborted block, both ends' bytes identical and equal to the
// deposited bits, and each end's statistics agree (bits in = committed bits, nothing staged or left).
import type { KeyBlock, KeyPoolStore, KeyRef, WithdrawResult } from '../../infra/keypool/store.ts';
import { PoolError } from '../../infra/keypool/store.ts';
import { blockOf, expectedBytes } from './helpers.ts';

export interface Pair { a: string; b: string }

export interface WorkloadReport {
  problems: string[];
  committedBlocks: number; abortedBlocks: number; withdrawals: number; replayed: number; inDoubt: number;
  /** Committed bits per pair `a|b`. */
  committedBits: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runPoolWorkload(pairs: Pair[], open: (owner: string) => KeyPoolStore, faults: () => Promise<void>,
  opts: { afterFaultsMs?: number; inDoubtLimitMs?: number } = {}): Promise<WorkloadReport> {
  const blocks = new Map<string, KeyBlock>();
  const committed = new Set<string>(), aborted = new Set<string>();
  const handed = new Map<string, Map<string, number>>(); // "owner>peer" -> "block:bit" -> times
  const problems: string[] = [];
  let withdrawals = 0, replayed = 0, inDoubt = 0, stop = false;
  const limit = opts.inDoubtLimitMs ?? 120_000;

  /** Retry an operation until the pool answers (a PoolError is an answer too). */
  const persist = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    for (let i = 0; ; i++) {
      try { return await f(); } catch (e) {
        if (e instanceof PoolError) throw e;
        if (i === 0) inDoubt++;
        if (Date.now() - start > limit) throw new Error(`${what}: no answer within ${limit} ms: ${(e as Error).message}`);
        await sleep(100);
      }
    }
  };
  const hand = (owner: string, peer: string, refs: KeyRef[], bytes: Uint8Array) => {
    const m = handed.get(`${owner}>${peer}`) ?? new Map<string, number>();
    handed.set(`${owner}>${peer}`, m);
    for (const r of refs) for (let i = 0; i < r.length; i++) { const k = `${r.blockId}:${r.offset + i}`; m.set(k, (m.get(k) ?? 0) + 1); }
    if (Buffer.compare(Buffer.from(bytes), Buffer.from(expectedBytes(blocks, refs))) !== 0) problems.push(`${owner} got wrong bytes for ${JSON.stringify(refs)}`);
  };

  const depositor = async ({ a, b }: Pair, seed: number) => {
    const [sa, sb] = [open(a), open(b)];
    for (let i = 0; !stop; i++) {
      const blk = blockOf(`${a}${b}-${i}`, 512 + 37 * (i % 20), seed + i);
      blocks.set(blk.id, blk);
      await Promise.all([persist(`stage ${blk.id}`, () => sa.stage(b, 'secret', blk)), persist(`stage ${blk.id}`, () => sb.stage(a, 'secret', blk))]);
      if (i % 5 === 4) {
        await Promise.all([persist(`abort ${blk.id}`, () => sa.abort(b, 'secret', blk.id)), persist(`abort ${blk.id}`, () => sb.abort(a, 'secret', blk.id))]);
        aborted.add(blk.id);
      } else {
        await persist(`commit ${blk.id}`, () => sa.commit(b, 'secret', blk.id));
        await persist(`commit ${blk.id}`, () => sb.commit(a, 'secret', blk.id));
        committed.add(blk.id);
      }
      await sleep(100);
    }
  };

  const moveKey = async (from: KeyPoolStore, to: KeyPoolStore, bits: number, count: number, rid: string): Promise<boolean> => {
    let w: WithdrawResult;
    try { w = await persist(`withdraw ${rid}`, () => from.withdraw(to.owner, 'secret', bits, { requestId: rid, count })); } catch (e) {
      if (e instanceof PoolError && e.code === 'SHORT') return false;
      throw e;
    }
    withdrawals++;
    if (w.replayed) replayed++;
    w.keys.forEach((k) => hand(from.owner, to.owner, k.refs, k.bytes));
    const t = await persist(`take ${rid}`, () => to.take(from.owner, 'secret', w.keys.map((k) => k.refs), { requestId: `t-${rid}` }));
    t.keys.forEach((k, j) => {
      hand(to.owner, from.owner, k.refs, k.bytes);
      if (Buffer.compare(Buffer.from(k.bytes), Buffer.from(w.keys[j].bytes)) !== 0) problems.push(`${from.owner} and ${to.owner} disagree on ${rid}`);
    });
    return true;
  };

  const consumer = async (owner: string, peer: string) => {
    const [s, p] = [open(owner), open(peer)];
    for (let i = 0; !stop; i++) {
      if (!(await moveKey(s, p, 100 + (i % 7) * 30, 1 + (i % 3), `${owner}-${peer}-${i}`))) await sleep(20);
    }
  };

  const fail = (e: unknown) => { problems.push(`worker: ${(e as Error).message}`); };
  const workers = pairs.flatMap((pr, n) => [depositor(pr, 1000 * n).catch(fail), consumer(pr.a, pr.b).catch(fail), consumer(pr.b, pr.a).catch(fail)]);
  try {
    await faults();
    await sleep(opts.afterFaultsMs ?? 500);
  } finally {
    stop = true;
    await Promise.all(workers);
  }

  // Drain: each end withdraws what is left in its lane and the other takes it.
  const committedBits: Record<string, number> = {};
  for (const { a, b } of pairs) {
    const [sa, sb] = [open(a), open(b)];
    for (const [s, p] of [[sa, sb], [sb, sa]] as const) {
      const left = (await persist('stats', () => s.stats(p.owner, 'secret'))).available;
      if (left > 0 && !(await moveKey(s, p, left, 1, `drain-${s.owner}-${p.owner}`))) problems.push(`drain of ${s.owner}>${p.owner}: SHORT`);
    }
    const ids = [...committed].filter((id) => id.startsWith(`${a}${b}-`));
    const bits = ids.reduce((n, id) => n + blocks.get(id)!.length, 0);
    committedBits[`${a}|${b}`] = bits;
    for (const [s, p] of [[sa, sb], [sb, sa]] as const) {
      const m = handed.get(`${s.owner}>${p.owner}`) ?? new Map<string, number>();
      const twice = [...m].filter(([, n]) => n !== 1);
      if (twice.length) problems.push(`${s.owner} handed out ${twice.length} bit(s) more than once, e.g. ${twice[0][0]} ${twice[0][1]} times`);
      const foreign = [...m.keys()].filter((k) => !committed.has(k.slice(0, k.lastIndexOf(':'))));
      if (foreign.length) problems.push(`${s.owner} handed out ${foreign.length} bit(s) of uncommitted blocks, e.g. ${foreign[0]}`);
      if (m.size !== bits) problems.push(`${s.owner} handed out ${m.size} of the ${bits} committed bits with ${p.owner}`);
      const st = await persist('stats', () => s.stats(p.owner, 'secret'));
      if (st.bitsIn !== bits || st.bitsOut + st.bitsOutRef !== bits || st.available !== 0 || st.availablePeer !== 0 || st.staged !== 0 || st.blocks !== 0) {
        problems.push(`${s.owner}>${p.owner} stats ${JSON.stringify({ in: st.bitsIn, out: st.bitsOut, outRef: st.bitsOutRef, avail: st.available, peer: st.availablePeer, staged: st.staged, blocks: st.blocks })}, committed ${bits}`);
      }
    }
  }
  return { problems, committedBlocks: committed.size, abortedBlocks: aborted.size, withdrawals, replayed, inDoubt, committedBits };
}
