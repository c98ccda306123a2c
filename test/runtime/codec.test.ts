// Frame codec and message validation: every rejection names the field; random input never throws
// anything but a FrameError.
import test from 'ava';
import fc from 'fast-check';
import { z } from 'zod';
import { decodeFrame, encodeFrame, FrameError, packRaw, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_BYTES } from '../../runtime/codec.ts';
import { defineMessages } from '../../runtime/messages.ts';
import { subjectMatches, fullSubject, subject, senderOf, parseAddress, permissionsOf } from '../../runtime/subjects.ts';

defineMessages({
  'test.ping': z.object({ n: z.number().int(), who: z.object({ name: z.string() }) }),
  'test.blob': z.object({ data: z.instanceof(Uint8Array) }),
});

const good = { v: PROTOCOL_VERSION, type: 'test.ping', from: 'p1', body: { n: 3, who: { name: 'Alice' } }, ts: 1 };

function fieldOf(fn: () => unknown): string {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  if (!(err instanceof FrameError)) throw new Error(`expected a FrameError, got ${err}`);
  return err.field;
}

test('a valid frame round-trips, typed arrays included', (t) => {
  t.deepEqual(decodeFrame(encodeFrame(good)), good);
  const blob = { ...good, type: 'test.blob', body: { data: new Uint8Array([1, 2, 250]) } };
  const back = decodeFrame(encodeFrame(blob)).body as { data: Uint8Array };
  t.deepEqual([...back.data], [1, 2, 250]);
});

test('wrong version, unknown type, bad body and missing envelope fields are named', (t) => {
  t.is(fieldOf(() => decodeFrame(packRaw({ ...good, v: 2 }))), 'v');
  t.is(fieldOf(() => decodeFrame(packRaw({ ...good, v: undefined }))), 'v');
  t.is(fieldOf(() => decodeFrame(packRaw({ ...good, type: 'no.such.type' }))), 'type');
  t.is(fieldOf(() => decodeFrame(packRaw({ ...good, body: { n: 'three', who: { name: 'A' } } }))), 'body.n');
  t.is(fieldOf(() => decodeFrame(packRaw({ ...good, body: { n: 1, who: {} } }))), 'body.who.name');
  const { from: _f, ...noFrom } = good;
  t.is(fieldOf(() => decodeFrame(packRaw(noFrom))), 'from');
  const { ts: _t, ...noTs } = good;
  t.is(fieldOf(() => decodeFrame(packRaw(noTs))), 'ts');
  t.is(fieldOf(() => decodeFrame(packRaw([1, 2, 3]))), 'frame');
  t.is(fieldOf(() => decodeFrame(packRaw('hello'))), 'frame');
  t.is(fieldOf(() => decodeFrame(new Uint8Array(0))), 'frame');
});

test('oversized frames are refused on both sides', (t) => {
  const big = { ...good, type: 'test.blob', body: { data: new Uint8Array(DEFAULT_MAX_FRAME_BYTES + 10) } };
  t.is(fieldOf(() => encodeFrame(big)), 'frame');
  t.is(fieldOf(() => decodeFrame(packRaw(big))), 'frame');
  t.is(fieldOf(() => decodeFrame(new Uint8Array(2000), 1000)), 'frame');
});

test('the sender cannot encode a body that fails its schema', (t) => {
  t.is(fieldOf(() => encodeFrame({ ...good, body: { n: 1.5, who: { name: 'A' } } })), 'body.n');
  t.is(fieldOf(() => encodeFrame({ ...good, type: 'unregistered.type' })), 'type');
});

test('random bytes and random objects only ever produce FrameErrors', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try { decodeFrame(bytes); } catch (e) { if (!(e instanceof FrameError)) throw e; }
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.anything(), (value) => {
    try { decodeFrame(packRaw(value)); } catch (e) { if (!(e instanceof FrameError)) throw e; }
  }), { numRuns: 1000 });
  // Mutating single bytes of a valid frame.
  const frame = encodeFrame(good);
  fc.assert(fc.property(fc.nat(frame.length - 1), fc.nat(255), (i, b) => {
    const f = frame.slice(); f[i] = b;
    try { decodeFrame(f); } catch (e) { if (!(e instanceof FrameError)) throw e; }
  }), { numRuns: 2000 });
  t.pass();
});

