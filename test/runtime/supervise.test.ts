// Supervision (issue 14 item 3; runtime/supervisor.ts): the restart budget follows its definition
// (OTP restart intensity, exponential backoff with a cap); a crash-looping process is given up on and
// the supervisor says so; on a real network (launcher.ts with a restart policy) a node and the server
// killed with SIGKILL come back with no manual step and the next session commits the same key at both
// ends; `hetqn node --restart` (a service) hosting two nodes is back after SIGKILL; a CLI call against a dead server (NATS up) and against a dead network (NATS gone) exits
// with the reason and its exit code.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { launchCluster, spawnTs, stopChild, type Cluster } from '../../runtime/launcher.ts';
import { RestartBudget, exitText, supervise, type RestartPolicy } from '../../runtime/supervisor.ts';
import { CLIENT } from '../../runtime/subjects.ts';
import { qkd, sameKeyBothEnds, stopEnv, waitUntil, cli, type Env } from '../sessions/helpers.ts';

const POLICY: RestartPolicy = { initialMs: 500, factor: 2, maxMs: 30_000, intensity: 5, periodMs: 60_000 };

test('the restart budget: delays 0.5, 1, 2, 4, 8 s within a minute, then gives up on the 6th crash', (t) => {
  const b = new RestartBudget(POLICY);
  // initialMs * factor^(k-1) for k = 1..5 (the definition), crashes one second apart.
  const expected = [500, 1000, 2000, 4000, 8000];
  for (const [i, d] of expected.entries()) t.deepEqual(b.crashed(i * 1000), { restart: true, n: i + 1, delayMs: d });
  const v = b.crashed(5000);
  t.false(v.restart);
  t.regex((v as { reason: string }).reason, /6 crashes within 60 s \(at most 5 restarts in 60 s\)/);
});

test('the restart budget: the cap holds, and crashes older than the period no longer count', (t) => {
  const b = new RestartBudget({ initialMs: 1000, factor: 10, maxMs: 5000, intensity: 3, periodMs: 10_000 });
  t.deepEqual(b.crashed(0), { restart: true, n: 1, delayMs: 1000 });
  t.deepEqual(b.crashed(1), { restart: true, n: 2, delayMs: 5000 }); // 10 000 capped at 5 000
  // 20 s later the window holds this crash alone: the backoff starts over, the total goes on.
  t.deepEqual(b.crashed(20_000), { restart: true, n: 3, delayMs: 1000 });
});

test('exit codes are said as the shell says them', (t) => {
  t.is(exitText(null, 'SIGKILL'), 'code 137 (SIGKILL)'); // 128 + 9
  t.is(exitText(null, 'SIGTERM'), 'code 143 (SIGTERM)'); // 128 + 15
  t.is(exitText(3, null), 'code 3');
});

test('a process that keeps crashing is restarted with backoff, then given up on, and each step is said', async (t) => {
  const lines: string[] = [];
  let starts = 0;
  const gaveUp = await new Promise<string>((resolve) => {
    supervise({
      name: 'crasher', log: (l) => lines.push(l), onGiveUp: resolve,
      policy: { initialMs: 20, factor: 2, maxMs: 50, intensity: 3, periodMs: 60_000 },
      start: () => { starts++; return spawn(process.execPath, ['-e', 'process.exit(7)']); },
    });
  });
  t.is(starts, 4, 'the first start and 3 restarts');
  t.deepEqual(lines.slice(0, 3), [
    '[supervisor] crasher exited with code 7; restart 1 in 0.0 s',
    '[supervisor] crasher exited with code 7; restart 2 in 0.0 s',
    '[supervisor] crasher exited with code 7; restart 3 in 0.1 s', // min(50, 20 * 2^2) = 50 ms
  ]);
  t.is(lines[3], '[supervisor] crasher exited with code 7; giving up after 3 restarts: 4 crashes within 60 s (at most 3 restarts in 60 s)');
  t.regex(gaveUp, /4 crashes/);
});

