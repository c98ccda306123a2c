// Multi-host deployment commands on one host, as an operator runs them: `hetqn server` (the server
// alone, private secured servers, issuer file on the admin host), `hetqn creds issue` (a 0600 bundle
// with exactly one node's secrets), `hetqn node --join` (no state file, no topology), and identities
// added or rotated while the bus runs (the NATS config is rewritten and nats-server reloaded).
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { spawnTs, stopChild } from '../../runtime/launcher.ts';
import { loadIssuer } from '../../infra/issuer.ts';
import { pairKey } from '../../infra/psk.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-deploy-'));
const state = path.join(dir, 'admin-state');
const topo = path.join(dir, 'deploy.json');
const nodes = [
  { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' },
  { name: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, credential: 'bob-secret-0' },
  { name: 'David', type: 'D', dof: 'pol', linkKm: 3, credential: 'david-secret', attachLater: true },
];
fs.writeFileSync(topo, JSON.stringify({ network: 'deploy', nodes }));
const admin = { HETQN_STATE_DIR: state, REDIS_URL: '' };
const running: ChildProcess[] = [];
let server: { natsServers: string[]; issuer: string };

function run(args: string[], env: Record<string, string> = admin): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  let stdout = ''; let stderr = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  c.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => c.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A long-running command; resolves with its first stdout line. */
function start(args: string[], env: Record<string, string>): Promise<string> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  running.push(c);
  let out = ''; let err = '';
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d) => { out += d; const i = out.indexOf('\n'); if (i >= 0) resolve(out.slice(0, i)); });
    c.stderr!.on('data', (d) => { err += d; });
    c.once('exit', (code) => reject(new Error(`hetqn ${args[0]} exited ${code}: ${err}`)));
  });
}

const canConnect = async (seed: string) => {
  try { const nc = await connect({ servers: server.natsServers, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), maxReconnectAttempts: 0 }); await nc.close(); return true; } catch { return false; }
};
async function eventually(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await cond())) { if (Date.now() > deadline) throw new Error(`timed out: ${what}`); await new Promise((r) => setTimeout(r, 100)); }
}

