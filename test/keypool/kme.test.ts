// The ETSI GS QKD 014 API of two nodes, exercised with fetch: Alice's SAE gets keys from Alice's KME
// (enc_keys), Bob's SAE gets the same keys by key_ID from Bob's KME (dec_keys); errors use the
// standard's status codes and Error shape.
import test from 'ava';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { generatePoolUsers } from '../../infra/keypool/acl.ts';
import { startKme, type KmeServer } from '../../infra/kme/server.ts';
import { sha256Hex } from '../../infra/kme/sae.ts';
import { blockOf, deposit, expectedBytes } from './helpers.ts';

const net = 'kme';
let srv: ManagedServer;
let alice: KmeServer, bob: KmeServer, guarded: KmeServer;
const aliceToken = 'alice-token-0123456789abcdef0123456789abcdef';
let sa: KeyPoolStore, sb: KeyPoolStore;
const conns: Redis[] = [];
const block = blockOf('qkd-1', 8192, 42);

test.before(async () => {
  const users = generatePoolUsers(net, ['Alice', 'Bob']);
  srv = await startRedis({ users: users.aclLines });
  const open = (n: 'Alice' | 'Bob') => { const r = new Redis(srv.address, { username: users.nodes[n].username, password: users.nodes[n].password, enableReadyCheck: false, maxRetriesPerRequest: 1 }); r.on('error', () => undefined); conns.push(r); return new KeyPoolStore(r, { net, owner: n }); };
  sa = open('Alice'); sb = open('Bob');
  await deposit(sa, sb, 'secret', block);
  alice = await startKme({ store: sa, auth: 'none' });
  bob = await startKme({ store: sb, auth: 'none' });
  guarded = await startKme({ store: sa, saes: [{ id: 'Alice', node: 'Alice', tokenSha256: sha256Hex(aliceToken) }], unlistedSaesAreNodes: true });
});
test.after.always(async () => { await alice?.close(); await bob?.close(); await guarded?.close(); for (const c of conns) c.disconnect(); await srv?.stop(); });

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

test.serial('status reports the pool between the two SAEs', async (t) => {
  const res = await fetch(`${alice.url}/api/v1/keys/Bob/status`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), {
    source_KME_ID: 'KME-Alice', target_KME_ID: 'KME-Bob', master_SAE_ID: 'Alice', slave_SAE_ID: 'Bob',
    key_size: 256, stored_key_count: 16, max_key_count: 1_000_000, max_key_per_request: 128,
    max_key_size: 8192, min_key_size: 8, max_SAE_ID_count: 0,
  });
});

