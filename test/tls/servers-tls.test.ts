// TLS on the private servers (infra/servers.ts) with certificates from infra/tls.ts: Redis serves TLS
// only, a node's key pool works over it as the node's own user, a client that does not trust the CA (or
// speaks plaintext) gets nothing, and with verifyClients a client certificate of the CA is required.
// nats-server with TLS accepts a client that trusts the CA and refuses one that does not.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats, startRedis, type ManagedServer } from '../../infra/servers.ts';
import { createCa, issueCert, writeCertKey, writeServerTls } from '../../infra/tls.ts';
import { generatePoolUsers } from '../../infra/keypool/acl.ts';
import { openRedis, redisAcceptsAnonymous } from '../../infra/keypool/connect.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { blockOf, deposit } from '../keypool/helpers.ts';

const servers: ManagedServer[] = [];
const stores: KeyPoolStore[] = [];
const nc: NatsConnection[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-tls-servers-'));
test.after.always(async () => {
  for (const s of stores) await s.close();
  for (const c of nc) await c.close();
  for (const s of servers) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const net = 'tls';
const users = generatePoolUsers(net, ['Alice', 'Bob']);

async function tlsDir(name: string) {
  // The server's certificate also serves as the admin's client certificate (startRedis loads the library with it).
  return writeServerTls(path.join(dir, name), { hosts: ['127.0.0.1', 'localhost'], client: true });
}

const nodeStore = (srv: ManagedServer, owner: 'Alice' | 'Bob', tls: Parameters<typeof KeyPoolStore.connect>[1]['tls']) => {
  const s = KeyPoolStore.connect(srv.address, { net, owner, username: users.nodes[owner].username, password: users.nodes[owner].password, tls,
    redis: { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 } });
  s.redis.on('error', () => undefined);
  stores.push(s);
  return s;
};

test('Redis with TLS: the pools work over rediss:// as the nodes\' users; the plaintext port is closed', async (t) => {
  const f = await tlsDir('redis');
  const srv = await startRedis({ users: users.aclLines, tls: { certFile: f.certFile, keyFile: f.keyFile, caFile: f.caFile } });
  servers.push(srv);
  t.regex(srv.address, /^rediss:\/\/127\.0\.0\.1:\d+/);
  const a = nodeStore(srv, 'Alice', { caFile: f.caFile }), b = nodeStore(srv, 'Bob', { caFile: f.caFile });
  await deposit(a, b, 'secret', blockOf('k', 512, 1));
  const w = await a.withdraw('Bob', 'secret', 128);
  t.deepEqual((await b.take('Alice', 'secret', [w.keys[0].refs])).keys[0].bytes, w.keys[0].bytes);
  t.is(await a.redis.call('ACL', 'WHOAMI'), users.nodes.Alice.username);
  t.false(await redisAcceptsAnonymous(srv.address, { caFile: f.caFile }));
  // plaintext on the TLS port: no Redis answer
  await t.throwsAsync(redisAcceptsAnonymous(srv.address.replace('rediss:', 'redis:')));
  // a client that trusts another CA is refused in the handshake
  const other = await createCa('other');
  writeCertKey(path.join(dir, 'other'), 'ca', other);
  const stranger = nodeStore(srv, 'Alice', { caFile: path.join(dir, 'other', 'ca.crt') });
  const handshake = new Promise<Error>((resolve) => stranger.redis.once('error', resolve));
  await t.throwsAsync(stranger.stats('Bob', 'secret'));
  t.regex((await handshake).message, /unable to verify|certificate/i);
});

test('Redis with mutual TLS: a client certificate of the CA is required', async (t) => {
  const f = await tlsDir('mtls');
  const srv = await startRedis({ users: users.aclLines, tls: { certFile: f.certFile, keyFile: f.keyFile, caFile: f.caFile, verifyClients: true } });
  servers.push(srv);
  const client = writeCertKey(path.join(dir, 'mtls'), 'alice', await issueCert(f.ca, { commonName: 'Alice', hosts: [], client: true }));
  const withCert = nodeStore(srv, 'Alice', { caFile: f.caFile, ...client });
  await withCert.configure('Bob', 'secret', { lowWaterBits: 1 });
  t.is((await withCert.stats('Bob', 'secret')).lowWaterBits, 1);
  const without = nodeStore(srv, 'Alice', { caFile: f.caFile });
  await t.throwsAsync(without.stats('Bob', 'secret'));
  // the admin URL from startRedis works with the server's own pair as client certificate
  const admin = openRedis(srv.url, { allowUrlCredentials: true, tls: { caFile: f.caFile, certFile: f.certFile, keyFile: f.keyFile } });
  t.is(await admin.call('ACL', 'WHOAMI'), 'hetqn-admin');
  admin.disconnect();
});

test('NATS with TLS: a client trusting the CA connects, others are refused; verifyClients requires a client certificate', async (t) => {
  const f = await tlsDir('nats');
  const nats = await startNats({ jetstream: false, tls: { certFile: f.certFile, keyFile: f.keyFile, caFile: f.caFile } });
  servers.push(nats);
  const ok = await connect({ servers: nats.url, tls: { caFile: f.caFile }, reconnect: false });
  nc.push(ok);
  t.true(ok.info?.tls_required ?? false);
  await ok.flush();
  await t.throwsAsync(connect({ servers: nats.url, tls: { ca: (await createCa('other')).cert }, reconnect: false }));

  const g = await tlsDir('nats-mtls');
  const mnats = await startNats({ jetstream: false, tls: { certFile: g.certFile, keyFile: g.keyFile, caFile: g.caFile, verifyClients: true } });
  servers.push(mnats);
  const client = await issueCert(g.ca, { commonName: 'Alice', hosts: [], client: true });
  const mok = await connect({ servers: mnats.url, tls: { caFile: g.caFile, cert: client.cert, key: client.key }, reconnect: false });
  nc.push(mok);
  await mok.flush();
  await t.throwsAsync(connect({ servers: mnats.url, tls: { caFile: g.caFile }, reconnect: false }));
});
