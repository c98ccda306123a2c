// Every node process serves its ETSI GS QKD 014 KME: two launched node processes (the launcher's private
// secured NATS, real Redis with per-node users) with a KME configuration of three SAEs over HTTPS with mutual TLS; `hetqn status`
// shows the KME URLs; a key that Alice's SAE gets from Alice's KME (bearer token) is delivered once to the
// slave SAE (client certificate) by Bob's KME and to no other SAE; a node joined with `hetqn node --join` and no configuration gets a generated token file (0600) that works
// and is removed when the node leaves.
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ManagedServer } from '../../infra/servers.ts';
import { freePort } from '../../infra/free-port.ts';
import { loadTopology } from '../../infra/topology.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { launchCluster, spawnTs, stopChild, type Cluster } from '../../runtime/launcher.ts';
import type { NodeView } from '../../actors/server/registry.messages.ts';
import { createCa, issueCert, writeCertKey, type CertKey } from '../../infra/tls.ts';
import { blockOf, deposit } from './helpers.ts';
import { call } from './kme-client.ts';
import { nonLoopbackAddress } from '../helpers/local-address.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-kme-node-'));
const netName = 'kmenode';
const tok = (who: string) => `${who}-${'t'.repeat(40)}`;
let redis: ManagedServer;
let cluster: Cluster | undefined;
let kmeCa: CertKey, saeCa: CertKey;
const stores: KeyPoolStore[] = [];
const extra: ChildProcess[] = [];

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  let stdout = ''; let stderr = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  c.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => c.once('exit', (code) => resolve({ code, stdout, stderr })));
}

test.before(async () => {
  const topologyFile = path.join(dir, 'topology.json');
  fs.writeFileSync(topologyFile, JSON.stringify({
    network: netName,
    nodes: [
      { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'cred-alice-1234' },
      { name: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, credential: 'cred-bob-1234' },
      { name: 'Carol', type: 'C', dof: 'tbp', linkKm: 5, credential: 'cred-carol-1234', attachLater: true },
    ],
  }));
  // HTTPS with mutual TLS; the certificate files are named relative to the configuration file.
  [kmeCa, saeCa] = await Promise.all([createCa('kme CA'), createCa('SAE CA')]);
  writeCertKey(dir, 'kme', await issueCert(kmeCa, { commonName: 'KME', hosts: ['127.0.0.1'] }));
  fs.writeFileSync(path.join(dir, 'sae-ca.crt'), saeCa.cert);
  const kmeFile = path.join(dir, 'kme.json');
  fs.writeFileSync(kmeFile, JSON.stringify({
    tls: { cert: 'kme.crt', key: 'kme.key', clientCa: 'sae-ca.crt' },
    saes: [
      { id: 'alice-app', node: 'Alice', token: tok('alice-app') },
      { id: 'bob-app', node: 'Bob', token: tok('bob-app') },
      { id: 'bob-other', node: 'Bob', token: tok('bob-other') },
      { id: 'Carol', node: 'Carol' },
    ],
  }), { mode: 0o600 });
  process.env.HETQN_KME_CONFIG = kmeFile;
  process.env.HETQN_STATE_DIR = path.join(dir, 'state');
  cluster = await launchCluster({ topology: loadTopology(topologyFile), forwardChildLogs: false });
  redis = cluster.servers.redis!;
  const store = (owner: string) => { const s = KeyPoolStore.connect(redis.url, { net: netName, owner, allowUrlCredentials: true }); stores.push(s); return s; };
  const [a, b, c] = [store('Alice'), store('Bob'), store('Carol')];
  await deposit(a, b, 'secret', blockOf('qkd-ab', 8192, 1));
  await deposit(a, c, 'secret', blockOf('qkd-ac', 8192, 2));
});

test.after.always(async () => {
  for (const c of extra) await stopChild(c);
  await cluster?.stop();
  for (const s of stores) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function kmeUrls(names: string[]): Promise<Record<string, NodeView>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const view = await cluster!.status();
    const nodes = Object.fromEntries(view.nodes.map((n) => [n.name, n]));
    if (names.every((n) => nodes[n]?.kmeUrl)) return nodes;
    if (Date.now() > deadline) throw new Error(`no KME URL from ${names.join(', ')} in the hypervisor view`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('each node process serves its KME on 127.0.0.1 and `hetqn status` shows the URL', async (t) => {
  const nodes = await kmeUrls(['Alice', 'Bob']);
  const urls = [nodes.Alice!.kmeUrl!, nodes.Bob!.kmeUrl!];
  for (const u of urls) t.regex(u, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.not(urls[0], urls[1]);
  const asClient = { HETQN_BUNDLE: cluster!.bundleFile('client') };
  const st = await run(['status', '--net', netName, '--json'], asClient);
  t.is(st.code, 0, st.stderr);
  const view = JSON.parse(st.stdout) as { nodes: NodeView[] };
  t.deepEqual(view.nodes.filter((n) => n.kmeUrl).map((n) => [n.name, n.kmeUrl]).sort(), [['Alice', urls[0]], ['Bob', urls[1]]]);
  const human = await run(['status', '--net', netName], asClient);
  t.regex(human.stdout, /\bKME\b/);
  for (const u of urls) t.true(human.stdout.includes(u), human.stdout);
  // Not reachable through another address of this host.
  const other = nonLoopbackAddress();
  if (other) {
    const port = Number(new URL(urls[0]!).port);
    const err = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: other, port });
      s.once('connect', () => { s.destroy(); resolve(undefined); });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    });
    t.is(err, 'ECONNREFUSED');
  }
});

