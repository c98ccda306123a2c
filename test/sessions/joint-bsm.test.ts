// MDI through a joint BSM across five processes: George and Henry (D, tbp, two SPDs each) attach at
// runtime; while David is busy with a BB84 session, a Bob-Charlie request is planned on the
// server's beam splitter with George and Henry on its outputs; George sends his click records to
// Henry, who combines both into Bell-state announcements; Bob and Charlie get the same key.
import test from 'ava';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { mdiExpectedCounts } from '../../protocols/keyrate/mdi.ts';
import { mdiSourceParams } from '../../actors/server/fabric.ts';
import { startEnv, stopEnv, submit, sameKeyBothEnds, waitUntil, type Env } from './helpers.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

test.serial('while David is busy, Bob-Charlie runs MDI through a joint BSM of George and Henry attached at runtime', async (t) => {
  const e = env!;
  const specs = loadTopology(referenceTopologyPath()).nodes;
  for (const n of ['George', 'Henry']) await e.cluster.attach(specs.find((s) => s.name === n)!);
  const busy = await submit(e, 'David', 'Alice', { seconds: 0.3 });
  await waitUntil(() => busy.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'calibrating'), 'David busy');
  const bc = await submit(e, 'Bob', 'Charlie', { seconds: 100 });
  const [ob, oj] = await Promise.all([busy.done, bc.done]);
  t.true(ob.ok, ob.reason);
  t.true(oj.ok, oj.reason);
  const r = oj.result!;
  t.is(r.protocol, 'mdi-joint');
  t.deepEqual(r.relay, { kind: 'joint', nodes: ['George', 'Henry'], beamSplitter: 'bs0' });
  t.is(r.dof.channel, 'tbp');
  t.deepEqual(r.conversions, []);
  // The two sessions overlapped in time: the joint BSM did not wait for David.
  t.true(r.stageAt.switching < ob.result!.stageAt.finished);
  // Rates of the equivalent MDI link (joint-bsm.ts, Xu 2013 App. B) against what the sessions sifted.
  const exp = mdiExpectedCounts(r.link, mdiSourceParams(r.params), r.pulses);
  const n = exp.n['s-s']!;
  t.true(Math.abs(r.l_sift - n) < 5 * Math.sqrt(n), `l_sift ${r.l_sift} vs expected ${n}`);
  const same = await sameKeyBothEnds(e, 'Bob', 'Charlie', Math.min(512, Math.floor(r.l_sec / 2)));
  t.true(same.equal);
  t.deepEqual(same.blockIds, [r.keyId]);
});
