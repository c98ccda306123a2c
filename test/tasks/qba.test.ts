import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import {
  BOTTOM, acceptItems, createSignatureRegistry, decide, decodePayload, encodePayload, expandRounds, multicastRoundKeyBits,
  omMessages, omTolerates, planMulticastRound, qbaKeyDemand, qbaMulticastRoundsFormula, qbaQdsRunsFormula, qbaStringLength,
} from '../../protocols/tasks/qba.ts';
import { collude } from '../../protocols/tasks/qba-behaviours.ts';
import { runQba } from '../../protocols/tasks/qba-sim.ts';
import { MemoryLedger } from './ledger.ts';

const FIVE = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];
const N_TEST = 24; // short QDS strings keep the exhaustive sweeps fast (security is not what is tested here)

test('QBA(P, S, d) structure: N = 5, d = 2 gives 5 multicast rounds and 36 QDS runs', (t) => {
  const root = planMulticastRound('Alice', FIVE.slice(1), 2);
  const rounds = expandRounds(root);
  t.is(rounds.length, 5);
  t.is(rounds.filter((r) => r.depth === 2).length, 1);
  t.is(rounds.filter((r) => r.depth === 1).length, 4);
  const runs = rounds.reduce((s, r) => s + r.runs.length, 0);
  t.is(runs, 4 * 3 + 4 * 3 * 2); // (N-1)(N-2) + (N-1)(N-2)(N-3)
  t.is(runs, qbaQdsRunsFormula(5, 2));
  t.deepEqual(rounds.map((r) => r.id), ['Alice', 'Alice>Bob', 'Alice>Charlie', 'Alice>David', 'Alice>Frank']);
});

test('the spec formulas match the expanded plans for N = 3..8, d = 1..N-2', (t) => {
  for (let N = 3; N <= 8; N++) {
    const nodes = Array.from({ length: N }, (_, i) => `n${i}`);
    for (let d = 1; d <= N - 2; d++) {
      const rounds = expandRounds(planMulticastRound('n0', nodes.slice(1), d));
      t.is(rounds.length, qbaMulticastRoundsFormula(N, d), `rounds N=${N} d=${d}`);
      t.is(rounds.reduce((s, r) => s + r.runs.length, 0), qbaQdsRunsFormula(N, d), `runs N=${N} d=${d}`);
    }
  }
  t.is(qbaQdsRunsFormula(7, 3), 6 * 5 + 6 * 5 * 4 + 6 * 5 * 4 * 3);
});

test('OM(m) baseline: recurrence equals the closed sum, and N > 3m', (t) => {
  // Unrolling M(n,m) = (n-1) + (n-1) M(n-1,m-1) gives sum_{k=1..m+1} (n-1)(n-2)...(n-k).
  const closed = (n: number, m: number) => { let s = 0, p = 1; for (let k = 1; k <= m + 1; k++) { p *= n - k; s += p; } return s; };
  for (let n = 2; n <= 12; n++) for (let m = 0; m < n - 1; m++) t.is(omMessages(n, m), closed(n, m));
  t.is(omMessages(4, 1), 3 + 3 * 2);
  t.false(omTolerates(7, 3));
  t.true(omTolerates(10, 3));
  t.false(omTolerates(5, 2));
});

test('decision rule and payload wire form', (t) => {
  t.is(decide(['buy']), 'buy');
  t.is(decide(['buy', 'buy']), 'buy');
  t.is(decide([]), BOTTOM);
  t.is(decide(['buy', 'sell']), BOTTOM);
  const items = [{ value: 'buy ✓', chain: ['Alice', 'Bob'] }, { value: '', chain: ['Alice', 'Bob'] }];
  t.deepEqual(decodePayload(encodePayload(items)), items);
  t.is(decodePayload(new Uint8Array([0, 0, 0, 1])), undefined);
});

test('honest run: everyone decides the primary\'s value; consumption equals the ledger, no bit reused', (t) => {
  const ledger = new MemoryLedger('qba-honest');
  const r = runQba({ nodes: FIVE, primary: 'Alice', value: 'buy', depth: 2, n: N_TEST, keys: ledger, rng: createRng(1) });
  t.true(r.agreement);
  t.true(r.validity);
  for (const node of FIVE) t.is(r.decisions[node], 'buy');
  t.is(r.multicastRounds, 5);
  t.is(r.qdsRuns, 36);
  t.is(r.verdictDisagreements, 0);
  t.deepEqual(r.keyBitsPerPool, ledger.totals());
  t.is(r.keyBitsTotal, 36 * 2 * 2 * N_TEST); // each run: 2n bits on signer-forwarder and on signer-verifier
  t.true(ledger.disjoint());
  // Root round: pool Alice|x is used by x as forwarder (3 runs) and as verifier (3 runs).
  t.is(r.rounds[0].keyBitsPerPool['Alice|Bob'], 6 * 2 * N_TEST);
});

