// The multi-host harness (test/helpers/netns.ts) works: three network namespaces as hosts; nats-server
// and redis-server run in `srv` bound to its lab address; from `h1` and `h2` a Node process reaches both
// by that address (a NATS request answered across hosts, Redis PING/SET/GET); a host reaches neither
// another namespace's loopback services nor the root namespace. Needs root and iproute2: without them the
// before hook fails with the reason.
import test from 'ava';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { findBinary } from '../../infra/servers.ts';
import { createLab, type Lab, type NsProcess } from '../helpers/netns.ts';
import { nonLoopbackAddress } from '../helpers/local-address.ts';

const PROBE = 'test/multihost/probe.ts';
let lab: Lab | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-netns-'));
const redisPassword = randomBytes(16).toString('hex');
let natsUrl = '', redisUrl = '';
let rootListener: net.Server | undefined;

test.before(async () => {
  lab = await createLab(['srv', 'h1', 'h2']);
  const srv = lab.hosts.srv!;
  const natsBin = findBinary('nats-server'), redisBin = findBinary('redis-server');
  if (!natsBin || !redisBin) throw new Error('nats-server and redis-server are needed (apt-get install -y nats-server redis-server)');
  const nats = lab.spawn('srv', natsBin, ['-a', srv.address, '-p', '4222']);
  const redis = lab.spawn('srv', redisBin, ['--port', '6379', '--bind', srv.address, '--requirepass', redisPassword,
    '--save', '', '--appendonly', 'no', '--dir', dataDir, '--daemonize', 'no']);
  await Promise.all([nats.waitForLine(/Server is ready/), redis.waitForLine(/Ready to accept connections/)]);
  natsUrl = `nats://${srv.address}:4222`;
  redisUrl = `redis://${srv.address}:6379`;
});

test.after.always(async () => {
  await lab?.stop();
  await new Promise<void>((r) => (rootListener ? rootListener.close(() => r()) : r()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Run the probe in a host and return its JSON result line. */
async function probe(host: string, args: string[]): Promise<Record<string, unknown>> {
  const p = lab!.spawnNode(host, PROBE, args, { env: { HOST_TAG: host } });
  const line = await p.waitForLine(/^\{/, 60_000);
  await p.exited;
  return JSON.parse(line) as Record<string, unknown>;
}

async function serve(host: string, args: string[]): Promise<NsProcess> {
  const p = lab!.spawnNode(host, PROBE, args, { env: { HOST_TAG: host } });
  await p.waitForLine(/"(ready|listening)":true/, 60_000);
  return p;
}

test.serial('the lab: unique namespaces, each with lo and eth0 in one private /24', (t) => {
  const hosts = Object.values(lab!.hosts);
  t.deepEqual(hosts.map((h) => h.name), ['srv', 'h1', 'h2']);
  for (const h of hosts) {
    t.true(h.ns.startsWith(`hq-${lab!.id}-`), h.ns);
    const addrs = lab!.exec(h.name, 'ip', ['-br', 'addr']).stdout;
    t.regex(addrs, /^lo\s+UNKNOWN\s+127\.0\.0\.1\/8/m, h.name);
    t.true(addrs.includes(`${h.address}/24`), addrs);
  }
  t.is(new Set(hosts.map((h) => h.address.split('.').slice(0, 3).join('.'))).size, 1);
  // The servers listen on the server host's lab address only.
  const listening = lab!.exec('srv', 'ss', ['-Hltn']).stdout;
  t.true(listening.includes(`${lab!.hosts.srv!.address}:4222`), listening);
  t.true(listening.includes(`${lab!.hosts.srv!.address}:6379`), listening);
  t.false(/(0\.0\.0\.0|\*|127\.0\.0\.1):(4222|6379)\b/.test(listening), listening);
});

test.serial('from h1 and h2: a NATS request answered across hosts, and Redis in srv', async (t) => {
  const echo = await serve('h1', ['nats-echo', natsUrl, 'smoke.h1']);
  t.deepEqual(await probe('h2', ['nats-ask', natsUrl, 'smoke.h1', 'ping from h2']), { reply: 'ping from h2@h1' });
  await echo.stop();
  t.deepEqual(await probe('h1', ['redis', redisUrl, redisPassword, 'smoke', 'written by h1']), { pong: 'PONG', value: 'OK' });
  t.deepEqual(await probe('h2', ['redis', redisUrl, redisPassword, 'smoke']), { pong: 'PONG', value: 'written by h1' });
});

test.serial('isolation: loopback services of another namespace and the root namespace are out of reach', async (t) => {
  const h2Service = await serve('h2', ['tcp-listen', '127.0.0.1', '7000']);
  // Control: inside h2 the service answers.
  t.deepEqual(await probe('h2', ['tcp-connect', '127.0.0.1', '7000']), { connected: true, greeting: 'hello from h2' });
  t.deepEqual(await probe('h1', ['tcp-connect', '127.0.0.1', '7000']), { connected: false, code: 'ECONNREFUSED' });
  t.deepEqual(await probe('h1', ['tcp-connect', lab!.hosts.h2!.address, '7000']), { connected: false, code: 'ECONNREFUSED' });
  await h2Service.stop();
  // A service on the root namespace's loopback is not h1's loopback.
  rootListener = net.createServer((s) => s.end('root\n'));
  const port = await new Promise<number>((r) => rootListener!.listen(0, '127.0.0.1', () => r((rootListener!.address() as net.AddressInfo).port)));
  t.deepEqual(await probe('h1', ['tcp-connect', '127.0.0.1', String(port)]), { connected: false, code: 'ECONNREFUSED' });
  // The lab has no route out of its /24.
  const rootAddress = nonLoopbackAddress();
  if (rootAddress) t.deepEqual(await probe('h1', ['tcp-connect', rootAddress, String(port)]), { connected: false, code: 'ENETUNREACH' });
});
