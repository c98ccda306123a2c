// The task manager and the orchestration core as xstate actors in one process, with the
// switch fabric actor as the injected "set switches" side effect. No timers are asserted:
// every step is driven by events and checked on the snapshots.
import test from 'ava';
import { createActor, type Actor } from 'xstate';
import { orchestrationMachine, type OrchestrationContext } from '../../actors/server/orchestration-machine.ts';
import type { AgentNotice } from '../../actors/server/task-manager-machine.ts';
import { controlPlaneMachine } from '../../actors/server/task-manager-host.ts';
import { switchFabricMachine, type SwitchFabricReply } from '../../actors/server/switch-fabric-machine.ts';
import { layoutFromView } from '../../actors/server/switch-fabric.ts';
import type { NetworkView, Plan, QkdRequest } from '../../actors/server/orchestration-types.ts';
import { ordered } from '../../actors/server/task-manager.ts';
import { loadReferenceView } from './reference-view.ts';

const req = (a: string, b: string, extra: Partial<QkdRequest> = {}): QkdRequest => ({ id: `${a}-${b}`, kind: 'qkd', a, b, seconds: 1, ...extra });

function start(view: NetworkView) {
  const fabric = createActor(switchFabricMachine, { input: { ports: layoutFromView(view), switchTimeMs: view.server.switchTimeMs } }).start();
  const fabricReplies: SwitchFabricReply[] = [];
  fabric.on('*', (e) => fabricReplies.push(e as SwitchFabricReply));
  const notices: AgentNotice[] = [];
  const started: Plan[] = [];
  const released: string[] = [];
  const aborted: Array<[string, string]> = [];
  const machine = controlPlaneMachine({
    notifyAgent: (n) => void notices.push(n),
    setSwitches: (plan) => fabric.send({ type: 'CONNECT', sessionId: plan.sessionId, ports: plan.crossConnects }),
    startSession: (plan) => void started.push(plan),
    abortSession: (sessionId, reason) => void aborted.push([sessionId, reason]),
    releaseSwitches: (sessionId) => {
      released.push(sessionId);
      fabric.send({ type: 'RELEASE', sessionId });
    },
  });
  const tm = createActor(machine, { input: { view, finite: null } }).start();
  const orch = () => (tm.system.get('orchestration') as Actor<typeof orchestrationMachine>).getSnapshot().context as OrchestrationContext;
  return { tm, fabric, fabricReplies, notices, started, released, aborted, orch };
}

/** Detectors (and every other resource) of concurrently active sessions are disjoint. */
function assertExclusive(t: { true: (v: boolean, m?: string) => void; fail: (m: string) => void }, ctx: OrchestrationContext) {
  const owner = new Map<string, string>();
  for (const [sid, s] of Object.entries(ctx.sessions))
    for (const r of s.plan.resources) {
      if (owner.has(r)) return t.fail(`${r} shared by ${owner.get(r)} and ${sid}`);
      owner.set(r, sid);
    }
  t.true(true);
}

test('queue order: priority first, FIFO within a priority', (t) => {
  const q = [
    { request: req('A', 'B'), seq: 0, waitingFor: [], attempts: 0 },
    { request: req('C', 'D', { priority: 5 }), seq: 1, waitingFor: [], attempts: 0 },
    { request: req('E', 'F'), seq: 2, waitingFor: [], attempts: 0 },
    { request: req('G', 'H', { priority: 5 }), seq: 3, waitingFor: [], attempts: 0 },
  ];
  t.deepEqual(ordered(q).map((e) => e.request.id), ['C-D', 'G-H', 'A-B', 'E-F']);
});

test('a request that cannot be served is queued with a reason, then served when the resources are released', (t) => {
  const { view } = loadReferenceView(false);
  const h = start(view);
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Alice') });
  h.tm.send({ type: 'SUBMIT', request: req('Bob', 'Charlie') });
  t.is(h.started.length, 1);
  t.is(h.started[0]!.a, 'David');
  const queued = h.notices.find((n) => n.requestId === 'Bob-Charlie' && n.status === 'queued');
  t.truthy(queued);
  t.regex(queued && queued.status === 'queued' ? queued.reason : '', /David busy/);
  t.deepEqual(h.tm.getSnapshot().context.queue.map((e) => e.request.id), ['Bob-Charlie']);
  t.is(h.tm.getSnapshot().value, 'idle');
  // Switches were set through the fabric actor: its cross-connects mirror the orchestration core's.
  t.deepEqual(h.fabric.getSnapshot().context.crossConnects, h.orch().fabric.crossConnects);

  h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started[0]!.sessionId, outcome: 'finished' });
  t.deepEqual(h.released, [h.started[0]!.sessionId]);
  t.is(h.started.length, 2);
  const bc = h.started[1]!;
  t.is(bc.requestId, 'Bob-Charlie');
  t.deepEqual(bc.relay, { kind: 'single', node: 'David' });
  t.is(bc.dof.channel, 'tbp');
  t.deepEqual(h.tm.getSnapshot().context.queue, []);
  t.deepEqual(h.notices.filter((n) => n.requestId === 'Bob-Charlie').map((n) => n.status), ['accepted', 'queued', 'planned']);
  t.false(h.fabricReplies.some((r) => r.type === 'FABRIC.REFUSED'));
  h.tm.stop();
});

