// The NATS-backed ClassicalChannel of the sessions (runtime/processes/session-wiring-stream.ts) over
// a real nats-server between two hosts: order and content survive (typed arrays included), a
// message far above NATS max_payload arrives whole, and closing one end rejects the peer's receive.
import test from 'ava';
import { startNats, type ManagedServer } from '../../infra/servers.ts';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { subject } from '../../runtime/subjects.ts';
import { Mailbox, natsClassicalChannel } from '../../runtime/processes/session-wiring-stream.ts';
import { ChannelClosedError } from '../../protocols/postprocessing/channel.ts';

let nats: ManagedServer;
const hosts: ActorHost[] = [];
test.before(async () => { nats = await startNats({ jetstream: false }); });
test.after.always(async () => { for (const h of hosts) await h.stop(); await nats?.stop(); });

async function pair(sid: string) {
  const mk = async (identity: string, name: string) => {
    const h = new ActorHost({ bus: await NatsBus.connect({ servers: [nats.url], name, net: 'chantest', identity }), net: 'chantest', processId: name });
    hosts.push(h);
    return h;
  };
  const ha = await mk('Alice', `a-${sid}`), hb = await mk('Bob', `b-${sid}`);
  const ma = new Mailbox(ha, subject.session(sid, 'Alice')), mb = new Mailbox(hb, subject.session(sid, 'Bob'));
  await ha.bus.flush(); await hb.bus.flush();
  return { a: natsClassicalChannel(ha, ma, sid, 'Bob'), b: natsClassicalChannel(hb, mb, sid, 'Alice') };
}

test('messages arrive in order with their typed arrays; a 6 MB message is chunked and reassembled', async (t) => {
  const { a, b } = await pair('s1');
  const big = new Uint32Array(1_500_000).map((_, i) => (i * 2654435761) >>> 0);
  for (let i = 0; i < 300; i++) void a.send({ type: 'step', i, words: new Uint32Array([i, i + 1]), f: new Float64Array([i / 3]) });
  void a.send({ type: 'big', words: big });
  for (let i = 0; i < 300; i++) {
    const m = await b.receive();
    t.is(m.i, i);
    t.deepEqual(m.words, new Uint32Array([i, i + 1]));
    t.deepEqual(m.f, new Float64Array([i / 3]));
  }
  const m = await b.receive();
  t.is(m.type, 'big');
  t.true(m.words instanceof Uint32Array);
  t.deepEqual(m.words, big);
  // and the other direction
  await b.send({ type: 'ack', n: 301 });
  t.is((await a.receive()).n, 301);
});

test('large Uint32Arrays arrive as Uint32Arrays with their values, whether or not they fit 16 bits', async (t) => {
  const { a, b } = await pair('s3');
  const small = new Uint32Array(200_000).map((_, i) => (i * 7919) % 65536);
  const wide = small.slice(); wide[123_456] = 65536;
  const view = new Uint32Array(small.buffer, 4 * 1000, 50_000);
  await a.send({ type: 'deltas', small, wide, view, tiny: new Uint32Array([1, 2, 3]) });
  const m = await b.receive();
  for (const k of ['small', 'wide', 'view', 'tiny']) t.true(m[k] instanceof Uint32Array, k);
  t.deepEqual(m.small, small);
  t.deepEqual(m.wide, wide);
  t.deepEqual(m.view, view);
  t.deepEqual(m.tiny, new Uint32Array([1, 2, 3]));
});

test('large Uint8Arrays of bits arrive as Uint8Arrays with their values, whatever their length, offset or content', async (t) => {
  const { a, b } = await pair('s4');
  const bits = new Uint8Array(100_003).map((_, i) => ((i * 2654435761) >>> 13) & 1);
  const notBits = bits.slice(); notBits[77_777] = 2;
  const odd = bits.subarray(5, 60_000);
  await a.send({ type: 'bits', bits, notBits, odd, ones: new Uint8Array(8192).fill(1) });
  const m = await b.receive();
  for (const k of ['bits', 'notBits', 'odd', 'ones']) t.true(m[k] instanceof Uint8Array, k);
  t.deepEqual(m.bits, bits);
  t.deepEqual(m.notBits, notBits);
  t.deepEqual(m.odd, odd);
  t.deepEqual(m.ones, new Uint8Array(8192).fill(1));
});

test('closing one end rejects the pending receive of the other with the reason', async (t) => {
  const { a, b } = await pair('s2');
  const pending = b.receive();
  a.close?.('session aborted by test');
  const err = await t.throwsAsync(pending);
  t.true(err instanceof ChannelClosedError);
  t.regex(err!.message, /aborted by test/);
});
