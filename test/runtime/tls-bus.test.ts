// The bus over TLS (launchCluster tls: the private nats-server's certificate signed by a CA the issuer
// makes; bundles carry the CA): processes register over TLS, and a client that does not verify the
// server against that CA, or does not speak TLS, gets nowhere even with a valid identity.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { loadTopology } from '../../infra/topology.ts';
import { createCa } from '../../infra/tls.ts';
import { natsConfigFile } from '../../infra/nats-config.ts';
import { launchCluster, spawnTs, type Cluster } from '../../runtime/launcher.ts';
import { CLIENT } from '../../runtime/subjects.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-tls-'));
const topoFile = path.join(dir, 'tls.json');
fs.writeFileSync(topoFile, JSON.stringify({
  network: 'tlsnet',
  nodes: [
    { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' },
    { name: 'David', type: 'D', dof: 'pol', linkKm: 3, credential: 'david-secret' },
  ],
}));
let cluster: Cluster;

test.before(async () => {
  cluster = await launchCluster({ topology: loadTopology(topoFile), redisUrl: 'redis://127.0.0.1:1', tls: true, forwardChildLogs: false, log: () => {} });
});
test.after.always(async () => {
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const seedOf = (id: string) => nkeyAuthenticator(new TextEncoder().encode(cluster.bundle(id).nats.seed));

test.serial('server and nodes register over TLS; the bundles carry the CA; the config requires TLS', async (t) => {
  const view = await cluster.status();
  t.deepEqual(view.nodes.filter((n) => n.state === 'up').map((n) => n.name).sort(), ['Alice', 'David']);
  const b = cluster.bundle('Alice');
  t.regex(b.ca ?? '', /^-----BEGIN CERTIFICATE-----/);
  t.regex(fs.readFileSync(natsConfigFile(cluster.issuerFile), 'utf8'), /tls \{\n {2}cert_file: ".*server\.crt"\n {2}key_file: ".*server\.key"/);
  // the CLI with the client bundle talks TLS too
  const c = spawnTs('runtime/cli/main.ts', ['status', '--net', 'tlsnet', '--json'], { HETQN_BUNDLE: cluster.bundleFile(CLIENT) });
  let out = '';
  c.stdout!.on('data', (d) => { out += d; });
  const code = await new Promise((r) => c.once('exit', r));
  t.is(code, 0);
  t.is(JSON.parse(out).network, 'tlsnet');
});

test.serial('a valid identity without TLS, or trusting another CA, is refused', async (t) => {
  const plain = await t.throwsAsync(connect({ servers: cluster.natsServers, authenticator: seedOf(CLIENT), maxReconnectAttempts: 0, tls: null }));
  t.truthy(plain);
  const other = await createCa('not the network CA');
  const wrong = await t.throwsAsync(connect({ servers: cluster.natsServers, authenticator: seedOf(CLIENT), maxReconnectAttempts: 0, tls: { ca: other.cert } }));
  t.regex(wrong!.message, /certificate|self.signed|verify/i);
  const ok = await connect({ servers: cluster.natsServers, authenticator: seedOf(CLIENT), maxReconnectAttempts: 0, tls: { ca: cluster.bundle(CLIENT).ca! } });
  t.true(ok.info?.tls_required ?? false);
  await ok.close();
});

test.serial('hetqn clients check the server certificate against the address they dial', async (t) => {
  const { loadIssuer } = await import('../../infra/issuer.ts');
  const { issueCert, writeCertKey } = await import('../../infra/tls.ts');
  const { startNats } = await import('../../infra/servers.ts');
  const { NatsBus } = await import('../../runtime/nats-bus.ts');
  const ca = loadIssuer(cluster.issuerFile).ca!;
  const serve = async (name: string, hosts: string[]) => {
    const f = writeCertKey(path.join(dir, name), 'server', await issueCert({ cert: ca.cert, key: ca.key! }, { commonName: name, hosts, server: true }));
    fs.writeFileSync(path.join(dir, name, 'n.conf'), `tls {\n  cert_file: "${f.certFile}"\n  key_file: "${f.keyFile}"\n}\n`);
    return startNats({ jetstream: false, extraArgs: ['-c', path.join(dir, name, 'n.conf')] });
  };
  const [right, elsewhere] = await Promise.all([serve('right', ['127.0.0.1']), serve('elsewhere', ['10.9.9.9', 'nats.example'])]);
  try {
    const ok = await NatsBus.connect({ servers: [right.url], name: 't', net: 'tlsnet', identity: CLIENT, ca: ca.cert });
    await ok.close();
    const e = await t.throwsAsync(NatsBus.connect({ servers: [elsewhere.url], name: 't', net: 'tlsnet', identity: CLIENT, ca: ca.cert }));
    t.regex(e!.message, /IP: 127\.0\.0\.1 is not in the cert's list: 10\.9\.9\.9/);
  } finally {
    await right.stop(); await elsewhere.stop();
  }
});
