// Conference key across processes: David's QRNG key, one-time padded with 10 kbit of each of his four
// secret pools and Wegman–Carter authenticated, reaches Alice, Bob, Charlie and Frank; a ciphertext
// changed on the wire is detected by its participant (and by no one else).
import test from 'ava';
import { AUTH_BITS_PER_LINK } from '../../actors/tasks/qds-roles.ts';
import { consumption, fillPools, request, startEnv, type Env } from './helpers.ts';

let env: Env;
test.before(async () => { env = await startEnv(); await fillPools(env.stores, 50_000, ['secret']); });
test.after.always(async () => { await env?.stop(); });

test.serial('every participant recovers K; each link spends L + the authentication key, once', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'conference', sponsor: 'David', bits: 10_000 });
  t.is(r.error, undefined);
  t.deepEqual(r.participants, ['Alice', 'Bob', 'Charlie', 'Frank']);
  t.true(r.allRecovered);
  for (const p of r.results) t.true(p.recovered, p.node);
  const after = await consumption(env.stores);
  for (const p of ['Alice', 'Bob', 'Charlie', 'Frank']) {
    const k = `${[p, 'David'].sort().join('|')}:secret`;
    t.is(after.get(k)!.out - (before.get(k)?.out ?? 0), 10_000 + AUTH_BITS_PER_LINK);
    t.is(after.get(k)!.outRef - (before.get(k)?.outRef ?? 0), 10_000 + AUTH_BITS_PER_LINK);
  }
});

test.serial('a tampered ciphertext is detected by the Wegman–Carter tag', async (t) => {
  const r = await request(env.cluster, { kind: 'conference', sponsor: 'David', bits: 10_000, tamper: 'Charlie' });
  t.false(r.allRecovered);
  t.true(r.tamperedDetected);
  const charlie = r.results.find((x: { node: string }) => x.node === 'Charlie');
  t.false(charlie.ok); t.is(charlie.reason, 'tag');
  for (const p of r.results.filter((x: { node: string }) => x.node !== 'Charlie')) t.true(p.recovered);
});

test.serial('two conference keys are different (fresh QRNG draw, fresh pads)', async (t) => {
  const a = await request(env.cluster, { kind: 'conference', sponsor: 'David', bits: 256 });
  const b = await request(env.cluster, { kind: 'conference', sponsor: 'David', bits: 256 });
  t.not(a.keyDigest, b.keyDigest);
});
