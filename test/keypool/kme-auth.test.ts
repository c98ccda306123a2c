// Who may call a KME (ETSI GS QKD 014): SAEs attached to the node, each by its own bearer token or by a
// client certificate of the SAE CA whose CN/SAN is its SAE ID, over HTTPS; a key delivered by enc_keys
// to the master SAE reaches exactly the slave SAE it was asked for, once. Real Redis with per-node users.
import test from 'ava';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { generatePoolUsers } from '../../infra/keypool/acl.ts';
import { startKme, type KmeServer } from '../../infra/kme/server.ts';
import { loadKmeConfig, parseKmeConfig } from '../../infra/kme/config.ts';
import { createCa, issueCert, type CertKey } from '../../infra/tls.ts';
import { RegistryMessages } from '../../actors/server/registry.messages.ts';
import { blockOf, deposit } from './helpers.ts';
import { call } from './kme-client.ts';
import { nonLoopbackAddress } from '../helpers/local-address.ts';

const netName = 'kmeauth';
const tok = (who: string) => `${who}-token-${'x'.repeat(40)}`;
// Every SAE of the network; the tokens of the other node's SAEs are given too, to show that a KME only
// accepts its own SAEs even when it knows other tokens.
const saeConfig = {
  saes: [
    { id: 'A1', node: 'Alice', token: tok('A1') },
    { id: 'A2', node: 'Alice', token: tok('A2') },
    { id: 'B1', node: 'Bob', token: tok('B1') },
    { id: 'B2', node: 'Bob', token: tok('B2') },
  ],
};

let srv: ManagedServer;
const conns: Redis[] = [];
let alice: KmeServer, bob: KmeServer, plain: KmeServer;
let saeCa: CertKey, otherCa: CertKey, kmeCa: CertKey;
const clientCert = async (ca: CertKey, commonName: string, hosts: string[] = [], client = true) =>
  issueCert(ca, { commonName, hosts, client, server: !client });

test.before(async () => {
  const users = generatePoolUsers(netName, ['Alice', 'Bob']);
  srv = await startRedis({ users: users.aclLines });
  const open = (n: 'Alice' | 'Bob') => { const r = new Redis(srv.address, { username: users.nodes[n].username, password: users.nodes[n].password, enableReadyCheck: false, maxRetriesPerRequest: 1 }); r.on('error', () => undefined); conns.push(r); return new KeyPoolStore(r, { net: netName, owner: n }); };
  const sa = open('Alice'), sb = open('Bob');
  await deposit(sa, sb, 'secret', blockOf('qkd-auth', 16384, 7));
  [kmeCa, saeCa, otherCa] = await Promise.all([createCa('kme CA'), createCa('SAE CA'), createCa('someone else')]);
  const tlsFor = async (node: string) => ({ ...(await issueCert(kmeCa, { commonName: `KME-${node}`, hosts: ['127.0.0.1'] })), clientCa: saeCa.cert });
  const cfg = parseKmeConfig(saeConfig);
  alice = await startKme({ store: sa, saes: cfg.saes, tls: await tlsFor('Alice') });
  bob = await startKme({ store: sb, saes: cfg.saes, tls: await tlsFor('Bob') });
  plain = await startKme({ store: sa, saes: cfg.saes });
});
test.after.always(async () => { await alice?.close(); await bob?.close(); await plain?.close(); for (const c of conns) c.disconnect(); await srv?.stop(); });

const trust = () => ({ ca: kmeCa.cert });

