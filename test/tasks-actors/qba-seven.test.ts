// QBA with N = 7 (the five reference nodes plus George and Henry, attached at runtime), d = 3 and
// 3 malicious nodes, across processes: agreement and validity, 37 multicast-round actors, and the
// QDS runs and messages against the classical OM(3) baseline (which needs N > 9 for 3 traitors).
import test from 'ava';
import { omMessages, omTolerates, qbaMulticastRoundsFormula, qbaQdsRunsFormula, MESSAGES_PER_QDS_RUN } from '../../protocols/tasks/qba.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { fillPools, request, startEnv, type Env, NODES } from './helpers.ts';

const SEVEN = [...NODES, 'George', 'Henry'];
let env: Env;
test.before(async () => {
  env = await startEnv();
  for (const name of ['George', 'Henry']) {
    await env.cluster.attach(loadTopology(referenceTopologyPath()).nodes.find((n) => n.name === name)!);
    env.stores.set(name, KeyPoolStore.connect(env.redis.url, { net: env.cluster.net, owner: name, allowUrlCredentials: true }));
  }
  await fillPools(env.stores, 40_000, ['secret'], SEVEN);
});
test.after.always(async () => { await env?.stop(); });

test('N = 7, d = 3, Bob, Charlie and David malicious (colluding): agreement and validity; 510 QDS runs vs OM(3)', async (t) => {
  const bad = ['Bob', 'Charlie', 'David'];
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: SEVEN, depth: 3, value: new TextEncoder().encode('trade 7'), malicious: bad.map((node) => ({ node, strategy: 'collude' as const })) });
  t.is(r.error, undefined);
  t.true(r.agreement, JSON.stringify(r.decisions));
  t.true(r.validity);
  t.is(r.multicastRounds, qbaMulticastRoundsFormula(7, 3)); // 1 + 6 + 30
  t.is(r.multicastRounds, 37);
  t.is(r.qdsRuns, qbaQdsRunsFormula(7, 3)); // 30 + 120 + 360
  t.is(r.qdsRuns, 510);
  t.is(r.messages, MESSAGES_PER_QDS_RUN * 510);
  t.is(r.verdictDisagreements, 0);
  t.false(omTolerates(7, 3));
  t.log(`QBA N=7 d=3 across processes: ${r.qdsRuns} QDS runs, ${r.messages} messages, ${r.keyBitsTotal} task + ${r.authBitsTotal} auth key bits, ${r.wallMs} ms; OM(3): ${omMessages(7, 3)} messages at N=7 (does not tolerate 3), ${omMessages(10, 3)} at N=10`);
});
