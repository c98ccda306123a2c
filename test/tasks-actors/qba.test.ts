// QBA(P, S, d = 2) among the five reference nodes, each in its own process: every multicast round is
// an actor on the server that spawns its sub-rounds, every QDS run is three node processes with
// real pool keys. Agreement and validity with Charlie and Frank malicious (trade 1); agreement with
// a malicious signer Alice and Bob colluding (trade 2). Key consumption per pool = what the rounds
// report, each bit withdrawn by the signer taken once by its peer.
import test from 'ava';
import { expandRounds, planMulticastRound, qbaMulticastRoundsFormula, qbaQdsRunsFormula } from '../../protocols/tasks/qba.ts';
import { consumption, fillPools, request, startEnv, type Env, NODES } from './helpers.ts';

let env: Env;
test.before(async () => { env = await startEnv(); await fillPools(env.stores, 60_000, ['secret']); });
test.after.always(async () => { await env?.stop(); });

const trade = new TextEncoder().encode('trade 1: Alice buys 100 units at 42.0 from Bob, settlement T+2');

test.serial('trade 1: honest Alice, malicious Charlie (forge) and Frank (alter): agreement and validity; 5 round actors, 36 QDS runs', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, depth: 2, value: trade, malicious: [{ node: 'Charlie', strategy: 'forge' }, { node: 'Frank', strategy: 'alter' }] });
  t.is(r.error, undefined);
  t.true(r.agreement); t.true(r.validity);
  for (const n of r.honest) t.is(r.decisions[n], r.valueDigest);
  t.is(r.verdictDisagreements, 0);
  // Round tree from the actors' own reports vs the plan of the pure model: root + 4 sub-rounds.
  t.is(r.multicastRounds, qbaMulticastRoundsFormula(5, 2));
  t.is(r.multicastRounds, 5);
  const plan = expandRounds(planMulticastRound('Alice', NODES.filter((n) => n !== 'Alice'), 2)).map((p) => p.id).sort();
  t.deepEqual(r.rounds.map((x: { id: string }) => x.id).sort(), plan);
  t.deepEqual(r.rounds.filter((x: { parent: string | null }) => x.parent === 'Alice').length, 4);
  t.is(r.qdsRuns, qbaQdsRunsFormula(5, 2)); // 4*3 + 4*3*2 = 36
  // Consumption: pool deltas equal the sum of per-round task and authentication bits.
  const after = await consumption(env.stores);
  const expected: Record<string, number> = {};
  for (const [k, v] of Object.entries({ ...r.keyBitsPerPool })) expected[k] = (expected[k] ?? 0) + (v as number);
  for (const [k, v] of Object.entries(r.authBitsPerPool)) expected[k] = (expected[k] ?? 0) + (v as number);
  for (const [k, a] of after) {
    const pool = k.replace(/:secret$/, '');
    const b = before.get(k) ?? { out: 0, outRef: 0 };
    t.is(a.out - b.out, expected[pool] ?? 0, `by size ${k}`);
    t.is(a.outRef - b.outRef, expected[pool] ?? 0, `by reference ${k}`);
  }
  // Per round: 2n bits per run on each of the signer's two links.
  for (const round of r.rounds) {
    const sum = Object.values(round.keyBitsPerPool as Record<string, number>).reduce((s, v) => s + v, 0);
    t.is(sum, round.qdsRuns * 2 * 2 * r.n);
  }
});

test.serial('trade 1 with other strategies: Charlie withholds, Frank equivocates', async (t) => {
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, value: trade, malicious: [{ node: 'Charlie', strategy: 'withhold' }, { node: 'Frank', strategy: 'equivocate' }] });
  t.true(r.agreement); t.true(r.validity);
});

test.serial('trade 2: malicious signer Alice with Bob colluding: the honest nodes still agree', async (t) => {
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, value: trade, malicious: [{ node: 'Alice', strategy: 'collude' }, { node: 'Bob', strategy: 'collude' }] });
  t.is(r.error, undefined);
  t.true(r.agreement);
  t.is(r.validity, null);
  t.deepEqual(r.honest, ['Charlie', 'David', 'Frank']);
  t.is(r.multicastRounds, 5);
});

test.serial('beyond the bound: 3 of 5 colluding (Alice, Bob, Charlie) break agreement, as they must', async (t) => {
  const bad = ['Alice', 'Bob', 'Charlie'];
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, value: trade, malicious: bad.map((node) => ({ node, strategy: 'collude' as const })) });
  t.is(r.error, undefined);
  t.deepEqual(r.honest, ['David', 'Frank']);
  t.false(r.agreement, JSON.stringify(r.decisions));
});