test('each SAE is served with its own token, and the status names it as master', async (t) => {
  t.regex(alice.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  for (const sae of ['A1', 'A2']) {
    const r = await call(`${alice.url}/api/v1/keys/B1/status`, { token: tok(sae), tls: trust() });
    t.is(r.status, 200);
    t.like(r.body, { master_SAE_ID: sae, slave_SAE_ID: 'B1', source_KME_ID: 'KME-Alice', target_KME_ID: 'KME-Bob' });
  }
});

test('missing, wrong or foreign tokens: 401 in the 014 Error shape', async (t) => {
  const cases: [string | undefined, string][] = [
    [undefined, 'no token'], ['nope', 'unknown token'], [tok('B1'), 'token of an SAE of another node'], [`${tok('A1')}x`, 'token one character longer'],
  ];
  for (const [token, what] of cases) {
    const r = await call(`${alice.url}/api/v1/keys/B1/enc_keys`, { token, body: { number: 1 }, tls: trust() });
    t.is(r.status, 401, what);
    t.regex(r.body.message ?? '', /^unauthorized: /, what);
  }
  // also before the body is parsed, and on a path that does not exist
  const bad = await call(`${alice.url}/api/v1/nothing`, { tls: trust() });
  t.is(bad.status, 401);
});

test('a key for B1 is delivered to B1 once, never to B2 on the same node nor to A2', async (t) => {
  const enc = await call(`${alice.url}/api/v1/keys/B1/enc_keys`, { token: tok('A1'), body: { number: 2, size: 256 }, tls: trust() });
  t.is(enc.status, 200);
  const ids = { key_IDs: enc.body.keys!.map((k) => ({ key_ID: k.key_ID })) };
  // B2 (same node as B1) asks for them as if they were its own: unknown, and nothing is consumed.
  const b2 = await call(`${bob.url}/api/v1/keys/A1/dec_keys`, { token: tok('B2'), body: ids, tls: trust() });
  t.is(b2.status, 400);
  t.regex(b2.body.message ?? '', /unknown key_ID/);
  // B1 naming another master (A2) does not find them either.
  t.is((await call(`${bob.url}/api/v1/keys/A2/dec_keys`, { token: tok('B1'), body: ids, tls: trust() })).status, 400);
  // A2 at Alice's KME: A1 is at the same node, no pool between them.
  t.is((await call(`${alice.url}/api/v1/keys/A1/dec_keys`, { token: tok('A2'), body: ids, tls: trust() })).status, 400);
  const b1 = await call(`${bob.url}/api/v1/keys/A1/dec_keys`, { token: tok('B1'), body: ids, tls: trust() });
  t.is(b1.status, 200);
  t.deepEqual(b1.body, enc.body);
  const again = await call(`${bob.url}/api/v1/keys/A1/dec_keys`, { token: tok('B1'), body: ids, tls: trust() });
  t.is(again.status, 400);
  t.regex(again.body.message ?? '', /already delivered/);
});

test('mutual TLS: a client certificate of the SAE CA names the SAE by CN or SAN', async (t) => {
  const byCn = await clientCert(saeCa, 'A1');
  const r1 = await call(`${alice.url}/api/v1/keys/B2/status`, { tls: { ...trust(), ...byCn } });
  t.is(r1.status, 200);
  t.is(r1.body.master_SAE_ID, 'A1');
  const bySan = await clientCert(saeCa, 'vpn gateway', ['A2']);
  const r2 = await call(`${alice.url}/api/v1/keys/B2/status`, { tls: { ...trust(), ...bySan } });
  t.is(r2.status, 200);
  t.is(r2.body.master_SAE_ID, 'A2');
  // Key delivery end to end with certificates only.
  const enc = await call(`${alice.url}/api/v1/keys/B2/enc_keys`, { body: { size: 128 }, tls: { ...trust(), ...byCn } });
  t.is(enc.status, 200);
  const dec = await call(`${bob.url}/api/v1/keys/A1/dec_keys`, { body: { key_IDs: [{ key_ID: enc.body.keys![0]!.key_ID }] }, tls: { ...trust(), ...(await clientCert(saeCa, 'B2')) } });
  t.deepEqual(dec.body, enc.body);
});

test('mutual TLS refusals: another CA, an SAE of another node, a server-only certificate, token and certificate disagreeing', async (t) => {
  const cases: [string, CertKey, string | undefined, RegExp][] = [
    ['certificate of another CA with CN A1', await clientCert(otherCa, 'A1'), undefined, /not trusted/],
    ['certificate of B1 (attached to Bob) at Alice', await clientCert(saeCa, 'B1'), undefined, /no SAE/],
    ['server-only certificate with CN A1', await clientCert(saeCa, 'A1', ['127.0.0.1'], false), undefined, /not trusted|not for client/],
    ['A1 certificate with the token of A2', await clientCert(saeCa, 'A1'), tok('A2'), /different SAEs/],
    ['foreign CA certificate with the token of A1', await clientCert(otherCa, 'A1'), tok('A1'), /not trusted/],
  ];
  for (const [what, cert, token, re] of cases) {
    const r = await call(`${alice.url}/api/v1/keys/B1/enc_keys`, { body: {}, token, tls: { ...trust(), ...cert } });
    t.is(r.status, 401, what);
    t.regex(r.body.message ?? '', re, what);
  }
});

test('listens on 127.0.0.1 only by default', async (t) => {
  const addr = plain.app.server.address() as net.AddressInfo;
  t.is(addr.address, '127.0.0.1');
  t.regex(plain.url, /^http:\/\/127\.0\.0\.1:/);
  const other = nonLoopbackAddress();
  if (other) {
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = net.connect({ host: other, port: plain.port });
      s.once('connect', () => { s.destroy(); resolve(undefined); });
      s.once('error', (e) => resolve(e));
    });
    t.is(err?.code, 'ECONNREFUSED', `connect to ${other}:${plain.port}`);
  }
  t.is((await call(`${plain.url}/api/v1/keys/B1/status`, { token: tok('A1') })).status, 200);
});