test('David busy, George and Henry attach at runtime: the queued Bob–Charlie request runs as a joint BSM', (t) => {
  const h = start(loadReferenceView(false).view);
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Alice') });
  h.tm.send({ type: 'SUBMIT', request: req('Bob', 'Charlie') });
  t.is(h.started.length, 1);
  const attached = loadReferenceView(true).view;
  h.fabric.send({ type: 'ADD_PORTS', ports: layoutFromView(attached) });
  h.tm.send({ type: 'VIEW', view: attached });
  t.is(h.started.length, 2);
  const bc = h.started[1]!;
  t.is(bc.protocol, 'mdi-joint');
  t.deepEqual(bc.relay.kind === 'joint' ? [...bc.relay.nodes].sort() : [], ['George', 'Henry']);
  t.true(h.orch().sessions[h.started[0]!.sessionId] !== undefined, 'David still in his session');
  assertExclusive(t, h.orch());
  t.is(h.fabric.getSnapshot().context.crossConnects.length, 1 + 4);
  t.false(h.fabricReplies.some((r) => r.type === 'FABRIC.REFUSED'));
  h.tm.stop();
});

test('concurrency: all ten reference pairs at once never share a detector and are all served as resources free up', (t) => {
  const h = start(loadReferenceView(true).view);
  const pairs = [['David', 'Alice'], ['David', 'Bob'], ['David', 'Charlie'], ['David', 'Frank'], ['Alice', 'Bob'], ['Alice', 'Charlie'], ['Alice', 'Frank'], ['Bob', 'Charlie'], ['Bob', 'Frank'], ['Charlie', 'Frank']] as const;
  for (const [a, b] of pairs) h.tm.send({ type: 'SUBMIT', request: req(a, b) });
  let maxConcurrent = 0;
  for (let step = 0; step < 40 && h.started.length + Object.keys(h.tm.getSnapshot().context.refused).length < pairs.length; step++) {
    const ctx = h.orch();
    assertExclusive(t, ctx);
    maxConcurrent = Math.max(maxConcurrent, Object.keys(ctx.sessions).length);
    // End the oldest running session (alternately as finished and aborted: both release alike).
    const oldest = h.started.find((p) => ctx.sessions[p.sessionId] !== undefined)!;
    h.tm.send({ type: 'SESSION_ENDED', sessionId: oldest.sessionId, outcome: step % 2 ? 'aborted' : 'finished', reason: step % 2 ? 'test abort' : undefined });
  }
  t.is(h.started.length, pairs.length);
  t.deepEqual(h.tm.getSnapshot().context.refused, {});
  t.true(maxConcurrent >= 2, `at most ${maxConcurrent} sessions ran at once`);
  t.deepEqual(new Set(h.started.map((p) => p.requestId)).size, pairs.length, 'each request started once');
  t.false(h.fabricReplies.some((r) => r.type === 'FABRIC.REFUSED'), 'the router never had to refuse a planned cross-connect');
  h.tm.stop();
});

test('refused requests leave the queue with their reason', (t) => {
  const h = start(loadReferenceView(false).view);
  h.tm.send({ type: 'SUBMIT', request: req('Alice', 'Nobody') });
  t.deepEqual(h.tm.getSnapshot().context.refused, { 'Alice-Nobody': 'unknown node Nobody' });
  t.deepEqual(h.tm.getSnapshot().context.queue, []);
  t.deepEqual(h.notices.map((n) => n.status), ['accepted', 'refused']);
  h.tm.stop();
});

test('when David frees up, the higher-priority waiting request gets him first (then FIFO)', (t) => {
  const h = start(loadReferenceView(false).view);
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Alice') });
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Bob') });
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Charlie', { priority: 5 }) });
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Frank') });
  t.deepEqual(h.started.map((p) => p.requestId), ['David-Alice']);
  for (let i = 0; i < 3; i++) h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started.at(-1)!.sessionId, outcome: 'finished' });
  t.deepEqual(h.started.map((p) => p.requestId), ['David-Alice', 'David-Charlie', 'David-Bob', 'David-Frank']);
  h.tm.stop();
});

test('a participant going down aborts its session; resources are held until the abort is confirmed, then re-used', (t) => {
  const { view } = loadReferenceView(false);
  const h = start(view);
  h.tm.send({ type: 'SUBMIT', request: req('Alice', 'Frank') });
  h.tm.send({ type: 'SUBMIT', request: req('David', 'Bob') });
  const af = h.started[0]!;
  t.is(af.requestId, 'Alice-Frank');
  t.is(h.started.length, 1, 'David is the relay of Alice–Frank');
  h.tm.send({ type: 'VIEW', view: { ...view, nodes: view.nodes.map((n) => (n.id === 'Frank' ? { ...n, state: 'down' as const } : n)) } });
  t.deepEqual(h.aborted, [[af.sessionId, 'Frank down']]);
  t.truthy(h.orch().sessions[af.sessionId], 'still reserved until the session layer confirms');
  t.is(h.started.length, 1);
  h.tm.send({ type: 'SESSION_ENDED', sessionId: af.sessionId, outcome: 'aborted', reason: 'Frank down' });
  t.deepEqual(h.released, [af.sessionId]);
  t.deepEqual(h.started.map((p) => p.requestId), ['Alice-Frank', 'David-Bob']);
  t.deepEqual(h.orch().log, [{ sessionId: af.sessionId, outcome: 'aborted', reason: 'Frank down' }]);
  h.tm.stop();
});
