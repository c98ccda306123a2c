// The control plane's QDS choice (pure): variant and third party when the user leaves them open; the
// pre-check's draws (task-draws.ts) name every short lane of the chosen run.
import test from 'ava';
import { chooseQds, NoQdsPlanError } from '../../actors/tasks/qds-chooser.ts';
import { conferenceDraws, mergeDraws, qbaDraws, qdsDraws, shortages } from '../../actors/tasks/task-draws.ts';
import { planMulticastRound, qbaQdsRunsFormula } from '../../protocols/tasks/qba.ts';

const base = { signer: 'David', receiver: 'Alice', candidates: ['Alice', 'Bob', 'Charlie', 'Frank'], messageBytes: 43 * 1024 };

test('imperfect keys when both links hold 1800 imperfect bits; third party = fullest pool', (t) => {
  const c = chooseQds({ ...base, available: { secret: { Alice: 1e6, Bob: 1e6, Charlie: 1e6, Frank: 1e6 }, imperfect: { Alice: 5000, Bob: 1000, Charlie: 9000, Frank: 2000 } } });
  t.deepEqual([c.variant, c.forwarder, c.verifier, c.n, c.bitsPerLink], ['imperfect', 'Alice', 'Charlie', 900, 1800]);
  t.deepEqual(c.chosen, { variant: true, thirdParty: true });
});

test('secret keys (n = 53 for 43 KB) when the imperfect pools are short', (t) => {
  const c = chooseQds({ ...base, available: { secret: { Alice: 200, Bob: 150, Charlie: 100, Frank: 120 }, imperfect: { Alice: 1799, Bob: 1e6 } } });
  t.deepEqual([c.variant, c.verifier, c.n, c.bitsPerLink], ['secret', 'Bob', 53, 106]);
});

test('the third party is one whose authentication lane with the receiver also fits', (t) => {
  const available = { secret: { Alice: 1e6, Bob: 1e6, Charlie: 1e6, Frank: 1e6 }, imperfect: { Alice: 1e6, Bob: 9e6, Charlie: 2000, Frank: 1e6 } };
  // Bob's and Frank's pools with David are fuller, but Alice cannot authenticate to them (< 381 bits).
  const c = chooseQds({ ...base, available, auth: { Bob: 380, Charlie: 381, Frank: 0 } });
  t.deepEqual([c.variant, c.verifier], ['imperfect', 'Charlie']);
  // No third party can be authenticated to: imperfect does not fit, secret is chosen, still the fullest pool.
  const d = chooseQds({ ...base, available, auth: { Bob: 0, Charlie: 0, Frank: 0 } });
  t.deepEqual([d.variant, d.verifier], ['secret', 'Bob']);
});

test('what the user fixed is kept; impossible arguments are named', (t) => {
  const c = chooseQds({ ...base, thirdParty: 'Frank', variant: 'secret', available: { secret: { Alice: 105, Frank: 106 }, imperfect: {} } });
  t.deepEqual([c.variant, c.verifier, c.chosen.variant, c.chosen.thirdParty], ['secret', 'Frank', false, false]);
  t.throws(() => chooseQds({ ...base, thirdParty: 'Alice', available: { secret: {}, imperfect: {} } }), { instanceOf: NoQdsPlanError, message: /third-party/ });
  t.throws(() => chooseQds({ ...base, receiver: 'David', available: { secret: {}, imperfect: {} } }), { message: /receiver/ });
});

test('the pre-check lists every short lane of a QDS run, including the authentication key', async (t) => {
  const draws = qdsDraws({ signer: 'David', forwarder: 'Alice', verifier: 'Frank', variant: 'secret', n: 53 });
  const levels: Record<string, number> = { 'David|Alice|secret': 105, 'David|Frank|secret': 106, 'Alice|Frank|secret': 0 };
  const short = await shortages(draws, async (o, p, k) => levels[`${o}|${p}|${k}`] ?? 0);
  t.deepEqual(short.map((s) => [s.owner, s.peer, s.kind, s.bits, s.available, s.missing]), [
    ['David', 'Alice', 'secret', 106, 105, 1],
    ['Alice', 'Frank', 'secret', 381, 0, 381],
  ]);
});

test('conference and QBA draws: L + 381 per participant; QBA sums every run of every round', (t) => {
  t.deepEqual(conferenceDraws('David', ['Alice', 'Bob'], 1000).map((d) => [d.owner, d.peer, d.bits]), [['David', 'Alice', 1381], ['David', 'Bob', 1381]]);
  const root = planMulticastRound('Alice', ['Bob', 'Charlie', 'David', 'Frank'], 2);
  const draws = qbaDraws(root, 60);
  // Three draws per QDS run; 36 runs for N = 5, d = 2 (spec formula).
  t.is(draws.length, 3 * qbaQdsRunsFormula(5, 2));
  const merged = mergeDraws(draws);
  const total = (xs: { bits: number }[]) => xs.reduce((s, d) => s + d.bits, 0);
  t.is(total(merged), total(draws));
  // The root round: Alice signs 4 x 3 runs, each drawing 2n from Alice's lane with F and with V: 6 runs per backup.
  t.is(merged.find((d) => d.owner === 'Alice' && d.peer === 'Bob' && d.kind === 'secret')!.bits, 6 * 2 * 60);
});
