// `hetqn up --nats-mode cluster` as a user runs it: three private nats-servers in a cluster, every
// URL in the output, the state file and the bundles; with the member the server process is on killed
// (SIGKILL), `hetqn status` and a QKD session still work on the two left; `hetqn creds issue --rotate` (a
// new nkey: the config changes) reloads every member that runs; `hetqn down` stops the members. A bad mode, or a mode with
// a NATS of the user's own, is refused naming the option.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTs } from '../../runtime/launcher.ts';
import { cli } from '../sessions/helpers.ts';
import { pidAlive } from '../../runtime/state-file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-nats-mode-'));
const env = { HETQN_STATE_DIR: path.join(dir, 'state'), HETQN_PRIVATE_SERVERS: '1' };
const topo = path.join(dir, 'pair.json');

const run = (args: string[], extra: Record<string, string> = {}) => cli(args, { ...env, ...extra });

test.before(() => {
  fs.writeFileSync(topo, JSON.stringify({
    network: 'nmode',
    nodes: [
      { name: 'Ann', type: 'C', dof: 'pol', linkKm: 3, credential: 'ann-secret-1' },
      { name: 'Dee', type: 'D', dof: 'pol', linkKm: 7, credential: 'dee-secret-1' },
      { name: 'Gus', type: 'D', dof: 'pol', linkKm: 4, credential: 'gus-secret-1', attachLater: true },
    ],
  }));
});
test.after.always(async () => {
  await run(['down', '--net', 'nmode']).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('an unknown --nats-mode, or cluster with a NATS of the user\'s own, is refused naming the option', async (t) => {
  const bad = await run(['up', '--topology', topo, '--nats-mode', 'mesh', '--json']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--nats-mode: "mesh" must be one of single, cluster/);
  const own = await run(['up', '--topology', topo, '--nats-mode', 'cluster', '--nats', 'nats://127.0.0.1:1', '--json']);
  t.is(own.code, 2);
  t.regex(own.stderr, /--nats-mode: a NATS is given/);
});

/** The member (client port) a process is connected to: the peer port of its TCP connections. */
function memberPortOf(pid: number, ports: number[]): number | undefined {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => Number(l.trim().split(/\s+/)[3]?.split(':').pop())).find((p) => ports.includes(p));
}

test.serial('up --nats-mode cluster: all three URLs everywhere; with the server\'s member killed, status and a session work; creds issue --rotate reloads the members (the new identity joins); down stops them', async (t) => {
  const up = await run(['up', '-d', '--topology', topo, '--nats-mode', 'cluster', '--json']);
  const log = () => { try { return fs.readFileSync(path.join(dir, 'state', 'nmode.log'), 'utf8').split('\n').slice(-30).join('\n'); } catch { return ''; } };
  t.is(up.code, 0, `${up.stderr}\n${log()}`);
  const out = JSON.parse(up.stdout);
  t.is(out.natsServers.length, 3);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'nmode.json'), 'utf8'));
  t.deepEqual(state.natsServers, out.natsServers);
  t.is(state.natsPids.length, 3);
  t.deepEqual(JSON.parse(fs.readFileSync(state.bundles.client, 'utf8')).nats.servers, out.natsServers);
  const ports = out.natsServers.map((u: string) => Number(u.split(':').pop()));

  const server = state.processes.find((p: { name: string }) => p.name === 'server').pid as number;
  const victimPort = memberPortOf(server, ports);
  t.truthy(victimPort, 'the server process is connected to a member');
  const victim = state.natsPids[ports.indexOf(victimPort)] as number;
  process.kill(victim, 'SIGKILL');
  const st = await run(['status', '--net', 'nmode', '--json']);
  t.is(st.code, 0, st.stderr);
  const q = await run(['qkd', 'Dee', 'Ann', '--seconds', '0.01', '--json']);
  t.is(q.code, 0, `${q.stderr}\n${log()}`);
  t.true(JSON.parse(q.stdout).keyBits > 0);

  const c = await run(['creds', 'issue', '--node', 'Gus', '--rotate', '--net', 'nmode', '--out', path.join(dir, 'gus.json'), '--json']);
  t.is(c.code, 0, c.stderr);
  t.true(JSON.parse(c.stdout).reloaded, 'the members that run reloaded the config');
  // the reload took: Gus joins with his new nkey, through whichever live member he picks
  const gus = spawnTs('runtime/cli/main.ts', ['node', '--join', path.join(dir, 'gus.json'), '--json'], env);
  let gusOut = '', gusErr = '';
  gus.stderr!.on('data', (d) => { gusErr += d; });
  const joined = await new Promise<boolean>((resolve) => {
    gus.stdout!.on('data', (d) => { gusOut += d; if (gusOut.includes('"registered":true')) resolve(true); });
    gus.once('exit', () => resolve(false));
  });
  t.true(joined, gusErr);
  gus.kill('SIGTERM');
  await new Promise((r) => (gus.exitCode !== null ? r(null) : gus.once('exit', r)));

  const down = await run(['down', '--net', 'nmode', '--json']);
  t.is(down.code, 0, down.stderr);
  for (const pid of state.natsPids) t.false(pidAlive(pid), `member ${pid} stopped`);
});
