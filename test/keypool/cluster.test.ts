// The pool library on Redis Cluster: a one-node cluster that owns all 16384 slots refuses any command or
// function call whose keys span two slots (CROSSSLOT, "Script attempted to access keys that do not hash to
// the same slot"), so running every store operation there proves that each call stays in its pair's slot.
// Also checks the slot arithmetic of the key names against an independent CRC16 (Redis Cluster spec).
import test from 'ava';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore, PoolError } from '../../infra/keypool/store.ts';
import { SessionDecisions } from '../../infra/keypool/decisions.ts';
import { openRedis, type RedisClient } from '../../infra/keypool/connect.ts';
import { keyIdKey, poolPrefix, statsKey } from '../../infra/keypool/names.ts';
import { blockOf, deposit, expectedBytes } from './helpers.ts';

let srv: ManagedServer;
let admin: RedisClient;
const stores: KeyPoolStore[] = [];

/** CRC16/XMODEM of the hash tag, mod 16384 (Redis Cluster specification, "Keys distribution model"). */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tag = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

test.before(async () => {
  srv = await startRedis({ extraConfig: ['cluster-enabled yes', 'cluster-config-file nodes.conf'] });
  admin = openRedis(srv.url, { allowUrlCredentials: true });
  await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  for (let i = 0; !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))); i++) {
    if (i > 200) throw new Error('one-node cluster did not reach cluster_state:ok');
    await new Promise((r) => setTimeout(r, 50));
  }
});
test.after.always(async () => { for (const s of stores) await s.close(); admin?.disconnect(); await srv?.stop(); });

const open = (owner: string, net: string) => { const s = new KeyPoolStore(openRedis(srv.url, { allowUrlCredentials: true }), { net, owner }, true); stores.push(s); return s; };

test('our CRC16 agrees with the cluster, and every key of a pair maps to one slot', async (t) => {
  const keys = [
    `${poolPrefix('c', 'Alice', 'Bob', 'secret')}:b:x`, `${poolPrefix('c', 'Bob', 'Alice', 'psk')}:d:y`,
    statsKey('c', 'Alice', 'Bob', 'imperfect'), keyIdKey('c', 'Bob', 'Alice', 'secret', 'k'), 'no-tag-key', '123456789',
  ];
  for (const k of keys) t.is(Number(await admin.call('CLUSTER', 'KEYSLOT', k)), slotOf(k), k);
  t.is(slotOf('123456789'), 0x31c3 % 16384); // the spec's CRC16 check value
  t.is(new Set(keys.slice(0, 4).map(slotOf)).size, 1);
  t.not(slotOf(statsKey('c', 'Alice', 'Carol', 'secret')), slotOf(statsKey('c', 'Alice', 'Bob', 'secret')));
  // the control: this cluster does refuse a call whose keys span two pairs' slots
  await t.throwsAsync(admin.call('FCALL', 'qn_configure', 2, statsKey('c', 'Alice', 'Bob', 'secret'), statsKey('c', 'Alice', 'Carol', 'secret'), '', '') as Promise<unknown>,
    { message: /CROSSSLOT/ });
});

test('every store operation runs on Redis Cluster without a cross-slot call', async (t) => {
  const net = 'cl1';
  const a = open('Alice', net), b = open('Bob', net);
  const blocks = new Map([blockOf('s1', 1000, 1), blockOf('s2', 999, 2)].map((x) => [x.id, x]));
  for (const blk of blocks.values()) await deposit(a, b, 'secret', blk);
  const w = await a.withdraw('Bob', 'secret', 300, { count: 2, keyIds: ['id-1', 'id-2'] });
  const refs = await b.resolveKeyIds('Alice', 'secret', ['id-1', 'id-2']);
  t.deepEqual(refs, w.keys.map((k) => k.refs));
  const r = await b.take('Alice', 'secret', refs as never);
  t.deepEqual(r.keys.map((k) => k.bytes), w.keys.map((k) => expectedBytes(blocks, k.refs)));
  // a withdrawal spanning a block the store has not seen yet (the function asks for it, the store retries)
  const w2 = await a.withdraw('Bob', 'secret', 350);
  t.deepEqual(w2.keys[0].refs.map((x) => x.blockId), ['s2']);
  t.is((await a.stats('Bob', 'secret')).available, 500 + 499 - 600 - 350);
  // abort, expiry of a dead stage (swept by the next stage), key expiry inside a withdrawal
  await a.stage('Bob', 'secret', blockOf('dead', 64, 3), { ttlMs: 1 });
  await a.abort('Bob', 'secret', 'never-staged');
  await new Promise((r) => setTimeout(r, 20));
  await a.stage('Bob', 'secret', blockOf('later', 64, 4));
  t.is((await a.stats('Bob', 'secret')).expiredStaged, 64);
  t.deepEqual(await a.stagedBlocks('Bob', 'secret'), [{ id: 'later', sessionId: 'later' }]);
  await a.configure('Bob', 'psk', { keyTtlMs: 60_000 });
  await b.configure('Alice', 'psk', { keyTtlMs: 60_000 });
  await deposit(a, b, 'psk', blockOf('old', 256, 5, Date.now() - 120_000));
  await deposit(a, b, 'psk', blockOf('new', 256, 6));
  const w3 = await a.withdraw('Bob', 'psk', 64);
  t.is(w3.keys[0].refs[0].blockId, 'new');
  t.is((await a.stats('Bob', 'psk')).expiredKeys, 256);
  t.deepEqual(await b.sweep('Alice', 'psk'), { expiredStages: 0, expiredKeyBits: 256 });
  t.is((await a.block('Bob', 'psk', 'old'))?.state, 'expired');
  t.deepEqual((await a.listPools()).map((p) => p.kind), ['psk', 'secret']);
  await t.throwsAsync(a.withdraw('Bob', 'psk', 10_000), { instanceOf: PoolError, message: /^SHORT/ });
});

test('session decisions run on Redis Cluster', async (t) => {
  const d = new SessionDecisions(admin, 'cl2');
  t.true(await d.open('s1', 'n1'));
  t.true(await d.decide('s1', 'commit', 'n1'));
  t.is(await d.abortOrphan('s1'), 'commit');
  t.is(await d.abortOrphan('s2'), 'abort');
});
