import test from 'ava';
import { authenticatedChannel, AuthenticationError, authKeyBitsFor } from '../../protocols/postprocessing/authenticated-channel.ts';
import { preSharedKeySource, KeyExhaustedError } from '../../protocols/postprocessing/key-source.ts';
import { memoryChannelPair, type ClassicalChannel, type PpMessage } from '../../protocols/postprocessing/channel.ts';
import { polyHash127, PolyHash127Stream, P127 } from '../../protocols/postprocessing/poly-hash.ts';
import { canonicalBytes } from '../../protocols/postprocessing/canonical.ts';
import { cascadeAlice, cascadeBob } from '../../protocols/postprocessing/cascade.ts';
import { createRng } from '../../protocols/rng.ts';
import { randomBits, equals } from '../../protocols/bits.ts';
import { noisyPair } from './helpers.ts';

const psk = (bits: number, seed = 'psk') => { const r = createRng(seed); return randomBits(bits, () => r.nextUint32()); };

function pair(keyBits = 200_000, mangle?: (m: PpMessage, i: number) => PpMessage[], mode: 'message' | 'transcript' = 'message') {
  const [a0, b] = memoryChannelPair();
  let i = 0;
  // An active attacker sitting on Alice's outgoing direction.
  const a: ClassicalChannel = mangle
    ? { send: (m) => { for (const x of mangle(structuredClone(m), i++)) a0.send(x); }, receive: () => a0.receive(), close: (r) => a0.close!(r) }
    : a0;
  const key = psk(keyBits);
  const A = authenticatedChannel(a, preSharedKeySource(key), { role: 'initiator', label: 'sess-1', mode });
  const B = authenticatedChannel(b, preSharedKeySource({ length: key.length, words: key.words.slice() }), { role: 'responder', label: 'sess-1', mode });
  return { A, B };
}

test('polynomial hash: Horner matches the defining sum on a short message', (t) => {
  const k = 123456789012345678901234567890n % P127;
  const data = new Uint8Array(20).map((_, i) => i * 13 + 1);
  // blocks: bytes 0..14 (little-endian), bytes 15..19, then the length 20
  const le = (b: Uint8Array) => b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
  const m = [le(data.subarray(0, 15)), le(data.subarray(15)), 20n];
  const pow = (x: bigint, e: number) => { let r = 1n; for (let i = 0; i < e; i++) r = (r * x) % P127; return r; };
  const want = (m[0] * pow(k, 3) + m[1] * pow(k, 2) + m[2] * k) % P127;
  t.is(polyHash127(k, data), want);
});

test('canonical encoding ignores key order and distinguishes value types', (t) => {
  t.deepEqual(canonicalBytes({ type: 'x', a: 1, b: 2 }), canonicalBytes({ b: 2, type: 'x', a: 1 }));
  t.notDeepEqual(canonicalBytes({ type: 'x', a: new Uint8Array([1]) }), canonicalBytes({ type: 'x', a: new Uint32Array([1]) }));
  t.notDeepEqual(canonicalBytes({ type: 'x', a: '1' }), canonicalBytes({ type: 'x', a: 1 }));
});

test('messages pass in both directions, interleaved, and consume the documented key', async (t) => {
  const { A, B } = pair();
  await A.send({ type: 'm', data: new Uint32Array([1, 2, 3]) });
  await B.send({ type: 'r', ok: true });
  await A.send({ type: 'm2', text: 'hello' });
  t.deepEqual(await B.receive(), { type: 'm', data: new Uint32Array([1, 2, 3]) });
  t.deepEqual(await A.receive(), { type: 'r', ok: true });
  t.is((await B.receive()).text, 'hello');
  t.is(A.keyBitsUsed, authKeyBitsFor(2));
  t.is(B.keyBitsUsed, authKeyBitsFor(2));
});

test('a tampered message is rejected and the channel aborts', async (t) => {
  const { A, B } = pair(100_000, (m) => {
    const inner = m.msg as { data?: Uint32Array };
    if (inner.data) inner.data[1] ^= 1;
    return [m];
  });
  await A.send({ type: 'cascade.reply', count: 64, data: new Uint32Array([5, 6]) });
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /bad tag on message 0 \('cascade.reply'\).*aborting without keys/ });
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError });
  await t.throwsAsync(A.receive()); // the peer sees the abort too
});

test('a forged tag is rejected', async (t) => {
  const { A, B } = pair(100_000, (m) => { (m.tag as Uint8Array)[0] ^= 0x80; return [m]; });
  await A.send({ type: 'x' });
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /bad tag/ });
});

