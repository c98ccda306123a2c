import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = (args: string[]) => run('npx', ['tsx', 'runtime/cli/main.ts', ...args], { cwd: new URL('../..', import.meta.url).pathname }).then(r => ({ ...r, code: 0 }), (e: { stdout: string; stderr: string; code: number }) => e);

test('keyrate bb84 --optimise --json prints one KeyRateResult object', async t => {
  const r = await cli(['keyrate', 'bb84', '--length-km', '35.3', '--seconds', '2', '--rate-hz', '1e9', '--eta-det', '0.2', '--dark', '1e-6', '--misalignment', '0.0087', '--f', '1.138', '--optimise', '--json']);
  t.is(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const o = JSON.parse(lines[0]);
  t.is(o.protocol, 'bb84');
  t.is(o.pulses, 2e9);
  for (const k of ['params', 'siftedBits', 'qber', 'phaseErrorBound', 'secretBits', 'secretBitsPerPulse']) t.true(k in o, k);
  t.true(o.secretBits > 1e6);
});

test('keyrate mdi with asymmetric lengths and bbm92 run', async t => {
  const m = await cli(['keyrate', 'mdi', '--length-a-km', '30', '--length-b-km', '20', '--seconds', '1000', '--optimise', '--json']);
  t.is(m.code, 0);
  const mo = JSON.parse(m.stdout);
  t.is(mo.protocol, 'mdi');
  t.true(mo.secretBits > 0);
  const b = await cli(['keyrate', 'bbm92', '--length-km', '40', '--seconds', '10', '--optimise', '--json']);
  t.is(JSON.parse(b.stdout).protocol, 'bbm92');
});

test('bad arguments give an error naming the argument', async t => {
  const r = await cli(['keyrate', 'bb84', '--length-km', 'abc', '--json']);
  t.is(r.code, 2);
  t.like(JSON.parse(r.stdout).error, { code: 'bad-input', field: 'length-km' });
  t.regex(JSON.parse(r.stdout).error.message, /--length-km/);
  const r2 = await cli(['keyrate', 'bb84', '--length-km', '10', '--eta-det', '2', '--json']);
  t.like(JSON.parse(r2.stdout).error, { code: 'bad-input', field: 'eta-det' });
  const r3 = await cli(['keyrate', 'mdi', '--json']);
  t.like(JSON.parse(r3.stdout).error, { code: 'bad-input', field: 'length-km' });
});
