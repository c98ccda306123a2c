import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { plobBoundFibre } from '../../protocols/qkd/tf/index.ts';

const run = promisify(execFile);
const cli = (args: string[]) => run('npx', ['tsx', 'runtime/cli/main.ts', ...args], { cwd: new URL('../..', import.meta.url).pathname }).then(r => ({ ...r, code: 0 }), (e: { stdout: string; stderr: string; code: number }) => e);

test('keyrate tf --json prints one result object with the PLOB comparison', async t => {
  const r = await cli(['keyrate', 'tf', '--length-km', '400', '--json']);
  t.is(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const o = JSON.parse(lines[0]);
  t.is(o.protocol, 'tf');
  t.is(o.pulses, 1e12);
  t.is(o.paramsSource, 'optimised');
  t.true(o.secretBits > 0);
  t.true(Math.abs(o.plobBitsPerPulse - plobBoundFibre(400)) < 1e-20);
  t.is(o.abovePlob, o.secretBitsPerPulse > o.plobBitsPerPulse);
});

test('keyrate tf with explicit source values uses them; incomplete or inconsistent values name the field', async t => {
  const ok = await cli(['keyrate', 'tf', '--length-km', '200', '--epsilon', '0.03', '--mu-z', '0.45', '--mu1', '0.03', '--mu2', '0.3', '--p-z', '0.9', '--p0', '0.3', '--p1', '0.6', '--json']);
  t.is(ok.code, 0);
  const o = JSON.parse(ok.stdout);
  t.is(o.paramsSource, 'explicit');
  t.is(o.params.mu1, 0.03);
  const partial = await cli(['keyrate', 'tf', '--length-km', '200', '--mu1', '0.1', '--json']);
  t.is(partial.code, 2);
  t.like(JSON.parse(partial.stdout).error, { code: 'bad-input', field: 'epsilon' });
  const order = await cli(['keyrate', 'tf', '--length-km', '200', '--epsilon', '0.03', '--mu-z', '0.45', '--mu1', '0.3', '--mu2', '0.1', '--p-z', '0.9', '--p0', '0.3', '--p1', '0.6', '--json']);
  t.like(JSON.parse(order.stdout).error, { code: 'bad-input', field: 'mu2' });
  const noLength = await cli(['keyrate', 'tf', '--json']);
  t.like(JSON.parse(noLength.stdout).error, { code: 'bad-input', field: 'length-km' });
});

test('keyrate tf-sweep --json: rows beside PLOB, the crossing between the last row below and the first above, and where keys stop', async t => {
  const r = await cli(['keyrate', 'tf-sweep', '--from-km', '200', '--to-km', '600', '--step-km', '100', '--json']);
  t.is(r.code, 0);
  const o = JSON.parse(r.stdout.trim());
  t.is(o.rows.length, 5);
  const firstAbove = o.rows.findIndex((x: { abovePlob: boolean }) => x.abovePlob);
  t.true(firstAbove > 0, 'below PLOB at 200 km, above further out');
  t.true(o.plobCrossingKm > o.rows[firstAbove - 1].lengthKm && o.plobCrossingKm <= o.rows[firstAbove].lengthKm);
  const keyed = o.rows.filter((x: { secretBits: number }) => x.secretBits > 0);
  const last = keyed[keyed.length - 1].lengthKm;
  t.true(o.stopKm >= last && o.stopKm < last + 100);
});
