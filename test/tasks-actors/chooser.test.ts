// The control plane's QDS choice (pure): variant and third party when the user leaves them open.
import test from 'ava';
import { chooseQds, NoQdsPlanError } from '../../actors/tasks/qds-chooser.ts';

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

test('what the user fixed is kept; impossible requests name the pool or the argument', (t) => {
  const c = chooseQds({ ...base, thirdParty: 'Frank', variant: 'secret', available: { secret: { Alice: 106, Frank: 106 }, imperfect: {} } });
  t.deepEqual([c.variant, c.verifier, c.chosen.variant, c.chosen.thirdParty], ['secret', 'Frank', false, false]);
  t.throws(() => chooseQds({ ...base, thirdParty: 'Frank', variant: 'secret', available: { secret: { Alice: 105, Frank: 106 }, imperfect: {} } }), { instanceOf: NoQdsPlanError, message: /not enough secret key between David and Alice: 105 bits, 106 needed/ });
  t.throws(() => chooseQds({ ...base, thirdParty: 'Alice', available: { secret: {}, imperfect: {} } }), { message: /third-party/ });
  t.throws(() => chooseQds({ ...base, receiver: 'David', available: { secret: {}, imperfect: {} } }), { message: /receiver/ });
});
