// The QBA matrix at N = 7 (qba-matrix.ts), one test per f so each stays short: every set of
// f <= 3 malicious nodes among seven, d = f + 1, every strategy and a seeded Byzantine run.
import test from 'ava';
import { sweep } from './qba-matrix.ts';

for (const f of [0, 1, 2, 3]) test.serial(`N = 7, f = ${f}, d = ${f + 1}: agreement and validity for every malicious set and strategy`, (t) => sweep(t, 7, [f]));