test('N = 7, d = 4, 3 malicious: agreement, and QDS runs and messages against OM(3)', (t) => {
  const SEVEN = ['Alice', 'Bob', 'Charlie', 'David', 'Frank', 'George', 'Henry'];
  for (const bad of [['Alice', 'Bob', 'Charlie'], ['Bob', 'Charlie', 'David']]) {
    const behaviours = Object.fromEntries(bad.map((b) => [b, collude({ members: bad, secondValue: 'sell' })]));
    const ledger = new MemoryLedger(`seven-${bad}`);
    const r = runQba({ nodes: SEVEN, primary: 'Alice', value: 'buy', depth: 4, n: N_TEST, keys: ledger, rng: createRng(7), behaviours });
    t.true(r.agreement, JSON.stringify(r.decisions));
    if (!bad.includes('Alice')) t.true(r.validity);
    t.is(r.multicastRounds, 1 + 6 + 6 * 5 + 6 * 5 * 4);
    t.is(r.qdsRuns, qbaQdsRunsFormula(7, 4));
    t.is(r.qdsRuns, 6 * 5 + 6 * 5 * 4 + 6 * 5 * 4 * 3 + 6 * 5 * 4 * 3 * 2);
    t.is(r.messages, 3 * r.qdsRuns);
    t.deepEqual(r.keyBitsPerPool, ledger.totals());
    t.true(ledger.disjoint());
  }
  // Classical OM(3) needs N >= 10 for 3 traitors; at N = 7 it does not tolerate them at all.
  t.false(omTolerates(7, 3));
  t.is(omMessages(7, 3), 516);
  t.is(omMessages(10, 3), 3609);
  t.log(`QBA N=7 d=4: ${qbaQdsRunsFormula(7, 4)} QDS runs, ${3 * qbaQdsRunsFormula(7, 4)} messages; OM(3): 516 messages at N=7 (not tolerant), 3609 at N=10`);
});

test('string length for a 0.1 MB trade file among 5 nodes', (t) => {
  // n = ceil(log2 m + 1 + log2(1e10)): one 0.1 MB value at one byte per unit gives m ~ 8e5 bits -> 54;
  // the bound covers 2 values at up to 3 UTF-8 bytes per unit, m ~ 4.8e6 bits -> 57.
  const n = qbaStringLength(100_000, 5);
  t.true(n >= 54 && n <= 57, `n = ${n}`);
});

test('per-round key use equals the plan: 2n bits per run on each of the two links', (t) => {
  const ledger = new MemoryLedger('per-round');
  const r = runQba({ nodes: FIVE, primary: 'Alice', value: 'buy', depth: 2, n: N_TEST, keys: ledger, rng: createRng(11) });
  const plans = expandRounds(planMulticastRound('Alice', FIVE.slice(1), 2));
  t.deepEqual(r.rounds.map((x) => x.keyBitsPerPool), plans.map((p) => multicastRoundKeyBits(p, N_TEST)));
  // Depth-2 round of Bob (backups Charlie, David, Frank): pool Bob|Charlie serves 2 * 2 runs.
  t.is(r.rounds[1].keyBitsPerPool['Bob|Charlie'], 4 * 2 * N_TEST);
});

test('relayed claims need every earlier signature: a relay cannot attribute a value to the primary', (t) => {
  const reg = createSignatureRegistry();
  const round = planMulticastRound('Bob', ['Charlie', 'David'], 1, ['Alice', 'Bob']);
  reg.record('Alice', { value: 'buy', chain: ['Alice'] });
  t.deepEqual(acceptItems(round, [{ value: 'buy', chain: ['Alice', 'Bob'] }], reg).length, 1);
  t.deepEqual(acceptItems(round, [{ value: 'sell', chain: ['Alice', 'Bob'] }], reg), []);
  t.deepEqual(acceptItems(round, [{ value: 'buy', chain: ['Alice', 'Charlie'] }], reg), []);
  t.deepEqual(acceptItems(round, [{ value: 'buy', chain: ['Bob'] }], reg), []);
  const three = [1, 2, 3].map(() => ({ value: 'buy', chain: ['Alice', 'Bob'] }));
  t.deepEqual(acceptItems(round, three, reg), []);
});

test('key demand of a broadcast: per initiator lane, 2n per signer link of every run and the F-V authentication bits', (t) => {
  const ledger = new MemoryLedger('demand');
  const r = runQba({ nodes: FIVE, primary: 'Alice', value: 'buy', depth: 3, n: N_TEST, keys: ledger, rng: createRng(2) });
  const AUTH = 381;
  const demand = qbaKeyDemand(FIVE, 'Alice', 3, N_TEST, AUTH);
  // Alice signs only the root (4 backups): Bob is forwarder in 3 runs and verifier in 3.
  t.is(demand['Alice>Bob'], 6 * 2 * N_TEST);
  // Bob signs Alice>Bob (backups Charlie, David, Frank: Charlie in 4 runs) and Alice>David>Bob,
  // Alice>Frank>Bob (2 backups each: Charlie in 2 runs): 8 runs. As forwarder towards Charlie he
  // authenticates in every round where both are backups: Alice, Alice>David, Alice>Frank,
  // Alice>David>Frank, Alice>Frank>David.
  t.is(demand['Bob>Charlie'], 8 * 2 * N_TEST + 5 * AUTH);
  t.is(demand['Alice>Charlie'], 6 * 2 * N_TEST);
  t.false('Bob>Alice' in demand); // Alice is never a backup
  // In total: the task bits the simulation withdrew plus one authentication per run.
  t.is(Object.values(demand).reduce((s, v) => s + v, 0), r.keyBitsTotal + AUTH * r.qdsRuns);
  t.is(r.qdsRuns, qbaQdsRunsFormula(5, 3));
});