test('configuration: errors name the field and never show a token', (t) => {
  const secret = 'short-secret';
  const e1 = t.throws(() => parseKmeConfig({ saes: [{ id: 'A1', node: 'Alice', token: secret }] }));
  t.regex(e1.message, /saes\[0\]\.token: at least 32/);
  t.false(e1.message.includes(secret));
  const e2 = t.throws(() => parseKmeConfig({ saes: [{ id: 'A1', node: 'Alice', token: tok('A') }, { id: 'B1', node: 'Bob', token: tok('A') }] }));
  t.regex(e2.message, /identify exactly one SAE/);
  t.throws(() => parseKmeConfig({ bind: '0.0.0.0' }), { message: /bind: 0\.0\.0\.0 is not a loopback address.*tls/ });
  t.throws(() => loadKmeConfig(undefined, { bind: '192.0.2.7' }), { message: /^kme: bind/ });
  t.throws(() => parseKmeConfig({ port: 70000 }), { message: /port/ });
  t.throws(() => parseKmeConfig({ saes: [{ id: 'A1', node: 'Alice', tokenSha256: 'abc' }] }), { message: /saes\[0\]\.tokenSha256/ });
  const ok = parseKmeConfig({ saes: [{ id: 'A1', node: 'Alice', token: tok('A1') }, { id: 'B1', node: 'Bob' }] });
  t.deepEqual(ok, {
    bind: '127.0.0.1', port: 0, unlistedSaesAreNodes: false, tls: undefined,
    saes: [{ id: 'A1', node: 'Alice', tokenSha256: createHash('sha256').update(tok('A1')).digest('hex') }, { id: 'B1', node: 'Bob', tokenSha256: undefined }],
  });
  t.false(JSON.stringify(ok).includes(tok('A1')));
});

test('heartbeats carry the KME URL, validated: only an http(s) origin passes', (t) => {
  const hb = (kmeUrl: unknown) => RegistryMessages['node.heartbeat'].safeParse({ node: 'Alice', processId: 'node-Alice', seq: 1, state: 'registered', actors: {}, kmeUrl });
  t.true(hb('https://127.0.0.1:8443').success);
  t.true(hb('http://[::1]:8080').success);
  t.true(hb(undefined).success);
  for (const bad of ['javascript:alert(1)', 'https://127.0.0.1:8443/api/v1/keys', 'ftp://x:1', 'http://a b:1', 42]) {
    const r = hb(bad);
    t.false(r.success, String(bad));
    t.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['kmeUrl'], String(bad));
  }
});
