// keyKind 'imperfect' (QDS imperfect-key pools, Li et al. PRApplied 20, 044011 (2023)): a David–Alice
// BB84 session deposits the error-corrected, verified key before privacy amplification in both
// ends' `imperfect` pools under the session's block id, and nothing in the `secret` pools (the
// secret key would be a hash of these very bits). BB84 reconciles the whole sifted X key, so the
// deposit is l_sift bits long, more than the l_sec the same run would have given after PA.
import test from 'ava';
import { startEnv, stopEnv, qkd, store, cliAs, type Env } from './helpers.ts';
import { subject } from '../../runtime/subjects.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

test.serial('David-Alice with keyKind imperfect: identical reconciled bytes in both imperfect pools, none in secret', async (t) => {
  const secretBefore = await Promise.all([store(env!, 'Alice').stats('David', 'secret'), store(env!, 'David').stats('Alice', 'secret')]);
  const o = await qkd(env!, 'David', 'Alice', { seconds: 0.01, protocol: 'bb84', keyKind: 'imperfect' });
  t.true(o.ok, o.reason);
  const r = o.result!;
  t.is(r.keyKind, 'imperfect');
  t.is(r.protocol, 'bb84');
  // The deposit is the reconciled key: one bit per sifted X-basis bit, l_sift of them.
  t.is(r.keyBits, r.l_sift);
  t.true(r.l_sec > 0 && r.l_sec < r.keyBits, `l_sec ${r.l_sec} vs imperfect ${r.keyBits}`);
  // Both imperfect pools hold the block, committed, with the reported length.
  const [sa, sd] = await Promise.all([store(env!, 'Alice').stats('David', 'imperfect'), store(env!, 'David').stats('Alice', 'imperfect')]);
  t.is(sa.bitsIn, r.keyBits);
  t.is(sd.bitsIn, r.keyBits);
  // Withdraw by size on one end (Alice's lane: the lexically smaller id), take by reference on the other.
  const bits = Math.floor(r.keyBits / 2) - 8;
  const w = await store(env!, 'Alice').withdraw('David', 'imperfect', bits);
  const k = w.keys[0]!;
  t.is(k.length, bits);
  t.deepEqual([...new Set(k.refs.map((x) => x.blockId))], [r.keyId]);
  const k2 = (await store(env!, 'David').take('Alice', 'imperfect', [k.refs])).keys[0]!;
  t.is(k2.length, bits);
  t.true(Buffer.from(k.bytes).equals(Buffer.from(k2.bytes)), 'the two ends hold different bytes');
  // The secret pools got nothing from this session.
  const secretAfter = await Promise.all([store(env!, 'Alice').stats('David', 'secret'), store(env!, 'David').stats('Alice', 'secret')]);
  t.is(secretAfter[0].bitsIn, secretBefore[0].bitsIn);
  t.is(secretAfter[1].bitsIn, secretBefore[1].bitsIn);
});

test.serial('a keyKind outside secret|imperfect is refused naming the field', async (t) => {
  const e = await t.throwsAsync(env!.cluster.client.request(subject.platformRequest(), 'platform.request', { id: 'tbadkind', kind: 'qkd', a: 'David', b: 'Alice', seconds: 0.01, keyKind: 'raw' }));
  t.regex(e!.message, /keyKind/);
});

test.serial('hetqn qkd --key-kind imperfect fills the imperfect pools; a bad --key-kind is named', async (t) => {
  const before = await store(env!, 'Bob').stats('David', 'imperfect');
  const r = await cliAs(env!, ['qkd', 'David', 'Bob', '--seconds', '0.01', '--key-kind', 'imperfect', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.is(out.keyKind, 'imperfect');
  t.is(out.keyBits, out.l_sift);
  t.is((await store(env!, 'Bob').stats('David', 'imperfect')).bitsIn - before.bitsIn, out.keyBits);
  const bad = await cliAs(env!, ['qkd', 'David', 'Bob', '--key-kind', 'raw']);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /--key-kind/);
});
