import test from 'ava';
import { memoryChannelPair, expectMessage, ChannelClosedError, ProtocolError, tapChannel } from '../../protocols/postprocessing/channel.ts';

test('memory channel delivers in order, both directions, and copies payloads', async (t) => {
  const [a, b] = memoryChannelPair();
  const buf = new Uint32Array([1, 2, 3]);
  a.send({ type: 'x', n: 1, data: buf });
  a.send({ type: 'y', n: 2 });
  buf[0] = 99; // sender reuses its buffer: the peer must still see what was sent
  const m1 = await b.receive();
  t.is(m1.type, 'x');
  t.deepEqual(m1.data, new Uint32Array([1, 2, 3]));
  t.is((await expectMessage(b, 'y')).n, 2);
  const pending = a.receive();
  b.send({ type: 'z' });
  t.is((await pending).type, 'z');
});

test('expectMessage rejects a message of the wrong type', async (t) => {
  const [a, b] = memoryChannelPair();
  a.send({ type: 'other' });
  await t.throwsAsync(expectMessage(b, 'wanted'), { instanceOf: ProtocolError, message: /expected message 'wanted', got 'other'/ });
});

test('close rejects pending and later receives on both ends', async (t) => {
  const [a, b] = memoryChannelPair();
  const pending = b.receive();
  a.close!('abort: test');
  await t.throwsAsync(pending, { instanceOf: ChannelClosedError, message: 'abort: test' });
  await t.throwsAsync(a.receive(), { instanceOf: ChannelClosedError });
  t.throws(() => b.send({ type: 'late' }), { instanceOf: ChannelClosedError });
});

test('tapChannel sees every message', async (t) => {
  const [a0, b] = memoryChannelPair();
  const seen: string[] = [];
  const a = tapChannel(a0, (dir, m) => seen.push(`${dir}:${m.type}`));
  await a.send({ type: 'q' });
  b.send({ type: 'r' });
  await a.receive();
  t.deepEqual(seen, ['sent:q', 'received:r']);
});
