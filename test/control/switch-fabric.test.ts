import test from 'ava';
import { createActor } from 'xstate';
import { connect, createFabric, crossConnectLossDb, layoutFromView, peerOf, releaseSession } from '../../actors/server/switch-fabric.ts';
import { switchFabricMachine, type SwitchFabricReply } from '../../actors/server/switch-fabric-machine.ts';
import { referenceView, withGeorgeHenry } from './reference-view.ts';

const ports = (n: number, lossDb = 0.5) => Array.from({ length: n }, (_, i) => ({ port: i, owner: { kind: 'spare' as const }, lossDb }));

test('layout: server devices first, then one port per fibre (David two: BSM inputs); attaching only appends', (t) => {
  const v = referenceView();
  const before = layoutFromView(v);
  // 1 converter (in/out) + 1 beam splitter (4 ports) + Alice, Bob, Charlie, Frank (1 each) + David (2)
  t.is(before.length, 2 + 4 + 4 + 2);
  t.deepEqual(before.filter((p) => p.owner.kind === 'node' && p.owner.node === 'David').map((p) => p.port), [10, 11]);
  const after = layoutFromView(withGeorgeHenry(v));
  t.is(after.length, before.length + 2);
  t.deepEqual(after.slice(0, before.length), before);
});

test('connect: all-or-nothing, refuses a port already cross-connected, a port used twice, unknown ports', (t) => {
  let f = createFabric(ports(8), 10);
  const r1 = connect(f, 's1', [[0, 1], [2, 3]]);
  t.true(r1.ok);
  if (!r1.ok) return;
  f = r1.state;
  t.is(r1.settleMs, 10);
  t.is(peerOf(f, 0), 1);
  t.is(peerOf(f, 3), 2);
  const busy = connect(f, 's2', [[4, 5], [3, 6]]);
  t.false(busy.ok);
  if (!busy.ok) {
    t.deepEqual(busy.ports, [3]);
    t.regex(busy.reason, /port already cross-connected: 3 \(session s1\)/);
    t.is(busy.state.crossConnects.length, 2, 'nothing of the refused request was set (4-5 stays dark)');
    t.is(peerOf(busy.state, 4), undefined);
  }
  t.false(connect(f, 's2', [[4, 5], [5, 6]]).ok);
  t.false(connect(f, 's2', [[4, 99]]).ok);
  t.false(connect(f, 's2', [[4, 4]]).ok);
  f = releaseSession(f, 's1');
  t.is(f.crossConnects.length, 0);
  t.true(connect(f, 's2', [[3, 6]]).ok);
  t.is(crossConnectLossDb(f, 0, 1), 1.0, 'two ports of 0.5 dB');
});

test('switchFabricMachine: CONNECT / RELEASE, context shows the cross-connects, refusals are answered', (t) => {
  const actor = createActor(switchFabricMachine, { input: { ports: ports(6), switchTimeMs: 15 } }).start();
  const replies: SwitchFabricReply[] = [];
  actor.on('*', (e) => replies.push(e as SwitchFabricReply));
  actor.send({ type: 'CONNECT', sessionId: 'a', ports: [[0, 1]] });
  actor.send({ type: 'CONNECT', sessionId: 'b', ports: [[2, 3]] });
  t.deepEqual(actor.getSnapshot().context.crossConnects, [
    { sessionId: 'a', a: 0, b: 1 },
    { sessionId: 'b', a: 2, b: 3 },
  ]);
  actor.send({ type: 'CONNECT', sessionId: 'c', ports: [[1, 4]] });
  const refused = replies.at(-1)!;
  t.is(refused.type, 'FABRIC.REFUSED');
  t.deepEqual(refused.type === 'FABRIC.REFUSED' ? refused.ports : [], [1]);
  t.is(actor.getSnapshot().context.crossConnects.length, 2);
  t.is(actor.getSnapshot().context.lastRefusal?.sessionId, 'c');
  actor.send({ type: 'RELEASE', sessionId: 'a' });
  t.deepEqual(replies.at(-1), { type: 'FABRIC.RELEASED', sessionId: 'a', ports: [0, 1] });
  actor.send({ type: 'CONNECT', sessionId: 'c', ports: [[1, 4]] });
  const ok = replies.at(-1)!;
  t.is(ok.type, 'FABRIC.CONNECTED');
  t.is(ok.type === 'FABRIC.CONNECTED' ? ok.settleMs : -1, 15);
  t.deepEqual(actor.getSnapshot().context.crossConnects.map((c) => c.sessionId).sort(), ['b', 'c']);
  actor.stop();
});

test('hosted router: fabric.connect / fabric.release bus events are answered with bus.reply', (t) => {
  const replies: Array<{ type: string; body: unknown }> = [];
  const hosted = switchFabricMachine.provide({ actions: { 'bus.reply': (_, p) => void replies.push({ type: p.type, body: p.body }) } });
  const actor = createActor(hosted, { input: { ports: ports(4), switchTimeMs: 5 } }).start();
  const meta = { from: 'server', subject: 'actor.router', ts: 0, replyTo: '_INBOX.1' };
  actor.send({ type: 'fabric.connect', body: { sessionId: 's1', ports: [[0, 2]] }, meta });
  actor.send({ type: 'fabric.connect', body: { sessionId: 's2', ports: [[2, 3]] }, meta });
  actor.send({ type: 'fabric.release', body: { sessionId: 's1' }, meta });
  t.deepEqual(replies.map((r) => r.type), ['fabric.connected', 'fabric.refused', 'fabric.released']);
  t.deepEqual(replies[0]!.body, { sessionId: 's1', crossConnects: [{ sessionId: 's1', a: 0, b: 2 }], settleMs: 5 });
  t.deepEqual(actor.getSnapshot().context.crossConnects, []);
  actor.stop();
});

test('control-plane messages are validated and errors name the field', async (t) => {
  const { ControlPlaneMessages, qkdRequestSchema } = await import('../../actors/server/orchestration.messages.ts');
  t.true(qkdRequestSchema.safeParse({ id: 'r1', kind: 'qkd', a: 'Alice', b: 'Frank', seconds: 1000, relay: 'George+Henry' }).success);
  const bad = qkdRequestSchema.safeParse({ id: 'r1', kind: 'qkd', a: 'Alice', b: 'Frank', seconds: -1 });
  t.false(bad.success);
  t.deepEqual(bad.success ? [] : bad.error.issues.map((i) => i.path.join('.')), ['seconds']);
  const same = qkdRequestSchema.safeParse({ id: 'r1', kind: 'qkd', a: 'Alice', b: 'Alice' });
  t.deepEqual(same.success ? [] : same.error.issues.map((i) => i.path.join('.')), ['b']);
  const port = ControlPlaneMessages['fabric.connect'].safeParse({ sessionId: 's', ports: [[0, 'x']] });
  t.deepEqual(port.success ? [] : port.error.issues.map((i) => i.path.join('.')), ['ports.0.1']);
});
