// Faults across processes: killing a node process in the middle of a BB84 session aborts it on all
// sides (the survivor discards its staged block, nothing is committed), the switches and the
// reservation are released (the next request on the same detectors is served), and the restarted
// node rejoins and gets keys again.
import test from 'ava';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { startEnv, stopEnv, submit, qkd, store, sameKeyBothEnds, waitUntil, type Env } from './helpers.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

test.serial('killing Alice mid-session aborts everywhere, commits no key, frees David; Alice rejoins', async (t) => {
  const e = env!;
  const h = await submit(e, 'David', 'Alice', { seconds: 0.3 });
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'post-processing'), 'post-processing to start', 60_000);
  const alice = e.cluster.children.find((c) => c.name === 'Alice')!;
  alice.child.kill('SIGKILL');
  const o = await h.done;
  t.false(o.ok);
  t.regex(o.reason ?? '', /Alice/);
  // David (the survivor) aborted: no block of this session is staged or committed in his pool.
  const sessionId = h.notices.find((n) => n.type === 'task.notice' && n.body.status === 'planned')!.body.plan.sessionId;
  const david = await store(e, 'David').stats('Alice', 'secret');
  t.is(david.bitsIn, 0);
  t.is(david.staged, 0);
  await t.throwsAsync(store(e, 'David').commit('Alice', 'secret', sessionId), { message: /ABORTED|NOSUCH/ });
  // Alice's pool (her Redis state outlives her process) holds no committed key either.
  t.is((await store(e, 'Alice').stats('David', 'secret')).bitsIn, 0);

  // David's detectors and the switch ports were released: another C node gets a BB84 session at once.
  const bob = await qkd(e, 'David', 'Bob', { seconds: 0.01 });
  t.true(bob.ok, bob.reason);

  // Alice comes back (new process, same name) and gets keys again.
  // (the launcher's waitUp fails on any dead child of that name, so forget the killed process first)
  e.cluster.children.splice(e.cluster.children.indexOf(alice), 1);
  await e.cluster.attach(loadTopology(referenceTopologyPath()).nodes.find((n) => n.name === 'Alice')!);
  const again = await qkd(e, 'David', 'Alice', { seconds: 0.01 });
  t.true(again.ok, again.reason);
  const same = await sameKeyBothEnds(e, 'Alice', 'David', 128);
  t.true(same.equal);
});
