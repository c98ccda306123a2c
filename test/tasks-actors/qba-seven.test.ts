// QBA with N = 7 (the five reference nodes plus George and Henry, attached at runtime), d = 4 and
// 3 malicious nodes, across processes: agreement and validity, 157 multicast-round actors, and the
// QDS runs and messages against the classical OM(3) baseline (which needs N > 9 for 3 traitors).
import test from 'ava';
import { omMessages, omTolerates, qbaKeyDemand, qbaMulticastRoundsFormula, qbaQdsRunsFormula, qbaStringLength, MESSAGES_PER_QDS_RUN } from '../../protocols/tasks/qba.ts';
import { AUTH_BITS_PER_LINK } from '../../actors/tasks/qds-roles.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { fillPools, request, startEnv, type Env, NODES } from './helpers.ts';

const SEVEN = [...NODES, 'George', 'Henry'];
const VALUE = new TextEncoder().encode('trade 7');
let env: Env;
test.before(async () => {
  env = await startEnv();
  for (const name of ['George', 'Henry']) {
    await env.cluster.attach(loadTopology(referenceTopologyPath()).nodes.find((n) => n.name === name)!);
    env.stores.set(name, KeyPoolStore.connect(env.redis.url, { net: env.cluster.net, owner: name, allowUrlCredentials: true }));
  }
  // Each initiator lane is half a block: twice the largest lane demand of the broadcast, and a margin.
  const demand = qbaKeyDemand(SEVEN, 'Alice', 4, qbaStringLength(VALUE.length, 7), AUTH_BITS_PER_LINK);
  await fillPools(env.stores, 2 * Math.max(...Object.values(demand)) + 1024, ['secret'], SEVEN);
});
test.after.always(async () => { await env?.stop(); });

test('N = 7, d = 4, Bob, Charlie and David malicious (colluding): agreement and validity; 1230 QDS runs vs OM(3)', async (t) => {
  const bad = ['Bob', 'Charlie', 'David'];
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: SEVEN, value: VALUE, malicious: bad.map((node) => ({ node, strategy: 'collude' as const })) });
  t.is(r.error, undefined);
  t.true(r.agreement, JSON.stringify(r.decisions));
  t.true(r.validity);
  t.is(r.depth, 4); // d = f + 1
  t.is(r.multicastRounds, qbaMulticastRoundsFormula(7, 4)); // 1 + 6 + 30 + 120
  t.is(r.multicastRounds, 157);
  t.is(r.qdsRuns, qbaQdsRunsFormula(7, 4)); // 30 + 120 + 360 + 720
  t.is(r.qdsRuns, 1230);
  t.is(r.messages, MESSAGES_PER_QDS_RUN * 1230);
  t.is(r.verdictDisagreements, 0);
  t.false(omTolerates(7, 3));
  t.log(`QBA N=7 d=4 across processes: ${r.qdsRuns} QDS runs, ${r.messages} messages, ${r.keyBitsTotal} task + ${r.authBitsTotal} auth key bits, ${r.wallMs} ms; OM(3): ${omMessages(7, 3)} messages at N=7 (does not tolerate 3), ${omMessages(10, 3)} at N=10`);
});
