// MDI sessions across three processes (two sources and the David relay) for Alice's pairs, at
// T = 300 s (1.5-2 M sifted bits: about the shortest run with a positive finite key on these links).
import test from 'ava';
import { startEnv, stopEnv, type Env } from './helpers.ts';
import { mdiPair } from './mdi-assert.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

for (const b of ['Bob', 'Charlie', 'Frank']) test.serial(`Alice-${b}: pol MDI via David after ${b}'s own conversion`, (t) => mdiPair(t, env!, 'Alice', b, 300));
