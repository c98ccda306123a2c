// MDI sessions across three processes for Frank with Bob and Charlie (both convert to pol), T = 500 s (the planned key lies
// >= 5 sd of its run-to-run spread above zero, test/control/mdi-plan-params.test.ts).
import test from 'ava';
import { startEnv, stopEnv, type Env } from './helpers.ts';
import { mdiPair } from './mdi-assert.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

for (const a of ['Bob', 'Charlie']) test.serial(`${a}-Frank: pol MDI via David`, (t) => mdiPair(t, env!, a, 'Frank', 500));