test('a process that exits 0 (asked to stop, or done) is not restarted', async (t) => {
  let starts = 0;
  const lines: string[] = [];
  const s = supervise({ name: 'done', log: (l) => lines.push(l), start: () => { starts++; return spawn(process.execPath, ['-e', '0']); } });
  await new Promise((r) => s.child.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  t.is(starts, 1);
  t.deepEqual(lines, []);
});

let env: Env | undefined;
const log: string[] = [];
let dead: Cluster | undefined;
let service: ChildProcess | undefined;
const deadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-dead-'));
test.after.always(async () => { if (service) await stopChild(service); await stopEnv(env); await dead?.stop(); fs.rmSync(deadDir, { recursive: true, force: true }); });

test.serial('a node and the server killed with SIGKILL are restarted by the supervisor; the next session commits', async (t) => {
  const topology = loadTopology(referenceTopologyPath());
  const cluster = await launchCluster({ topology, forwardChildLogs: false, log: (l) => log.push(l), restart: { ...POLICY, initialMs: 200 } });
  env = { nats: cluster.servers.nats!, redis: cluster.servers.redis!, cluster, stores: new Map() };
  const e = env;
  const alice = cluster.children.find((c) => c.name === 'Alice')!;
  const server = cluster.children.find((c) => c.role === 'server')!;
  const [alicePid, serverPid] = [alice.pid, server.pid];

  alice.child.kill('SIGKILL');
  await waitUntil(() => log.some((l) => l === '[supervisor] Alice exited with code 137 (SIGKILL); restart 1 in 0.2 s'), 'the supervisor to say it restarts Alice', 10_000);
  server.child.kill('SIGKILL');
  await waitUntil(() => log.some((l) => l === '[supervisor] server exited with code 137 (SIGKILL); restart 1 in 0.2 s'), 'the supervisor to say it restarts the server', 10_000);

  // New processes, and the (new) hypervisor sees every node up again: no manual step.
  await waitUntil(() => alice.pid !== alicePid && server.pid !== serverPid, 'new pids', 30_000);
  await cluster.waitUp(topology.nodes.filter((n) => !n.attachLater).map((n) => n.name), 120_000);
  t.is(alice.restarts, 1);
  t.is(server.restarts, 1);

  const o = await qkd(e, 'David', 'Alice', { seconds: 0.01 });
  t.true(o.ok, o.reason);
  t.true((await sameKeyBothEnds(e, 'Alice', 'David', 128)).equal, 'both ends hand out the same key');
});

test.serial('`hetqn node --join G --join H --restart`: two nodes in one supervised process, back after SIGKILL', async (t) => {
  const e = env!;
  const c = spawnTs('runtime/cli/main.ts', ['node', '--join', e.cluster.bundleFile('George'), '--join', e.cluster.bundleFile('Henry'), '--restart', '--json'], {});
  service = c;
  let out = '', err = '';
  c.stdout!.on('data', (d) => { out += d; });
  c.stderr!.on('data', (d) => { err += d; });
  await waitUntil(() => out.includes('\n') || c.exitCode !== null, 'the service to print its result', 120_000);
  const r = JSON.parse(out.split('\n')[0]!);
  t.deepEqual(r.nodes, ['George', 'Henry'], err);
  t.true(r.supervised);
  const up = async (names: string[]) => { const v = await e.cluster.status(); return names.every((n) => v.nodes.find((x) => x.name === n)?.state === 'up'); };
  t.true(await up(['George', 'Henry']));

  process.kill(r.pid, 'SIGKILL');
  await waitUntil(() => err.includes('[supervisor] George+1 exited with code 137 (SIGKILL); restart 1 in 0.5 s'), 'the service to say it restarts the process', 10_000);
  // Registered lines are relayed only once the result is printed: these come from the new process.
  await waitUntil(() => err.includes('George: registered') && err.includes('Henry: registered'), 'both nodes to register again', 120_000);
  await waitUntil(() => up(['George', 'Henry']), 'George and Henry up again', 60_000);
  await stopChild(c);
  service = undefined;
  t.is(c.exitCode, 0, err.split('\n').slice(-5).join('\n'));
});

test.serial('a CLI call against a dead server, then a dead network, exits with the reason', async (t) => {
  // A server alone (no nodes, no Redis), not supervised: killed, it stays dead.
  // Its own directory (kept after stop: the client's bundle outlives the network, as a user's does).
  dead = await launchCluster({ topology: loadTopology(referenceTopologyPath()), dir: deadDir, startNodes: false, redisUrl: 'redis://127.0.0.1:1', forwardChildLogs: false, log: () => undefined });
  const bundle = dead.bundleFile(CLIENT), net = dead.net;
  const as = (args: string[]) => cli([...args, '--net', net, '--json'], { HETQN_BUNDLE: bundle });
  const server = dead.children.find((c) => c.role === 'server')!;
  server.child.kill('SIGKILL');
  await waitUntil(() => server.child.exitCode !== null || server.child.signalCode !== null, 'the server to die');

  for (const args of [['status', '--timeout', '3'], ['qkd', 'Alice', 'David', '--timeout', '3']]) {
    const r = await as(args);
    t.not(r.code, 0, `${args[0]}: ${r.stderr}`);
    const err = JSON.parse(r.stdout).error;
    t.true(['timeout', 'unavailable'].includes(err.code), `${args[0]}: ${err.code}`);
    t.regex(err.message, /server|platform|hypervisor/i, `${args[0]} names what did not answer: ${err.message}`);
    t.log(`${args.join(' ')} -> exit ${r.code}: ${err.message}`);
  }

  await dead.stop();
  dead = undefined;
  const r = await as(['status', '--timeout', '3']);
  t.is(r.code, 3, r.stderr);
  const err = JSON.parse(r.stdout).error;
  t.is(err.code, 'unavailable');
  t.regex(err.message, /NATS|nats:\/\/|connect/i, err.message);
  t.log(`status (network gone) -> exit ${r.code}: ${err.message}`);
});