test.before(async () => {
  server = JSON.parse(await start(['server', '--topology', topo, '--json'], { ...admin, REDIS_URL: '' }));
});
test.after.always(async () => {
  for (const c of running.reverse()) await stopChild(c);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('hetqn server runs the server alone; its issuer file is 0600 on the admin host, and no node runs', async (t) => {
  t.is(fs.statSync(server.issuer).mode & 0o777, 0o600);
  const st = await run(['status', '--net', 'deploy', '--json']);
  t.is(st.code, 0, st.stderr);
  t.deepEqual(JSON.parse(st.stdout).nodes.map((n: { state: string }) => n.state), ['expected', 'expected', 'expected']);
  // pool statistics with the server's Redis user, from its bundle on this host
  const pools = await run(['pools', '--net', 'deploy', '--json']);
  t.is(pools.code, 0, pools.stderr);
  t.like(JSON.parse(pools.stdout), { net: 'deploy', pools: [] });
});

test.serial('creds issue writes a 0600 bundle with exactly one node\'s secrets, and node --join runs it with nothing else', async (t) => {
  const out = path.join(dir, 'alice.json');
  const r = await run(['creds', 'issue', '--node', 'Alice', '--out', out, '--json']);
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { identity: 'Alice', role: 'node', peers: ['Bob', 'David'] });
  t.is(fs.statSync(out).mode & 0o777, 0o600);
  const b = JSON.parse(fs.readFileSync(out, 'utf8'));
  t.deepEqual(Object.keys(b).sort(), ['identity', 'issuedAt', 'kind', 'nats', 'network', 'node', 'psk', 'redis', 'role', 'version']);
  t.deepEqual(Object.keys(b.nats).sort(), ['seed', 'servers']);
  t.deepEqual(b.nats.servers, server.natsServers);
  t.regex(b.nats.seed, /^SU[A-Z0-9]{50,}$/);
  t.deepEqual(Object.keys(b.redis).sort(), ['password', 'url', 'username']);
  t.is(b.redis.username, 'qn-deploy-Alice');
  t.notRegex(b.redis.url, /@/);
  t.deepEqual(b.node, { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' });
  const issuer = loadIssuer(server.issuer);
  t.deepEqual(b.psk, { Bob: issuer.pairs[pairKey('Alice', 'Bob')], David: issuer.pairs[pairKey('Alice', 'David')] });
  t.false(JSON.stringify(b).includes(issuer.pairs[pairKey('Bob', 'David')]!));
  t.false(JSON.stringify(b).includes(issuer.identities.server!.seed));
  // Another host: an empty state directory, no topology, the bundle only.
  const line = await start(['node', '--join', out, '--json'], { HETQN_STATE_DIR: path.join(dir, 'elsewhere'), REDIS_URL: '' });
  t.like(JSON.parse(line), { node: 'Alice', registered: true, network: 'deploy' });
  const st = JSON.parse((await run(['status', '--net', 'deploy', '--json'])).stdout);
  t.is(st.nodes.find((n: { name: string }) => n.name === 'Alice').state, 'up');
});

test.serial('a node added to the topology gets its identity at issue time and the running nats-server is reloaded; --rotate retires an old key', async (t) => {
  const grown = path.join(dir, 'deploy-2.json');
  fs.writeFileSync(grown, JSON.stringify({ network: 'deploy', nodes: [...nodes, { name: 'Erin', type: 'C', dof: 'pha', linkKm: 7, credential: 'erin-secret' }] }));
  const out = path.join(dir, 'erin.json');
  const r = await run(['creds', 'issue', '--node', 'Erin', '--topology', grown, '--out', out, '--json']);
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { identity: 'Erin', added: ['Erin'], reloaded: true, peers: ['Alice', 'Bob', 'David'] });
  t.regex(r.stderr, /issue their peers' bundles again/);
  const erin = JSON.parse(fs.readFileSync(out, 'utf8')).nats.seed as string;
  await eventually(() => canConnect(erin), 'Erin\'s new identity accepted after the reload');

  const bob1 = path.join(dir, 'bob-1.json'), bob2 = path.join(dir, 'bob-2.json');
  t.is((await run(['creds', 'issue', '--node', 'Bob', '--out', bob1, '--json'])).code, 0);
  const old = JSON.parse(fs.readFileSync(bob1, 'utf8')).nats.seed as string;
  t.true(await canConnect(old));
  const rot = await run(['creds', 'issue', '--node', 'Bob', '--out', bob2, '--rotate', '--json']);
  t.like(JSON.parse(rot.stdout), { rotated: true, reloaded: true });
  const fresh = JSON.parse(fs.readFileSync(bob2, 'utf8')).nats.seed as string;
  t.not(fresh, old);
  await eventually(async () => !(await canConnect(old)), 'the old key refused after the reload');
  t.true(await canConnect(fresh));
});

test.serial('creds issue names what is wrong: an unknown node, a reserved name as --node', async (t) => {
  const r = await run(['creds', 'issue', '--node', 'Mallory', '--out', path.join(dir, 'm.json'), '--json']);
  t.is(r.code, 2);
  t.regex(JSON.parse(r.stdout).error.message, /--node: Mallory is not a node of network deploy/);
  const s = await run(['creds', 'issue', '--node', 'server', '--out', path.join(dir, 's.json'), '--json']);
  t.regex(JSON.parse(s.stdout).error.message, /--node: server is a reserved identity; use --identity server/);
  t.false(fs.existsSync(path.join(dir, 'm.json')));
});

test.serial('a KME configuration given at issue time travels in the node\'s bundle: node --join serves its KME as configured', async (t) => {
  const { freePort } = await import('../../infra/free-port.ts');
  const port = await freePort();
  const token = 'd'.repeat(16) + 'a-token-of-DavidApp-only-0123';
  const cfg = path.join(dir, 'david-kme.json');
  fs.writeFileSync(cfg, JSON.stringify({ bind: '127.0.0.1', port, saes: [{ id: 'DavidApp', node: 'David', token }, { id: 'AliceApp', node: 'Alice' }] }));
  const out = path.join(dir, 'david.json');
  const r = await run(['creds', 'issue', '--node', 'David', '--kme-config', cfg, '--out', out, '--json']);
  t.is(r.code, 0, r.stderr);
  const b = JSON.parse(fs.readFileSync(out, 'utf8'));
  t.deepEqual(b.kme, { bind: '127.0.0.1', port, saes: [{ id: 'DavidApp', node: 'David', token }, { id: 'AliceApp', node: 'Alice' }] });
  // The node host has the bundle only: the configuration file is not there.
  fs.rmSync(cfg);
  const line = await start(['node', '--join', out, '--json'], { HETQN_STATE_DIR: path.join(dir, 'david-host'), REDIS_URL: '' });
  const joined = JSON.parse(line);
  t.like(joined, { node: 'David', registered: true });
  t.is(joined.kmeUrl, `http://127.0.0.1:${port}`);
  const status = (auth?: string) => fetch(`${joined.kmeUrl}/api/v1/keys/AliceApp/status`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {}).then((x) => x.status);
  t.is(await status(), 401);
  t.not(await status(token), 401);
  // A bad section is named by its field, at issue time.
  fs.writeFileSync(cfg, JSON.stringify({ bind: '10.0.0.1' }));
  const bad = await run(['creds', 'issue', '--node', 'David', '--kme-config', cfg, '--out', path.join(dir, 'd2.json'), '--json']);
  t.is(bad.code, 2);
  t.regex(JSON.parse(bad.stdout).error.message, /--kme-config: kme config david-kme\.json: bind: 10\.0\.0\.1 is not a loopback address/);
  t.false(fs.existsSync(path.join(dir, 'd2.json')));
});
