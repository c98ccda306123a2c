// Bob-Charlie: time-bin MDI via David without any conversion (both encode tbp), T = 1000 s as in the
// reference experiment (the tbp BSM announces only psi-: the shortest run with a key is ~1000 s).
import test from 'ava';
import { startEnv, stopEnv, type Env } from './helpers.ts';
import { mdiPair } from './mdi-assert.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

test.serial('Bob-Charlie: tbp MDI via David', (t) => mdiPair(t, env!, 'Bob', 'Charlie', 1000));
