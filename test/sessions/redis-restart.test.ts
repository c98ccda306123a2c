// Redis killed with SIGKILL and restarted on its AOF under a running network (one process per node, real
// nats-server + redis-server): every process reconnects by itself (nodes as their own ACL users, the
// server as its decision user), the next session commits, and the pools keep their invariants: both
// ends hold the same committed bits, the key of a session committed before the crash is still there and
// identical at both ends, and a range taken once is refused a second time.
import test from 'ava';
import { startEnv, stopEnv, qkd, store, sameKeyBothEnds, type Env } from './helpers.ts';
import { PoolError } from '../../infra/keypool/store.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

const T = 0.01;

async function levels(e: Env, a: string, b: string) {
  const [sa, sb] = await Promise.all([store(e, a).stats(b, 'secret'), store(e, b).stats(a, 'secret')]);
  return { inA: sa.bitsIn, inB: sb.bitsIn, blocksA: sa.blocks, blocksB: sb.blocks };
}

test.serial('kill -9 of Redis between two sessions: the next session commits with no manual step, pools stay consistent', async (t) => {
  const e = env!;
  t.truthy(e.cluster.poolUsers, 'the network runs with per-node Redis users');
  const before = await qkd(e, 'David', 'Alice', { seconds: T });
  t.true(before.ok, before.reason);
  const l1 = await levels(e, 'David', 'Alice');
  t.is(l1.inA, before.result!.l_sec);
  t.is(l1.inB, l1.inA);

  await e.redis.kill();
  await e.redis.restart();

  // No step in between: the node processes and the server reconnect on their own.
  const after = await qkd(e, 'David', 'Alice', { seconds: T });
  t.true(after.ok, after.reason);
  t.not(after.result!.keyId, before.result!.keyId);
  const l2 = await levels(e, 'David', 'Alice');
  t.is(l2.inA, before.result!.l_sec + after.result!.l_sec, 'both keys are in David\'s pool: none lost, none counted twice');
  t.is(l2.inB, l2.inA);
  t.is(l2.blocksA, 2);
  t.is(l2.blocksB, 2);

  // The key committed before the crash: both ends hand out identical bits for it.
  const fromBefore = await sameKeyBothEnds(e, 'Alice', 'David', 128);
  t.true(fromBefore.equal);
  t.deepEqual(fromBefore.blockIds, [before.result!.keyId]);
  // No bit twice: the responder refuses to take the same range again.
  const w = await store(e, 'Alice').withdraw('David', 'secret', 64);
  await store(e, 'David').take('Alice', 'secret', [w.keys[0]!.refs]);
  const again = await store(e, 'David').take('Alice', 'secret', [w.keys[0]!.refs]).then(() => undefined, (x: unknown) => x);
  t.true(again instanceof PoolError && again.code === 'TAKEN', String(again));
  // A session after a second crash commits too (the processes reconnect again).
  await e.redis.kill();
  await e.redis.restart();
  const third = await qkd(e, 'Charlie', 'David', { seconds: T });
  t.true(third.ok, third.reason);
  const same = await sameKeyBothEnds(e, 'Charlie', 'David', 128);
  t.true(same.equal);
  t.deepEqual(same.blockIds, [third.result!.keyId]);
});
