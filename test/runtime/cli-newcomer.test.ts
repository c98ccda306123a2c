// Issue 16 "a command line a newcomer trusts", case by case, as a user runs it: the reference network
// brought up with `hetqn up -d` from one directory (private NATS and Redis, state in a per-user state
// directory under a temporary HOME) and every other command run from another directory. Each case
// checks the message, the exit code of the one convention (2 bad input, 3 refused/unavailable, 4 failed,
// 5 timeout), the one JSON object with --json, and that the answer came well before a hang guard
// (the old behaviour waited about two minutes before failing); no timing is asserted otherwise.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-newcomer-'));
const home = path.join(tmp, 'home'), upDir = path.join(tmp, 'here'), elsewhere = path.join(tmp, 'elsewhere');
for (const d of [home, upDir, elsewhere]) fs.mkdirSync(d, { recursive: true });
const msg = path.join(elsewhere, 'msg.txt');
fs.writeFileSync(msg, 'pay 100 to Alice');

const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, HETQN_PRIVATE_SERVERS: '1' };
for (const k of ['HETQN_STATE_DIR', 'XDG_STATE_HOME', 'NATS_URL', 'REDIS_URL', 'HETQN_NET', 'HETQN_DEBUG']) delete env[k];

/** The old CLI answered these cases after ~2 minutes; a case that needs a guard this long has hung. */
const GUARD_MS = 100_000;

interface Run { code: number | null; stdout: string; stderr: string; hung: boolean }

function start(args: string[], cwd = elsewhere, onStdout?: (s: string) => void): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'runtime/cli/main.ts'), ...args], { cwd, env });
  let stdout = '', stderr = '', hung = false;
  child.stdout!.on('data', (d) => { stdout += d; onStdout?.(stdout); });
  child.stderr!.on('data', (d) => { stderr += d; });
  const guard = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, GUARD_MS);
  const done = new Promise<Run>((resolve) => child.once('exit', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr, hung }); }));
  return { child, done };
}
const hetqn = (args: string[], cwd = elsewhere) => start(args, cwd).done;

