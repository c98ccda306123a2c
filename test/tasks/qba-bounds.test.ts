// QBA's guarantee over the whole range the CLI accepts (qba-bounds.ts): for N = 3..6 (N = 7 in
// qba-bounds-seven.test.ts), every f the bounds allow, every set of f malicious nodes (the primary
// among them or not), the smallest accepted depth d = f + 1 and every strategy, agreement holds,
// and validity with an honest primary.
// Then the other side: each bound is needed (a configuration that violates it is broken by some
// strategy), and the refusal names the bound.
import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { BOTTOM } from '../../protocols/tasks/qba.ts';
import { qbaBounds, qbaMaxFaults, qbaRefusal } from '../../protocols/tasks/qba-bounds.ts';
import { type NodeBehaviour, colludeSelectiveSigning, equivocate, forgeSignature } from '../../protocols/tasks/qba-behaviours.ts';
import { runQba } from '../../protocols/tasks/qba-sim.ts';
import { MemoryLedger } from './ledger.ts';
import { N_TEST, nodesOf, starveRelay, strategies, subsetsOfSize, sweep } from './qba-matrix.ts';

for (const N of [3, 4, 5, 6]) test.serial(`N = ${N}: agreement and validity for every accepted f, every malicious set, every strategy (d = f + 1)`, (t) => sweep(t, N));

test('the accepted range: f <= min(ceil(N/2) - 1, N - 3), d >= f + 1', (t) => {
  t.deepEqual([3, 4, 5, 6, 7, 8, 9].map(qbaMaxFaults), [0, 1, 2, 2, 3, 3, 4]);
  // Each refusal names the bound it violates.
  t.regex(qbaRefusal(3, 1, 2)!, /B2 N - f >= 3/);
  t.notRegex(qbaRefusal(3, 1, 2)!, /B1|B3/);
  t.regex(qbaRefusal(5, 3, 4)!, /B1 f < N\/2/);
  t.regex(qbaRefusal(5, 2, 2)!, /B3 d >= f \+ 1.*needs d >= 3/);
  t.regex(qbaRefusal(4, 2, 1)!, /B1.*B2.*B3/);
  t.is(qbaRefusal(7, 3, 4), undefined);
  t.deepEqual(qbaBounds(5, 2, 3).map((b) => b.holds), [true, true, true]);
});

test('B3 is needed: with d = f a coalition with the primary that signs one honest run in the deepest round splits the honest nodes', (t) => {
  const nodes = nodesOf(5);
  const bad = ['Alice', 'Bob'];
  const behaviours = Object.fromEntries(bad.map((b) => [b, colludeSelectiveSigning({ members: bad, secondValue: 'sell' })]));
  const r2 = runQba({ nodes, primary: 'Alice', value: 'buy', depth: 2, n: N_TEST, keys: new MemoryLedger('sel2'), rng: createRng(5), behaviours });
  t.false(r2.agreement, JSON.stringify(r2.decisions));
  t.is(r2.verdictDisagreements, 0); // each run's two verdicts still agree: the split is across runs
  // Exactly two honest nodes saw the second value (the one signed run), the third did not.
  t.deepEqual(r2.honest.map((h) => r2.seen[h]!.length).sort(), [1, 2, 2]);
  t.regex(qbaRefusal(5, 2, 2)!, /B3/);
  const r3 = runQba({ nodes, primary: 'Alice', value: 'buy', depth: 3, n: N_TEST, keys: new MemoryLedger('sel3'), rng: createRng(5), behaviours });
  t.true(r3.agreement, JSON.stringify(r3.decisions));
});

test('B2 is needed beyond N = 3: 3 of 5 (two honest nodes) break agreement even at d = 4', (t) => {
  const nodes = nodesOf(5);
  const bad = ['Alice', 'Bob', 'Charlie'];
  const r = runQba({ nodes, primary: 'Alice', value: 'buy', depth: 4, n: N_TEST, keys: new MemoryLedger('three'), rng: createRng(3), behaviours: Object.fromEntries(bad.map((b) => [b, starveRelay(bad)])) });
  // David accepts 'sell' from Bob's round (verifier Charlie returns keys) and relays it, but Frank
  // can verify David's relay only with Charlie, who does not answer: David decides ⊥, Frank 'buy'.
  t.false(r.agreement, JSON.stringify(r.decisions));
  t.deepEqual([r.decisions.David, r.decisions.Frank], [BOTTOM, 'buy']);
  t.regex(qbaRefusal(5, 3, 4)!, /B2/);
  // The same coalition strategy within the bounds (two of five) does not split anyone.
  const two = ['Alice', 'Bob'];
  const r2 = runQba({ nodes, primary: 'Alice', value: 'buy', depth: 3, n: N_TEST, keys: new MemoryLedger('two'), rng: createRng(3), behaviours: Object.fromEntries(two.map((b) => [b, starveRelay(two)])) });
  t.true(r2.agreement, JSON.stringify(r2.decisions));
});

test('B1 is the paper\'s range, not a need of this construction: N = 6, f = 3, d = 4 holds for every malicious set and strategy, and is refused', (t) => {
  const nodes = nodesOf(6);
  let runs = 0;
  for (const bad of subsetsOfSize(nodes, 3)) {
    for (const [name, make] of Object.entries(strategies(nodes, bad))) {
      const r = runQba({ nodes, primary: 'Alice', value: 'buy', depth: 4, n: N_TEST, keys: new MemoryLedger(`six-${bad}-${name}`), rng: createRng(`six-${bad}-${name}`), behaviours: Object.fromEntries(bad.map((b) => [b, make(b)])) });
      if (!r.agreement || r.validity === false) t.fail(`[${bad}] ${name}: ${JSON.stringify(r.decisions)}`);
      runs++;
    }
  }
  t.is(runs, 20 * 10);
  t.regex(qbaRefusal(6, 3, 4)!, /B1 f < N\/2/);
  t.notRegex(qbaRefusal(6, 3, 4)!, /B2|B3/);
});

test('B2 is needed: N = 3, f = 1: an honest primary with a lying backup and a lying primary with two honest backups look the same to an honest backup', (t) => {
  const nodes = ['David', 'Alice', 'Bob'];
  // World A: David honest, Bob returns random keys and forwards a forgery of another message.
  const liar: NodeBehaviour = { ...forgeSignature('sell'), name: 'liar' };
  const a = runQba({ nodes, primary: 'David', value: 'buy', depth: 2, n: N_TEST, keys: new MemoryLedger('wA'), rng: createRng(1), behaviours: { Bob: liar } });
  // World B: David sends Alice 'buy' and Bob 'sell', each under a random signature; Alice and Bob honest.
  const badSigner: NodeBehaviour = { ...equivocate(['buy', 'sell']), name: 'bad-signer', signRun: () => false };
  const b = runQba({ nodes, primary: 'David', value: 'buy', depth: 2, n: N_TEST, keys: new MemoryLedger('wB'), rng: createRng(1), behaviours: { David: badSigner } });
  // Alice received 'buy' from David and 'sell' from Bob in both worlds and could verify neither:
  // every value she was shown failed verification, so she accepted nothing in either world.
  t.deepEqual(a.seen.Alice, []);
  t.deepEqual(b.seen.Alice, []);
  // Our rule decides ⊥ in both: validity fails in world A. A rule that decided the unverified
  // direct message would decide 'buy' for Alice and 'sell' for Bob in world B: no agreement.
  t.is(a.decisions.Alice, BOTTOM);
  t.false(a.validity);
  t.true(b.agreement);
  t.regex(qbaRefusal(3, 1, 2)!, /B2/);
});
