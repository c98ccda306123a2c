// `hetqn up --redis-mode sentinel|cluster` as a user runs it: the launcher starts a private Sentinel setup (one
// master, two replicas, three sentinels) or Redis Cluster (3 masters, 3 replicas), installs the node users on
// every data node, the nodes reach their pools with their own users (through the sentinels, or the cluster's
// slot map), a QKD session commits, `hetqn pools` reads the pools through the same URL (for Sentinel with the
// sentinels' client user from the state file), and `hetqn down` stops every Redis it started. A bad mode is
// refused naming the option.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../sessions/helpers.ts';
import { pidAlive } from '../../runtime/state-file.ts';
import { isPortOpen } from '../../infra/free-port.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-redis-mode-'));
// HETQN_PRIVATE_SERVERS: private NATS and Redis whatever NATS_URL/REDIS_URL say.
const env = { HETQN_STATE_DIR: path.join(dir, 'state'), HETQN_PRIVATE_SERVERS: '1' };
const topo = path.join(dir, 'pair.json');

const run = (args: string[]) => cli(args, env);

test.before(() => {
  fs.writeFileSync(topo, JSON.stringify({
    network: 'rmode',
    nodes: [
      { name: 'Ann', type: 'C', dof: 'pol', linkKm: 3, credential: 'ann-secret-1' },
      { name: 'Dee', type: 'D', dof: 'pol', linkKm: 7, credential: 'dee-secret-1' },
    ],
  }));
});
// A failed test leaves its network up: bring it down before the next mode starts.
test.afterEach.always(async () => { await run(['down', '--net', 'rmode']).catch(() => undefined); });
test.after.always(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('an unknown --redis-mode is refused, naming the option', async (t) => {
  const r = await run(['up', '--topology', topo, '--redis-mode', 'replicated', '--json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--redis-mode: "replicated" must be one of single, cluster, sentinel/);
});

const EXPECT = {
  sentinel: /^redis-sentinel:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/hetqn\?wait=2$/, // three sentinels, both replicas to wait for
  cluster: /^redis-cluster:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/, // the three masters as seeds, wait=1 (the default)
};

for (const mode of ['sentinel', 'cluster'] as const) {
  test.serial(`up --redis-mode ${mode}: a session commits, pools are read through the ${mode} URL, down stops every Redis`, async (t) => {
    const up = await run(['up', '-d', '--topology', topo, '--redis-mode', mode, '--json']);
    const log = () => { try { return fs.readFileSync(path.join(dir, 'state', 'rmode.log'), 'utf8').split('\n').slice(-30).join('\n'); } catch { return ''; } };
    t.is(up.code, 0, `${up.stderr}\n${log()}`);
    const address = JSON.parse(up.stdout).redisUrl as string;
    t.regex(address, EXPECT[mode]);
    const ports = [...address.matchAll(/:(\d+)(?=[,/]|$)/g)].map((m) => Number(m[1]));
    t.is(ports.length, 3);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'rmode.json'), 'utf8'));
    // The sentinels' discovery user travels in the bundles (here the server's, which `hetqn pools` reads); no secret is in the state file.
    const serverBundle = JSON.parse(fs.readFileSync(state.bundles.server, 'utf8'));
    if (mode === 'sentinel') t.truthy(serverBundle.redis.sentinel?.password, 'the sentinels\' client user is in the bundles');
    t.false(JSON.stringify(state).includes(serverBundle.redis.password));
    for (const port of ports) t.true(await isPortOpen(port), `${mode} node on ${port}`);

    const q = await run(['qkd', 'Dee', 'Ann', '--seconds', '0.01', '--json']);
    t.is(q.code, 0, q.stderr);
    const bits = JSON.parse(q.stdout).keyBits as number;
    t.true(bits > 0);
    const p = await run(['pools', '--net', 'rmode', '--node', 'Dee', '--json']);
    t.is(p.code, 0, p.stderr);
    const pools = JSON.parse(p.stdout);
    t.regex(pools.redisUrl, new RegExp(`^redis-${mode}://127\\.0\\.0\\.1:`)); // the server's statistics user from its bundle, not the admin
    t.is(pools.pools.find((x: { peer: string; kind: string }) => x.peer === 'Ann' && x.kind === 'secret')?.bitsIn, bits);

    const down = await run(['down', '--net', 'rmode', '--json']);
    t.is(down.code, 0, down.stderr);
    t.false(pidAlive(state.pid));
    for (const port of ports) t.false(await isPortOpen(port), `${mode} node on ${port} stopped`);
  });
}