/** Exactly one JSON object on stdout. */
function one(r: Run): Record<string, any> {
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got ${lines.length}: ${r.stdout}\n${r.stderr}`);
  return JSON.parse(lines[0]!);
}

let up: Run;
test.before(async () => {
  up = await hetqn(['up', '-d'], upDir);
  if (up.code !== 0) throw new Error(`hetqn up -d failed (${up.code}): ${up.stderr}`);
});
test.after.always(async () => {
  await hetqn(['down']).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test.serial('up says what it waits for; the network is found from another directory (per-user state directory)', async (t) => {
  t.regex(up.stderr, /starting network reference: server \+ 5 nodes in 5 processes; waiting up to 90 s/);
  t.regex(up.stderr, /\[David\] David: registered/);
  t.true(fs.existsSync(path.join(home, '.local', 'state', 'hetqn', 'reference.json')));
  const st = await hetqn(['status', '--json', '--timeout', '5']);
  t.is(st.code, 0, st.stderr);
  t.is(one(st).network, 'reference');
  const other = await hetqn(['status', '--net', 'nosuch', '--json']);
  t.is(other.code, 3);
  t.like(one(other).error, { code: 'unavailable', field: 'net' });
  t.regex(one(other).error.message, /network "nosuch" is not running/);
});

test.serial('sign with empty pools: refused at once (exit 3) naming every short lane, authentication included, and the qkd runs', async (t) => {
  const r = await hetqn(['sign', '--signer', 'David', '--receiver', 'Alice', '--file', msg]);
  t.false(r.hung);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /checking the nodes and every pool the signature draws from/);
  t.regex(r.stderr, /not enough key in 3 pool lane\(s\)/);
  t.regex(r.stderr, /David->Alice secret: \d+ bits needed, 0 available/);
  t.regex(r.stderr, /Alice->(Bob|Charlie|Frank) secret: 381 bits needed, 0 available/);
  t.regex(r.stderr, /hetqn qkd David Alice --seconds [\d.]+ /);
  const j = await hetqn(['sign', '--signer', 'David', '--receiver', 'Alice', '--file', msg, '--json']);
  t.is(j.code, 3);
  const e = one(j).error;
  t.is(e.code, 'refused');
  t.is(e.short.length, 3);
  t.is(e.fill.length, 3);
  for (const f of e.fill) t.regex(f.command, /^hetqn qkd \w+ \w+ --seconds [\d.]+$/);
});

test.serial('qba and conference with short pools: refused at once with every short lane', async (t) => {
  const q = await hetqn(['qba', '--primary', 'Alice', '--file', msg, '--json']);
  t.false(q.hung);
  t.is(q.code, 3, q.stderr);
  const e = one(q).error;
  t.is(e.code, 'refused');
  // Every ordered pair of the five nodes but the primary's incoming lanes draws key in a depth-2 broadcast.
  t.true(e.short.length >= 10, `${e.short.length} short lanes`);
  const c = await hetqn(['conference', '--sponsor', 'David', '--bits', '1000']);
  t.is(c.code, 3);
  for (const p of ['Alice', 'Bob', 'Charlie', 'Frank']) t.regex(c.stderr, new RegExp(`David->${p} secret: 1381 bits needed`));
});

test.serial('sign --fill runs the QKD sessions first, then signs', async (t) => {
  const r = await hetqn(['sign', '--signer', 'David', '--receiver', 'Alice', '--file', msg, '--fill', '--json']);
  t.false(r.hung);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /--fill: running 3 QKD session\(s\) first/);
  t.regex(r.stderr, /pools filled; asking again for sign/);
  const o = one(r);
  t.true(o.forwarderAccept && o.verifierAccept && o.agree);
});

test.serial('qkd --bits is sized by the finite-key prediction, and a run that cannot give key is refused with the shortest one that can', async (t) => {
  const bits = await hetqn(['qkd', 'Alice', 'Bob', '--bits', '20000', '--json']);
  t.false(bits.hung);
  t.is(bits.code, 0, bits.stderr);
  const r = one(bits);
  t.true(r.prediction.secretBits >= 20_000, `predicted ${r.prediction.secretBits}`);
  t.true(r.l_sec > 0);
  for (const seconds of ['5', '60']) {
    const x = await hetqn(['qkd', 'Alice', 'Bob', '--seconds', seconds, '--json']);
    t.is(x.code, 3, x.stderr);
    const e = one(x).error;
    t.is(e.code, 'refused');
    t.regex(e.message, new RegExp(`predicts no secret key for a ${seconds} s run`));
    t.regex(e.message, /the shortest run with a key is about [\d.]+ s .*: hetqn qkd Alice Bob --seconds [\d.]+, or --force/);
  }
});

test.serial('no timer overflow: a run whose deadline no timer can hold is refused at once; --timeout beyond a timer is bad input', async (t) => {
  const r = await hetqn(['qkd', 'David', 'Alice', '--seconds', '1e6']);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /longer than a timer can hold \(24\.8 days\); at most about \d+ s on this pair/);
  t.notRegex(r.stderr, /calibration timed out/);
  const big = await hetqn(['qkd', 'David', 'Alice', '--timeout', '1e10', '--json']);
  t.is(big.code, 2);
  t.like(one(big).error, { code: 'bad-input', field: 'timeout' });
});

test.serial('messages name the real problem: unknown node (exit 2) vs known but not attached (exit 3)', async (t) => {
  const zed = await hetqn(['qkd', 'David', 'Zed', '--json']);
  t.is(zed.code, 2);
  t.like(one(zed).error, { code: 'unknown-node', field: 'B' });
  t.regex(one(zed).error.message, /^B: unknown node "Zed" in network reference/);
  t.notRegex(zed.stderr, /no platform answered/);
  const henry = await hetqn(['qkd', 'David', 'Henry', '--json']);
  t.is(henry.code, 3);
  t.like(one(henry).error, { code: 'unavailable', field: 'B' });
  t.regex(one(henry).error.message, /Henry is in network reference's topology but not attached \(attach it with `hetqn node --name Henry`\)/);
  const sign = await hetqn(['sign', '--signer', 'David', '--receiver', 'Zed', '--file', msg, '--json']);
  t.is(sign.code, 2);
  t.like(one(sign).error, { code: 'unknown-node', field: 'receiver' });
  const pools = await hetqn(['pools', '--node', 'Zed', '--json']);
  t.is(pools.code, 2);
  t.like(one(pools).error, { code: 'unknown-node', field: 'node' });
  const node = await hetqn(['node', '--name', 'Zed', '--json']);
  t.is(node.code, 2);
  t.like(one(node).error, { code: 'unknown-node', field: 'name' });
  t.regex(one(node).error.message, /Zed is not a node of network reference/);
});

test.serial('one convention: usage errors are bad input with one JSON object; every --timeout is seconds', async (t) => {
  const missing = await hetqn(['qkd', '--json']);
  t.is(missing.code, 2);
  t.like(one(missing).error, { code: 'bad-input', field: 'A' });
  const unknown = await hetqn(['status', '--bogus', '--json']);
  t.is(unknown.code, 2);
  t.like(one(unknown).error, { code: 'bad-input', field: 'bogus' });
  // Seconds: half a second is enough for the hypervisor; a sign deadline of 600 (seconds) is accepted.
  const st = await hetqn(['status', '--timeout', '0.5', '--json']);
  t.is(st.code, 0, st.stderr);
  for (const cmd of ['sign', 'qba', 'conference', 'status', 'qkd', 'up', 'down', 'node', 'pools']) {
    const h = await hetqn([cmd, '--help']);
    t.regex(h.stdout, /--timeout <s>/, `${cmd} --timeout is in seconds`);
  }
});

test.serial('hetqn --help and every command\'s help show a worked example', async (t) => {
  const top = await hetqn(['--help']);
  t.is(top.code, 0);
  t.regex(top.stdout, /Example:\n {2}\$ hetqn up -d/);
  t.regex(top.stdout, /Exit codes/);
  for (const cmd of [['up'], ['down'], ['status'], ['node'], ['inspect'], ['demo'], ['keyrate', 'bb84'], ['keyrate', 'mdi'], ['params', 'build'], ['pools'], ['sign'], ['qba'], ['conference'], ['qkd']]) {
    const h = await hetqn([...cmd, '--help']);
    t.is(h.code, 0);
    t.regex(h.stdout, /Example:\n {2}\$ /, `${cmd.join(' ')} --help has an example`);
  }
});

test.serial('an attached node stops when its network is taken down, instead of looping on NATS/Redis errors', async (t) => {
  let attached!: () => void;
  const seen = new Promise<void>((r) => { attached = r; });
  const george = start(['node', '--name', 'George', '--json'], elsewhere, (out) => { if (out.includes('"registered":true')) attached(); });
  await Promise.race([seen, george.done]);
  const down = await hetqn(['down', '--json']);
  t.is(down.code, 0, down.stderr);
  t.like(one(down), { net: 'reference', stopped: true });
  const g = await george.done;
  t.false(g.hung, 'George stopped on his own');
  t.is(g.code, 3);
  t.regex(g.stderr, /George: network reference is gone: .* unreachable for \d+ s; stopping/);
  t.notRegex(g.stderr, /Unhandled error event/);
  const after = await hetqn(['status', '--json']);
  t.is(after.code, 3);
  t.is(one(after).error.code, 'unavailable');
});

test('npm: no locked package requires a newer Node than this one (no EBADENGINE on npm ci)', (t) => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
  const major = Number(process.versions.node.split('.')[0]);
  const tooNew = Object.entries(lock.packages).filter(([, p]) => {
    const m = /^\s*>=?\s*v?(\d+)/.exec(p.engines?.node ?? '');
    return m && Number(m[1]) > major;
  }).map(([name, p]) => `${name} (${p.engines!.node})`);
  t.deepEqual(tooNew, []);
});
