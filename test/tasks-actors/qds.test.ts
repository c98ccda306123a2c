// QDS across processes: the signer, forwarder and verifier roles run in three node processes of the
// reference network, with keys from their Redis pools. Honest signatures pass in both variants,
// forgery attempts fail, honest forwarder and verifier always agree, and the pools lose exactly the
// bits the task reports (each withdrawn bit taken once by the peer).
import test from 'ava';
import { qdsStringLength } from '../../protocols/tasks/qds.ts';
import { AUTH_BITS_PER_LINK } from '../../actors/tasks/qds-roles.ts';
import { consumption, fillPools, request, startEnv, type Env } from './helpers.ts';

let env: Env;
test.before(async () => { env = await startEnv(); await fillPools(env.stores, 60_000); });
test.after.always(async () => { await env?.stop(); });

const contract = new Uint8Array(43 * 1024).map((_, i) => (i * 7 + 3) & 0xff);

/** Pool deltas between two consumption snapshots, per "A|B:kind". */
function delta(before: Map<string, { out: number; outRef: number }>, after: Map<string, { out: number; outRef: number }>) {
  const d: Record<string, { out: number; outRef: number }> = {};
  for (const [k, a] of after) {
    const b = before.get(k) ?? { out: 0, outRef: 0 };
    if (a.out !== b.out || a.outRef !== b.outRef) d[k] = { out: a.out - b.out, outRef: a.outRef - b.outRef };
  }
  return d;
}

test.serial('secret-key QDS (Charlie signs for Alice, third party Frank): n = 53 for a 43 KB contract, both accept, 106 bits per link', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'sign', signer: 'Charlie', receiver: 'Alice', thirdParty: 'Frank', variant: 'secret', message: contract });
  t.is(r.error, undefined);
  // Independent: ceil(log2(8 * (44032 + prefix)) + 1 + log2(1e10)) = ceil(18.43 + 1 + 33.22) = 53.
  t.is(r.n, 53);
  t.true(r.forwarderAccept); t.true(r.verifierAccept); t.true(r.agree);
  t.deepEqual(r.keyBitsPerPool, { 'Alice|Charlie': 106, 'Charlie|Frank': 106 });
  const d = delta(before, await consumption(env.stores));
  // Each withdrawn bit is taken exactly once by the peer, and nothing else moved.
  t.deepEqual(d, {
    'Alice|Charlie:secret': { out: 106, outRef: 106 },
    'Charlie|Frank:secret': { out: 106, outRef: 106 },
    'Alice|Frank:secret': { out: AUTH_BITS_PER_LINK, outRef: AUTH_BITS_PER_LINK },
  });
});

test.serial('imperfect-key QDS (David signs for Alice, third party Bob): 900-bit strings from the imperfect pools', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'sign', signer: 'David', receiver: 'Alice', thirdParty: 'Bob', variant: 'imperfect', message: contract });
  t.is(r.n, 900); t.is(r.bitsPerLink, 1800);
  t.true(r.forwarderAccept && r.verifierAccept);
  t.deepEqual(delta(before, await consumption(env.stores)), {
    'Alice|David:imperfect': { out: 1800, outRef: 1800 },
    'Bob|David:imperfect': { out: 1800, outRef: 1800 },
    'Alice|Bob:secret': { out: AUTH_BITS_PER_LINK, outRef: AUTH_BITS_PER_LINK },
  });
});

test.serial('the control plane picks the variant and the third party when the user does not', async (t) => {
  const r = await request(env.cluster, { kind: 'sign', signer: 'David', receiver: 'Alice', message: contract });
  t.true(r.chosen.variant && r.chosen.thirdParty);
  t.is(r.variant, 'imperfect'); // both imperfect pools hold >= 1800 bits
  t.not(r.verifier, 'David'); t.not(r.verifier, 'Alice');
  t.true(r.agree && r.verifierAccept);
});

for (const attack of ['alter-message', 'alter-signature', 'wrong-keys'] as const) {
  test.serial(`forgery attempt "${attack}" is rejected by both honest parties (verdicts agree)`, async (t) => {
    const r = await request(env.cluster, { kind: 'sign', signer: 'Charlie', receiver: 'Alice', thirdParty: 'Frank', variant: 'secret', message: contract, attack });
    t.false(r.forwarderAccept); t.false(r.verifierAccept); t.true(r.agree);
  });
}

test.serial('a forwarder forging a signature on another message is rejected by the verifier', async (t) => {
  const r = await request(env.cluster, { kind: 'sign', signer: 'Charlie', receiver: 'Alice', thirdParty: 'Frank', variant: 'secret', message: contract, attack: 'forge' });
  t.false(r.verifierAccept);
  t.not(r.verifierReason, 'ok');
});

test.serial('a request the pools cannot serve is refused before it starts, naming every short lane and the runs that fill them', async (t) => {
  const before = await consumption(env.stores);
  const r = await request(env.cluster, { kind: 'sign', signer: 'Charlie', receiver: 'Alice', thirdParty: 'Frank', variant: 'imperfect', message: contract, imperfectBits: 50_000 });
  t.is(qdsStringLength('imperfect', { messageBytes: 1, imperfectStringBits: 50_000 }), 50_000);
  t.is(r.code, 'refused');
  // 2n = 100 000 bits from each of Charlie's imperfect lanes, which hold half of the 60 000 filled bits each.
  t.deepEqual(r.short.map((x: Record<string, unknown>) => [x.owner, x.peer, x.kind, x.bits, x.available]), [
    ['Charlie', 'Alice', 'imperfect', 100_000, 30_000],
    ['Charlie', 'Frank', 'imperfect', 100_000, 30_000],
  ]);
  t.regex(r.error, /Charlie->Alice imperfect: 100000 bits needed, 30000 available/);
  t.deepEqual(r.fill.map((f: { command: string }) => f.command.replace(/--seconds [\d.e+-]+/, '--seconds T')), [
    'hetqn qkd Charlie Alice --seconds T --key-kind imperfect',
    'hetqn qkd Charlie Frank --seconds T --key-kind imperfect',
  ]);
  // Nothing was withdrawn.
  t.deepEqual(await consumption(env.stores), before);
});

test.serial('a malformed request is refused by the codec, naming the field', async (t) => {
  const e = await t.throwsAsync(request(env.cluster, { kind: 'sign', signer: 'Charlie', receiver: 'Alice', message: new Uint8Array(0) }));
  t.regex(e!.message, /message/);
  const e2 = await t.throwsAsync(request(env.cluster, { kind: 'sign', signer: 'Char lie', receiver: 'Alice', message: contract } as never));
  t.regex(e2!.message, /signer/);
});
