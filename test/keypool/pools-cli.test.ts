// `hetqn pools`: reads pool statistics with the server's Redis user (no access to key material).
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { credentialUrl, generatePoolUsers } from '../../infra/keypool/acl.ts';
import { blockOf, deposit } from './helpers.ts';
import { Command } from 'commander';
import { register } from '../../runtime/cli/commands/pools.ts';
import { CliError } from '../../runtime/cli/output.ts';

const run = promisify(execFile);
let srv: ManagedServer;
const conns: Redis[] = [];
let serverUrl = '';

test.before(async () => {
  const users = generatePoolUsers('cli', ['Alice', 'Bob']);
  srv = await startRedis({ users: users.aclLines });
  const open = (n: 'Alice' | 'Bob') => { const r = new Redis(srv.address, { username: users.nodes[n].username, password: users.nodes[n].password, enableReadyCheck: false }); conns.push(r); return new KeyPoolStore(r, { net: 'cli', owner: n }); };
  const a = open('Alice'), b = open('Bob');
  await deposit(a, b, 'secret', blockOf('x', 10_000, 1));
  await deposit(a, b, 'psk', blockOf('p', 2_000, 2));
  await a.configure('Bob', 'secret', { lowWaterBits: 4_900 });
  const w = await a.withdraw('Bob', 'secret', 256, { count: 2 });
  await b.take('Alice', 'secret', w.keys.map((k) => k.refs));
  serverUrl = credentialUrl(srv.address, users.server);
});
test.after.always(async () => { for (const c of conns) c.disconnect(); await srv?.stop(); });

const hetqnProcess = (...args: string[]) => run('npx', ['tsx', 'runtime/cli/main.ts', ...args], { env: { ...process.env, HETQN_STATE_DIR: '/nonexistent-hetqn' } });

/** Run the command in this process (the CLI's start-up imports every command, too slow to repeat). */
async function hetqn(...args: string[]): Promise<{ stdout: string }> {
  const program = new Command('hetqn').exitOverride();
  register(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => { stdout += chunk; return true; }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CliError) throw Object.assign(e, { stdout: JSON.stringify({ error: e.message }), code: e.exitCode });
    throw e;
  } finally { process.stdout.write = write; }
  return { stdout };
}

test('--json lists every pool with level, rates and consumption, using the server user', async (t) => {
  const { stdout } = await hetqn('pools', '--net', 'cli', '--redis-url', serverUrl, '--json');
  const out = JSON.parse(stdout) as { net: string; redisUrl: string; pools: Record<string, unknown>[] };
  t.is(out.net, 'cli');
  t.false(out.redisUrl.includes(new URL(serverUrl).password), 'password is redacted');
  const rows = out.pools.map((p) => [p.owner, p.peer, p.kind, p.available, p.availablePeer, p.bitsIn, p.bitsOut, p.bitsOutRef, p.belowLowWater]);
  t.deepEqual(rows, [
    ['Alice', 'Bob', 'psk', 1000, 1000, 2000, 0, 0, false],
    ['Alice', 'Bob', 'secret', 4488, 5000, 10_000, 512, 0, true],
    ['Bob', 'Alice', 'psk', 1000, 1000, 2000, 0, 0, false],
    ['Bob', 'Alice', 'secret', 5000, 4488, 10_000, 0, 512, false],
  ]);
  for (const p of out.pools) t.true((p.fillRateBps as number) > 0);
  const { stdout: one } = await hetqn('pools', '--net', 'cli', '--node', 'Bob', '--redis-url', serverUrl);
  t.regex(one, /Bob\s+Alice\s+secret/);
  t.notRegex(one, /Alice\s+Bob/);
});

test('bad arguments are named', async (t) => {
  const err = await hetqn('pools', '--net', 'cli', '--node', 'B*b', '--redis-url', serverUrl, '--json').then(() => ({ code: 0, stdout: '{}' }), (e) => e as { code: number; stdout: string });
  t.is(err.code, 2);
  t.regex(JSON.parse(err.stdout).error, /--node/);
  const err2 = await hetqn('pools', '--net', 'cli', '--redis-url', 'redis://127.0.0.1:1', '--json').catch((e) => e as { code: number; stdout: string });
  t.regex(JSON.parse(err2.stdout).error, /--redis-url/);
});

test('the hetqn binary has the command registered', async (t) => {
  const { stdout } = await hetqnProcess('pools', '--net', 'cli', '--node', 'Alice', '--redis-url', serverUrl, '--json');
  t.deepEqual((JSON.parse(stdout) as { pools: { peer: string }[] }).pools.map((p) => p.peer), ['Bob', 'Bob']);
});