test.serial('enc_keys on the master side and dec_keys on the slave side deliver identical keys', async (t) => {
  const res = await post(alice.url, '/api/v1/keys/Bob/enc_keys', { number: 3, size: 512 });
  t.is(res.status, 200);
  const enc = await res.json() as { keys: { key_ID: string; key: string }[] };
  t.is(enc.keys.length, 3);
  for (const k of enc.keys) {
    t.regex(k.key_ID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.is(Buffer.from(k.key, 'base64').length, 64);
  }
  // the first key is bits [0, 512) of the block (Alice's lane starts at 0)
  t.deepEqual(new Uint8Array(Buffer.from(enc.keys[0].key, 'base64')), expectedBytes(new Map([[block.id, block]]), [{ blockId: block.id, offset: 0, length: 512 }]));
  const dres = await post(bob.url, '/api/v1/keys/Alice/dec_keys', { key_IDs: enc.keys.map((k) => ({ key_ID: k.key_ID })) });
  t.is(dres.status, 200);
  t.deepEqual(await dres.json(), enc);
  // GET forms of both methods
  const g = await fetch(`${alice.url}/api/v1/keys/Bob/enc_keys?number=1&size=128`);
  t.is(g.status, 200);
  const gk = (await g.json() as { keys: { key_ID: string; key: string }[] }).keys[0];
  const gd = await fetch(`${bob.url}/api/v1/keys/Alice/dec_keys?key_ID=${gk.key_ID}`);
  t.deepEqual(await gd.json(), { keys: [gk] });
  const st = await (await fetch(`${alice.url}/api/v1/keys/Bob/status`)).json() as { stored_key_count: number };
  t.is(st.stored_key_count, Math.floor((4096 - 3 * 512 - 128) / 256));
});

test.serial('a key_ID is delivered once: a second dec_keys is refused with 400', async (t) => {
  const enc = await (await post(alice.url, '/api/v1/keys/Bob/enc_keys', {})).json() as { keys: { key_ID: string }[] };
  const body = { key_IDs: [{ key_ID: enc.keys[0].key_ID }] };
  t.is((await post(bob.url, '/api/v1/keys/Alice/dec_keys', body)).status, 200);
  const again = await post(bob.url, '/api/v1/keys/Alice/dec_keys', body);
  t.is(again.status, 400);
  t.regex((await again.json() as { message: string }).message, /already delivered/);
});

test.serial('unknown peer SAE: 400 naming the SAE field', async (t) => {
  const r1 = await fetch(`${alice.url}/api/v1/keys/Mallory/status`);
  t.is(r1.status, 400);
  const e1 = await r1.json() as { message: string; details: object[] };
  t.regex(e1.message, /unknown slave_SAE_ID/);
  t.deepEqual(e1.details, [{ slave_SAE_ID: 'Mallory' }]);
  t.is((await post(alice.url, '/api/v1/keys/Mallory/enc_keys', { number: 1 })).status, 400);
  const r3 = await post(bob.url, '/api/v1/keys/Mallory/dec_keys', { key_IDs: [{ key_ID: '11111111-1111-4111-8111-111111111111' }] });
  t.is(r3.status, 400);
  t.regex((await r3.json() as { message: string }).message, /unknown master_SAE_ID/);
});

test.serial('malformed bodies: 400 with the field named', async (t) => {
  const cases: [string, string, unknown, RegExp][] = [
    [alice.url, '/api/v1/keys/Bob/enc_keys', { number: 'two' }, /number/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', { number: 1, sise: 256 }, /sise|body/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', { size: 100 }, /size/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', { number: 1000 }, /number/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', { additional_slave_SAE_IDs: ['Carol'] }, /multicast/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', { extension_mandatory: [{ abc_route_type: 'direct' }] }, /extension_mandatory/],
    [alice.url, '/api/v1/keys/Bob/enc_keys', '{"number": ', /bad request format/],
    [bob.url, '/api/v1/keys/Alice/dec_keys', { key_IDs: [{ key_ID: 'not-a-uuid' }] }, /key_IDs\.0\.key_ID/],
    [bob.url, '/api/v1/keys/Alice/dec_keys', { keys: [] }, /key_IDs/],
    [bob.url, '/api/v1/keys/Alice/dec_keys', { key_IDs: [{ key_ID: '22222222-2222-4222-8222-222222222222' }] }, /unknown key_ID/],
  ];
  for (const [base, path, body, re] of cases) {
    const r = await post(base, path, body);
    t.is(r.status, 400, JSON.stringify(body));
    const e = await r.json() as { message: string; details?: object[] };
    t.regex(e.message + JSON.stringify(e.details ?? []), re, JSON.stringify(body));
  }
});

test.serial('not enough key: 503, and nothing is consumed', async (t) => {
  const before = (await sa.stats('Bob', 'secret')).available;
  const r = await post(alice.url, '/api/v1/keys/Bob/enc_keys', { number: 100, size: 8192 });
  t.is(r.status, 503);
  t.regex((await r.json() as { message: string }).message, /not enough key/);
  t.is((await sa.stats('Bob', 'secret')).available, before);
});

test.serial('with SAE tokens a request without the right bearer token gets 401', async (t) => {
  t.is((await fetch(`${guarded.url}/api/v1/keys/Bob/status`)).status, 401);
  t.is((await fetch(`${guarded.url}/api/v1/keys/Bob/status`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  const ok = await fetch(`${guarded.url}/api/v1/keys/Bob/status`, { headers: { authorization: `Bearer ${aliceToken}` } });
  t.is(ok.status, 200);
});

test.serial('Redis down: 503', async (t) => {
  await srv.kill();
  const r = await post(alice.url, '/api/v1/keys/Bob/enc_keys', {}).catch((e) => e);
  t.is((r as Response).status, 503);
  await srv.restart();
});
