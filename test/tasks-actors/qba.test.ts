// QBA(P, S, d = 3) among the five reference nodes, each in its own process: every multicast round is
// an actor on the server that spawns its sub-rounds, every QDS run is three node processes with
// real pool keys. Agreement and validity with Charlie and Frank malicious (trade 1); agreement with
// a malicious signer Alice and Bob colluding (trade 2), also when they sign selectively ('split').
// Key consumption per pool = what the rounds report, each bit withdrawn by the signer taken once by
// its peer. Configurations outside the bounds (qba-bounds.ts) are refused, naming the bound.
import test from 'ava';
import { expandRounds, planMulticastRound, qbaMulticastRoundsFormula, qbaQdsRunsFormula } from '../../protocols/tasks/qba.ts';
import { consumption, fillPools, request, startEnv, type Env, NODES } from './helpers.ts';

let env: Env;
test.before(async () => { env = await startEnv(); await fillPools(env.stores, 60_000, ['secret']); });
test.after.always(async () => { await env?.stop(); });

const trade = new TextEncoder().encode('trade 1: Alice buys 100 units at 42.0 from Bob, settlement T+2');

test.serial('trade 1: honest Alice, malicious Charlie (forge) and Frank (alter): agreement and validity; 17 round actors, 60 QDS runs', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, depth: 3, value: trade, malicious: [{ node: 'Charlie', strategy: 'forge' }, { node: 'Frank', strategy: 'alter' }] });
  t.is(r.error, undefined);
  t.true(r.agreement); t.true(r.validity);
  for (const n of r.honest) t.is(r.decisions[n], r.valueDigest);
  t.is(r.verdictDisagreements, 0);
  // Round tree from the actors' own reports vs the plan of the pure model: root, 4 sub-rounds, 12 below.
  t.is(r.multicastRounds, qbaMulticastRoundsFormula(5, 3));
  t.is(r.multicastRounds, 1 + 4 + 4 * 3);
  const plan = expandRounds(planMulticastRound('Alice', NODES.filter((n) => n !== 'Alice'), 3)).map((p) => p.id).sort();
  t.deepEqual(r.rounds.map((x: { id: string }) => x.id).sort(), plan);
  t.deepEqual(r.rounds.filter((x: { parent: string | null }) => x.parent === 'Alice').length, 4);
  t.is(r.qdsRuns, qbaQdsRunsFormula(5, 3)); // 4*3 + 4*3*2 + 4*3*2*1 = 60
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

test.serial('trade 2: malicious signer Alice with Bob colluding, also signing selectively: the honest nodes still agree (d = 3)', async (t) => {
  for (const strategy of ['collude', 'split'] as const) {
    const r = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, value: trade, malicious: [{ node: 'Alice', strategy }, { node: 'Bob', strategy }] });
    t.is(r.error, undefined);
    t.true(r.agreement, `${strategy}: ${JSON.stringify(r.decisions)}`);
    t.is(r.validity, null);
    t.deepEqual(r.honest, ['Charlie', 'David', 'Frank']);
    t.is(r.depth, 3);
    t.is(r.multicastRounds, 17);
    t.is(r.verdictDisagreements, 0);
  }
});

test.serial('outside the bounds the coordinator refuses and names the bound', async (t) => {
  // d = f: the selective signer would split the honest nodes (B3).
  const d2 = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, depth: 2, value: trade, malicious: [{ node: 'Alice', strategy: 'split' }, { node: 'Bob', strategy: 'split' }] });
  t.regex(d2.error, /QBA refused.*B3 d >= f \+ 1/);
  // 3 of 5 (B1, B2), and the three-node case with one malicious backup (B2).
  const three = await request(env.cluster, { kind: 'qba', primary: 'Alice', nodes: NODES, value: trade, malicious: ['Alice', 'Bob', 'Charlie'].map((node) => ({ node, strategy: 'collude' as const })) });
  t.regex(three.error, /B1 f < N\/2.*B2 N - f >= 3/);
  const small = await request(env.cluster, { kind: 'qba', primary: 'David', nodes: ['David', 'Alice', 'Bob'], depth: 2, value: trade, malicious: [{ node: 'Bob', strategy: 'forge' }] });
  t.regex(small.error, /B2 N - f >= 3 .*2 honest/);
  t.notRegex(small.error, /B3/);
});