test.serial('a key from Alice\'s KME reaches bob-app once through Bob\'s KME, and no other SAE', async (t) => {
  const nodes = await kmeUrls(['Alice', 'Bob']);
  const alice = nodes.Alice!.kmeUrl!, bob = nodes.Bob!.kmeUrl!;
  const tls = { ca: kmeCa.cert };
  const bobApp = { ...tls, ...(await issueCert(saeCa, { commonName: 'bob-app', hosts: [], client: true })) };
  t.is((await call(`${alice}/api/v1/keys/bob-app/status`, { tls })).status, 401);
  t.is((await call(`${alice}/api/v1/keys/bob-app/status`, { token: tok('bob-app'), tls })).status, 401, 'a Bob SAE token at Alice\'s KME');
  t.is((await call(`${alice}/api/v1/keys/alice-app/status`, { tls: bobApp })).status, 401, 'a Bob SAE certificate at Alice\'s KME');
  const st = await call(`${alice}/api/v1/keys/bob-app/status`, { token: tok('alice-app'), tls });
  t.is(st.status, 200);
  t.like(st.body, { master_SAE_ID: 'alice-app', slave_SAE_ID: 'bob-app', stored_key_count: 4096 / 256 });
  const enc = await call(`${alice}/api/v1/keys/bob-app/enc_keys`, { token: tok('alice-app'), body: { number: 2, size: 512 }, tls });
  t.is(enc.status, 200);
  const ids = { key_IDs: enc.body.keys!.map((k) => ({ key_ID: k.key_ID })) };
  const other = await call(`${bob}/api/v1/keys/alice-app/dec_keys`, { token: tok('bob-other'), body: ids, tls });
  t.is(other.status, 400);
  t.regex(other.body.message ?? '', /unknown key_ID/);
  // bob-app authenticates with its client certificate.
  const mine = await call(`${bob}/api/v1/keys/alice-app/dec_keys`, { body: ids, tls: bobApp });
  t.is(mine.status, 200);
  t.deepEqual(mine.body, enc.body);
  t.is((await call(`${bob}/api/v1/keys/alice-app/dec_keys`, { token: tok('bob-app'), body: ids, tls })).status, 400);
});

// Carol joins from her bundle: her own Redis user (the issuer made one for every node of the topology).
const carolArgs = () => ['node', '--join', cluster!.bundleFile('Carol')];

test.serial('`hetqn node --kme-bind` elsewhere than loopback without TLS is refused, naming the field', async (t) => {
  const r = await run([...carolArgs(), '--kme-bind', '0.0.0.0'], { HETQN_KME_CONFIG: '' });
  t.not(r.code, 0);
  t.regex(r.stderr, /--kme-config: kme: bind: 0\.0\.0\.0 is not a loopback address/);
});

test.serial('`hetqn node` without a KME configuration: a generated token file, usable, removed on leave', async (t) => {
  const port = await freePort();
  const c = spawnTs('runtime/cli/main.ts', [...carolArgs(), '--kme-port', String(port), '--json'], { HETQN_KME_CONFIG: '' });
  extra.push(c);
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''; let err = '';
    c.stdout!.on('data', (d) => { out += d; const i = out.indexOf('\n'); if (i >= 0) resolve(out.slice(0, i)); });
    c.stderr!.on('data', (d) => { err += d; });
    c.once('exit', (code) => reject(new Error(`hetqn node exited ${code}: ${err}`)));
  });
  const res = JSON.parse(line) as { kmeUrl: string };
  t.is(res.kmeUrl, `http://127.0.0.1:${port}`);
  t.is((await kmeUrls(['Carol'])).Carol!.kmeUrl, res.kmeUrl);
  const file = path.join(dir, 'state', 'kme', `${netName}-Carol.token`);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  const token = fs.readFileSync(file, 'utf8').trim();
  t.regex(token, /^[A-Za-z0-9_-]{43}$/);
  t.is((await call(`${res.kmeUrl}/api/v1/keys/Alice/status`)).status, 401);
  const st = await call(`${res.kmeUrl}/api/v1/keys/Alice/status`, { token });
  t.is(st.status, 200);
  t.like(st.body, { master_SAE_ID: 'Carol', slave_SAE_ID: 'Alice' });
  await stopChild(c);
  t.false(fs.existsSync(file));
});