test('a replayed message is rejected', async (t) => {
  const { A, B } = pair(100_000, (m, i) => (i === 0 ? [m, structuredClone(m)] : [m]));
  await A.send({ type: 'x', n: 1 });
  t.is((await B.receive()).n, 1);
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /sequence 0, expected 1/ });
});

test('reordered messages are rejected', async (t) => {
  let held: PpMessage | undefined;
  const { A, B } = pair(100_000, (m, i) => { if (i === 0) { held = m; return []; } return [m, held!]; });
  await A.send({ type: 'first' });
  await A.send({ type: 'second' });
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /sequence 1, expected 0/ });
});

test('a message re-tagged with a replayed sequence number but new content fails the tag', async (t) => {
  let first: PpMessage | undefined;
  const { A, B } = pair(100_000, (m, i) => {
    if (i === 0) { first = m; return [m]; }
    return [{ ...m, seq: 1, tag: first!.tag }];
  });
  await A.send({ type: 'a' });
  await A.send({ type: 'b' });
  await B.receive();
  await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /bad tag on message 1/ });
});

test('an exhausted pre-shared key stops the channel', async (t) => {
  const { A } = pair(300);
  // the first message needs 127 (hash key) + 254 (first pad chunk) bits
  await t.throwsAsync(Promise.resolve(A.send({ type: 'one' })), { instanceOf: KeyExhaustedError });
});

test('Cascade runs unchanged over authenticated channels', async (t) => {
  const { alice, bob } = noisyPair(50_000, 0.02, 'auth-cascade');
  const { A, B } = pair(2_000_000);
  const [ra, rb] = await Promise.all([
    cascadeAlice(A, alice, { variant: 'option7', qber: 0.02, rng: createRng(3) }),
    cascadeBob(B, bob),
  ]);
  t.true(equals(ra.key, rb.key));
  t.is(A.keyBitsUsed, B.keyBitsUsed);
});

test('transcript mode: Cascade then one confirmation per direction, 381 key bits in all', async (t) => {
  const { alice, bob } = noisyPair(50_000, 0.02, 'transcript');
  const { A, B } = pair(2_000, undefined, 'transcript');
  const [ra, rb] = await Promise.all([
    cascadeAlice(A, alice, { variant: 'yanetal', qber: 0.02, rng: createRng(3) }),
    cascadeBob(B, bob),
  ]);
  await Promise.all([A.confirm(), B.confirm()]);
  t.true(equals(ra.key, rb.key));
  t.is(A.keyBitsUsed, 127 + 254);
  t.is(B.keyBitsUsed, 127 + 254);
});

test('transcript mode: an altered message fails the confirmation', async (t) => {
  const { A, B } = pair(10_000, (m, i) => { if (i === 1) (m.msg as { n: number }).n = 99; return [m]; }, 'transcript');
  await A.send({ type: 'x', n: 1 });
  await A.send({ type: 'x', n: 2 });
  t.is((await B.receive()).n, 1);
  t.is((await B.receive()).n, 99); // not yet detected ...
  const results = await Promise.allSettled([A.confirm(), B.confirm()]);
  t.is(results[1].status, 'rejected'); // ... but B's confirmation fails: no keys
  t.regex(String((results[1] as PromiseRejectedResult).reason), /bad transcript tag at confirmation 0/);
});

test('transcript mode: replay fails at once, a dropped message fails the confirmation', async (t) => {
  {
    const { A, B } = pair(10_000, (m, i) => (i === 0 ? [m, structuredClone(m)] : [m]), 'transcript');
    await A.send({ type: 'x' });
    await B.receive();
    await t.throwsAsync(B.receive(), { instanceOf: AuthenticationError, message: /sequence 0, expected 1/ });
  }
  {
    const { A, B } = pair(10_000, (m) => (m.type === 'auth' && m.seq === 1 ? [] : [m]), 'transcript');
    await A.send({ type: 'x' });
    await A.send({ type: 'y' });
    await B.receive();
    const results = await Promise.allSettled([A.confirm(), B.confirm()]);
    t.regex(String((results[1] as PromiseRejectedResult).reason), /peer sent 2 messages, we received 1/);
  }
});

test('streaming polynomial hash equals the one-shot hash for any split', (t) => {
  const rng = createRng('stream');
  const data = new Uint8Array(1000).map(() => rng.nextInt(256));
  const key = 987654321987654321987654321n;
  for (const cuts of [[0], [1, 2, 3], [14, 15, 16], [29, 500, 999], [333, 334]]) {
    const st = new PolyHash127Stream(key);
    let prev = 0;
    for (const c of [...cuts, data.length]) { st.update(data.subarray(prev, c)); prev = c; }
    t.is(st.digest(), polyHash127(key, data));
  }
});
