// MDI sessions across three processes (two sources and the David relay) for Alice's pairs, at
// T = 300 s (2.2-3.2 M sifted bits; the planned key lies >= 5 sd of its run-to-run spread above
// zero, test/control/mdi-plan-params.test.ts, so a run without a key is a bug, not bad luck).
import test from 'ava';
import { startEnv, stopEnv, type Env } from './helpers.ts';
import { mdiPair } from './mdi-assert.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

for (const b of ['Bob', 'Charlie', 'Frank']) test.serial(`Alice-${b}: pol MDI via David after ${b}'s own conversion`, (t) => mdiPair(t, env!, 'Alice', b, 300));