test('registering a different schema under a taken type is refused', (t) => {
  t.throws(() => defineMessages({ 'test.ping': z.object({}) }), { message: /already registered/ });
  t.throws(() => defineMessages({ 'bad type!': z.object({}) }), { message: /dotted words/ });
});

test('subjects follow the NATS wildcard rules and reject unsafe tokens', (t) => {
  t.true(subjectMatches('qn.ref.status.*', 'qn.ref.status.Alice'));
  t.false(subjectMatches('qn.ref.status.*', 'qn.ref.status.Alice.x'));
  t.true(subjectMatches('qn.ref.>', 'qn.ref.status.Alice.x'));
  t.false(subjectMatches('qn.ref.>', 'qn.ref'));
  t.false(subjectMatches('qn.ref.actor.a', 'qn.ref.actor.b'));
  t.is(fullSubject('ref', subject.session('s1', 'Bob'), 'Alice'), 'qn.ref.session.s1.Bob.Alice');
  t.is(senderOf(fullSubject('ref', subject.actor('server', 'hypervisor'), 'Bob')), 'Bob');
  t.throws(() => subject.actor('server', 'a.b'), { message: /systemId/ });
  t.throws(() => subject.session('s1', '*'), { message: /node/ });
  t.throws(() => fullSubject('ref', 'status', 'Al.ice'), { message: /sender/ });
  t.deepEqual(parseAddress('Alice/local-Alice', 'server'), { owner: 'Alice', systemId: 'local-Alice' });
  t.deepEqual(parseAddress('router', 'server'), { owner: 'server', systemId: 'router' });
});

test('every subject an identity may publish ends in its own token, and a node subscribes only to what is addressed to it', (t) => {
  for (const id of ['server', 'Alice', 'client', 'inspector']) {
    const p = permissionsOf('ref', id);
    for (const s of p.publish) t.is(senderOf(s), id, `${id} may publish ${s}`);
    t.true(p.subscribe.includes(`_INBOX.ref.${id}.>`));
  }
  const alice = permissionsOf('ref', 'Alice');
  const mayRead = (s: string) => alice.subscribe.some((p) => subjectMatches(p, s));
  t.true(mayRead('qn.ref.fabric.s1.Alice.server'));
  t.false(mayRead('qn.ref.fabric.s1.Bob.server'));
  t.false(mayRead('qn.ref.fabric.s1.Alice.Bob'), 'fabric deliveries come from the server only');
  t.true(mayRead('qn.ref.session.s1.Alice.Bob'));
  t.false(mayRead('qn.ref.session.s1.Bob.Alice'));
  t.true(mayRead('qn.ref.actor.Alice.local-Alice.server'));
  t.false(mayRead('qn.ref.actor.Bob.local-Bob.server'));
  t.false(mayRead('qn.ref.status.Bob'));
  const mayWrite = (s: string) => alice.publish.some((p) => subjectMatches(p, s));
  t.true(mayWrite('qn.ref.coord.s1.Alice'), 'a node reports to session coordinators');
  t.false(mayWrite('qn.ref.coord.s1.server'));
  t.false(mayWrite('qn.ref.actor.Bob.local-Bob.Alice'), 'a node sends to no actor inbox');
  t.false(mayWrite('qn.ref.actor.server.router.Alice'), 'nor to the server\'s actors (router, tasks...)');
  const client = permissionsOf('ref', 'client');
  t.false(client.subscribe.some((p) => subjectMatches(p, 'qn.ref.fabric.s1.Alice.server') || subjectMatches(p, 'qn.ref.session.s1.Alice.Bob')));
});
