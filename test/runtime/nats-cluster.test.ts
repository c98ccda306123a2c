// The private NATS cluster (infra/nats-cluster.ts; launchCluster natsMode 'cluster'): three members
// loading the network's one authorization config, routes TLS (verify) when TLS is on; bundles carry
// every member's URL; with one member dead, new connections (as a CLI call makes them) and the running
// processes go to the others. Routes authenticate: a nats-server that dials a member's route port
// without the route password gets no message of the cluster, and with it does (the control).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadTopology } from '../../infra/topology.ts';
import { freePort, waitForPort } from '../../infra/free-port.ts';
import { findBinary } from '../../infra/servers.ts';
import { startNatsCluster, type ManagedNatsCluster } from '../../infra/nats-cluster.ts';
import { launchCluster, spawnTs, type Cluster } from '../../runtime/launcher.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { CLIENT } from '../../runtime/subjects.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-natscluster-'));
const topoFile = path.join(dir, 'cl.json');
fs.writeFileSync(topoFile, JSON.stringify({
  network: 'clnet',
  nodes: [
    { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' },
    { name: 'David', type: 'D', dof: 'pol', linkKm: 3, credential: 'david-secret' },
  ],
}));
let cluster: Cluster | undefined;
let plain: ManagedNatsCluster | undefined;
const conns: NatsConnection[] = [];
const rogues: ChildProcess[] = [];

test.after.always(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  for (const r of rogues) if (r.exitCode === null) { r.kill('SIGKILL'); await new Promise((res) => r.once('exit', res)); }
  await plain?.stop();
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cliStatus(extra: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  const c = spawnTs('runtime/cli/main.ts', ['status', '--net', 'clnet', '--json', ...extra], { HETQN_BUNDLE: cluster!.bundleFile(CLIENT) });
  let out = '', err = '';
  c.stdout!.on('data', (d) => { out += d; });
  c.stderr!.on('data', (d) => { err += d; });
  return new Promise((r) => c.once('exit', (code) => r({ code, out, err })));
}

test.serial('a TLS cluster of three: same authorization on every member, routes TLS with verify, bundles carry all URLs; with a member dead new connections and the CLI go to the others', async (t) => {
  cluster = await launchCluster({ topology: loadTopology(topoFile), natsMode: 'cluster', tls: true, redisUrl: 'redis://127.0.0.1:1', forwardChildLogs: false, log: () => {} });
  const members = cluster.servers.natsCluster!.servers;
  t.is(members.length, 3);
  t.deepEqual(cluster.bundle('Alice').nats.servers, members.map((m) => m.url));
  const view = await cluster.status();
  t.deepEqual(view.nodes.filter((n) => n.state === 'up').map((n) => n.name).sort(), ['Alice', 'David']);
  const netDir = path.dirname(cluster.issuerFile);
  for (let i = 1; i <= 3; i++) {
    const f = path.join(netDir, `nats-cluster-${i}.conf`);
    t.is(fs.statSync(f).mode & 0o777, 0o600, `${f} holds the route password`);
    const conf = fs.readFileSync(f, 'utf8');
    t.regex(conf, /^include "nats\.conf"$/m);
    t.regex(conf, /cluster \{[\s\S]*tls \{[\s\S]*verify: true/);
  }

  await members[0]!.kill();
  // Bundles list the dead member too; the client picks at random, so several connections try it first.
  const b = cluster.bundle(CLIENT);
  for (let i = 0; i < 8; i++) {
    const bus = await NatsBus.connect({ servers: b.nats.servers, name: `probe-${i}`, net: 'clnet', identity: CLIENT, seed: b.nats.seed, ca: b.ca });
    t.not(bus.nc.getServer(), members[0]!.url.replace('nats://', ''));
    await bus.close();
  }
  // the CLI with the bundle's list, and with the servers given as a comma list, the dead one first
  for (const extra of [[], ['--nats', members.map((m) => m.url).join(',')]]) {
    const s = await cliStatus(extra);
    t.is(s.code, 0, s.err);
    t.is(JSON.parse(s.out).network, 'clnet');
  }
  // the running processes are (still, or again) registered
  const after = await cluster.status(10_000);
  t.deepEqual(after.nodes.filter((n) => n.state === 'up').map((n) => n.name).sort(), ['Alice', 'David']);
  await members[0]!.restart();
  await cluster.servers.natsCluster!.waitRouted(30_000);
});

/** A nats-server of nobody's that dials a member's route port, with or without the route password. */
async function rogue(routeUrl: string): Promise<{ url: string }> {
  const port = await freePort();
  const c = spawn(findBinary('nats-server')!, ['-a', '127.0.0.1', '-p', String(port), '--cluster_name', 'hetqn', '--cluster', `nats://127.0.0.1:${await freePort()}`, '--routes', routeUrl], { stdio: 'ignore' });
  rogues.push(c);
  await waitForPort(port, '127.0.0.1', 15_000);
  return { url: `nats://127.0.0.1:${port}` };
}

test.serial('routes authenticate: a server dialling a member\'s route port without the password gets no message through; with it, it does', async (t) => {
  const cdir = fs.mkdtempSync(path.join(dir, 'plain-'));
  fs.writeFileSync(path.join(cdir, 'nats.conf'), 'authorization { users = [ { user: "u", password: "pw-of-the-test-user" } ] }\n');
  plain = await startNatsCluster({ configFile: path.join(cdir, 'nats.conf') });
  const conf = fs.readFileSync(path.join(cdir, 'nats-cluster-1.conf'), 'utf8');
  const routePort = conf.match(/listen: "127\.0\.0\.1:(\d+)"/)![1];
  const password = conf.match(/password: "([0-9a-f]+)"/)![1];
  const sub = await connect({ servers: plain.urls[0], user: 'u', pass: 'pw-of-the-test-user' });
  conns.push(sub);
  const got: string[] = [];
  sub.subscribe('secret.>', { callback: (_e, m) => { got.push(m.subject); } });
  await sub.flush();

  const send = async (url: string, subj: string, ms: number) => {
    const nc = await connect({ servers: url });
    conns.push(nc);
    const until = Date.now() + ms;
    while (Date.now() < until && !got.includes(subj)) { nc.publish(subj); await nc.flush(); await new Promise((r) => setTimeout(r, 200)); }
  };
  const without = await rogue(`nats-route://127.0.0.1:${routePort}`);
  await send(without.url, 'secret.without', 4000);
  t.false(got.includes('secret.without'), 'nothing crosses a route without the password');
  const withPw = await rogue(`nats-route://hetqn-route:${password}@127.0.0.1:${routePort}`);
  const at = Date.now();
  await send(withPw.url, 'secret.with', 20_000);
  t.log(`with the password, the message crossed ${Date.now() - at} ms after the rogue started (without it, 4000 ms were given)`);
  t.regex(fs.readFileSync(path.join(plain.servers[0]!.dir, 'nats.log'), 'utf8'), /authoriz|authentic/i, 'the member logged the refused route');
  t.true(got.includes('secret.with'), 'the control: the same route with the password carries it');
});
