// infra/tls.ts: certificates it issues are accepted by Node's TLS stack (and OpenSSL, when the binary is
// there) exactly when they chain to the expected CA, and client certificates work for mutual TLS.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { clientTlsOptions, createCa, issueCert, writeServerTls, type CertKey } from '../../infra/tls.ts';

const servers: tls.Server[] = [];
const dirs: string[] = [];
test.after.always(() => { for (const s of servers) s.close(); for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

async function serve(opts: tls.TlsOptions): Promise<number> {
  const s = tls.createServer(opts, (sock) => { sock.end('hello\n'); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

/** Connect and read the greeting; resolves to the error code when the handshake fails. */
function connect(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ...opts });
    let buf = '';
    sock.on('data', (d) => { buf += d.toString(); });
    sock.on('end', () => resolve(buf.trim() || 'closed-without-data'));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

let ca: CertKey, other: CertKey, server: CertKey;
test.before(async () => {
  ca = await createCa('test CA');
  other = await createCa('other CA');
  server = await issueCert(ca, { commonName: 'redis', hosts: ['localhost', '127.0.0.1', '::1'] });
});

test('the CA is a CA and the leaf carries the hosts as subjectAltName and chains to it', (t) => {
  const c = new X509Certificate(ca.cert);
  const s = new X509Certificate(server.cert);
  t.true(c.ca);
  t.false(s.ca);
  t.true(s.checkIssued(c));
  t.true(s.verify(c.publicKey));
  t.false(s.checkIssued(new X509Certificate(other.cert)));
  t.is(s.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.is(s.checkIP('127.0.0.1'), '127.0.0.1');
  t.is(s.checkHost('localhost'), 'localhost');
  t.is(s.checkHost('evil.example'), undefined);
  t.true(s.keyUsage?.includes('1.3.6.1.5.5.7.3.1')); // serverAuth
  t.regex(server.key, /^-----BEGIN PRIVATE KEY-----/);
});

test('a client trusting the CA connects; one trusting another CA is refused', async (t) => {
  const port = await serve({ cert: server.cert, key: server.key });
  t.is(await connect(port, clientTlsOptions({ ca: ca.cert })), 'hello');
  t.is(await connect(port, clientTlsOptions({ ca: other.cert })), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  // The name is checked too: a certificate of this CA for another host is refused.
  const wrongHost = await issueCert(ca, { commonName: 'elsewhere', hosts: ['elsewhere.example'] });
  const port2 = await serve({ cert: wrongHost.cert, key: wrongHost.key });
  t.is(await connect(port2, clientTlsOptions({ ca: ca.cert })), 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('mutual TLS: a client certificate of the CA is accepted, none or another CA\'s is refused', async (t) => {
  const port = await serve({ cert: server.cert, key: server.key, ca: [ca.cert], requestCert: true, rejectUnauthorized: true });
  const good = await issueCert(ca, { commonName: 'Alice', hosts: [], client: true });
  const foreign = await issueCert(other, { commonName: 'Mallory', hosts: [], client: true });
  const serverOnly = await issueCert(ca, { commonName: 'Eve', hosts: ['localhost'], server: true });
  t.is(await connect(port, clientTlsOptions({ ca: ca.cert, ...good })), 'hello');
  t.not(await connect(port, clientTlsOptions({ ca: ca.cert })), 'hello');
  t.not(await connect(port, clientTlsOptions({ ca: ca.cert, ...foreign })), 'hello');
  // A certificate without clientAuth in its extendedKeyUsage may not authenticate a client.
  t.not(await connect(port, clientTlsOptions({ ca: ca.cert, ...serverOnly })), 'hello');
});

test('writeServerTls writes the CA certificate, the server pair with a 0600 key, and the CA key only when asked', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-tls-'));
  dirs.push(dir);
  const f = await writeServerTls(path.join(dir, 'a'), { hosts: ['127.0.0.1'] });
  t.is(fs.statSync(f.keyFile).mode & 0o777, 0o600);
  t.is(fs.statSync(path.dirname(f.keyFile)).mode & 0o777, 0o700);
  t.false(fs.existsSync(path.join(dir, 'a', 'ca.key')));
  t.is(fs.readFileSync(f.caFile, 'utf8'), f.ca.cert);
  const g = await writeServerTls(path.join(dir, 'b'), { hosts: ['127.0.0.1'], ca: f.ca, saveCaKey: true });
  t.is(fs.statSync(path.join(dir, 'b', 'ca.key')).mode & 0o777, 0o600);
  t.is(g.ca, f.ca);
  const port = await serve({ cert: fs.readFileSync(g.certFile), key: fs.readFileSync(g.keyFile) });
  t.is(await connect(port, clientTlsOptions({ ca: fs.readFileSync(f.caFile, 'utf8') })), 'hello');
  const openssl = spawnSync('openssl', ['verify', '-CAfile', g.caFile, '-purpose', 'sslserver', g.certFile], { encoding: 'utf8' });
  if (openssl.error) t.log('openssl not on PATH: independent check skipped');
  else t.is(openssl.stdout.trim(), `${g.certFile}: OK`, openssl.stderr);
});

test('issueCert refuses a certificate with no purpose or a server certificate with no host', async (t) => {
  await t.throwsAsync(issueCert(ca, { commonName: 'x', hosts: ['a'], server: false, client: false }), { message: /server, a client or both/ });
  await t.throwsAsync(issueCert(ca, { commonName: 'x', hosts: [] }), { message: /at least one host/ });
  await t.throwsAsync(createCa('x', { days: 0 }), { message: /days/ });
});
