// `hetqn sign / qba / conference --json` against a running network (real processes): exactly one
// JSON object on stdout with the task's result; a bad argument is named in the error.
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillPools, startEnv, type Env } from './helpers.ts';

let env: Env;
let dir: string;
test.before(async () => {
  env = await startEnv();
  await fillPools(env.stores, 40_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-tasks-cli-'));
  fs.writeFileSync(path.join(dir, 'contract.bin'), Buffer.alloc(43 * 1024, 7));
  fs.writeFileSync(path.join(dir, 'trade.txt'), 'trade: 10 units at 3.5');
});
test.after.always(async () => { await env?.stop(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

function hetqn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli/main.ts', ...args, '--net', env.cluster.net, '--nats', env.cluster.natsUrl],
      { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, HETQN_STATE_DIR: dir, HETQN_BUNDLE: env.cluster.bundleFile('client') } });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const oneObject = (s: string) => { const lines = s.trim().split('\n'); if (lines.length !== 1) throw new Error(`expected one line, got ${lines.length}`); return JSON.parse(lines[0]!); };

test('hetqn sign --json: one object, both accept, the third party chosen by the control plane', async (t) => {
  const r = await hetqn(['sign', '--signer', 'Charlie', '--receiver', 'Alice', '--variant', 'secret', '--file', path.join(dir, 'contract.bin'), '--json']);
  t.is(r.code, 0, r.stderr);
  const o = oneObject(r.stdout);
  t.is(o.n, 53); t.true(o.forwarderAccept && o.verifierAccept); t.true(o.chosen.thirdParty);
});

test('hetqn qba --json with two malicious nodes; hetqn conference --json', async (t) => {
  const q = await hetqn(['qba', '--primary', 'Alice', '--file', path.join(dir, 'trade.txt'), '--malicious', 'Charlie,Frank', '--strategy', 'forge,withhold', '--json']);
  t.is(q.code, 0, q.stderr);
  const o = oneObject(q.stdout);
  t.true(o.agreement); t.true(o.validity); t.is(o.depth, 3); t.is(o.multicastRounds, 17);
  const c = await hetqn(['conference', '--sponsor', 'David', '--bits', '2000', '--json']);
  t.is(c.code, 0, c.stderr);
  t.true(oneObject(c.stdout).allRecovered);
});

test('bad arguments are named', async (t) => {
  const a = await hetqn(['sign', '--signer', 'Charlie', '--receiver', 'Alice', '--variant', 'bogus', '--file', path.join(dir, 'contract.bin'), '--json']);
  t.is(a.code, 2);
  t.like(oneObject(a.stdout).error, { code: 'bad-input', field: 'variant' });
  t.regex(oneObject(a.stdout).error.message, /--variant/);
  const b = await hetqn(['qba', '--primary', 'Alice', '--file', path.join(dir, 'trade.txt'), '--malicious', 'Frank', '--strategy', 'sneaky', '--json']);
  t.is(b.code, 2);
  t.like(oneObject(b.stdout).error, { code: 'bad-input', field: 'strategy' });
});

test('hetqn qba refuses what it cannot guarantee (exit 3) and names the bound: N = 3 with a malicious backup, d = f', async (t) => {
  const trade = path.join(dir, 'trade.txt');
  for (const depth of ['1', '2']) {
    const r = await hetqn(['qba', '--primary', 'David', '--nodes', 'David,Alice,Bob', '--depth', depth, '--malicious', 'Bob', '--file', trade, '--json']);
    t.is(r.code, 3, r.stderr);
    t.is(oneObject(r.stdout).error.code, 'refused');
    t.regex(oneObject(r.stdout).error.message, /B2 N - f >= 3/);
  }
  // Without --nodes the server checks the bounds: refused the same way.
  const d = await hetqn(['qba', '--primary', 'Alice', '--depth', '2', '--malicious', 'Alice,Bob', '--strategy', 'split', '--file', trade, '--json']);
  t.is(d.code, 3, d.stderr);
  t.is(oneObject(d.stdout).error.code, 'refused');
  t.regex(oneObject(d.stdout).error.message, /B3 d >= f \+ 1/);
});
