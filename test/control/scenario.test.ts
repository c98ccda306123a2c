// The scenario driver (emulated time over the real task manager and orchestration core) and a
// 1 000-node LAQN planned under a batch of requests. No timing is asserted: speed is the bench's.
import test from 'ava';
import { createActor, type Actor } from 'xstate';
import { runScenario, refusalClass } from '../../actors/server/scenario.ts';
import { generateTopology } from '../../infra/topology-generate.ts';
import { parseTopology } from '../../infra/topology.ts';
import { networkViewFromTopology, type TopologyLike } from '../../actors/server/orchestration-view.ts';
import { controlPlaneMachine } from '../../actors/server/task-manager-host.ts';
import type { orchestrationMachine, OrchestrationContext } from '../../actors/server/orchestration-machine.ts';
import type { AgentNotice } from '../../actors/server/task-manager-machine.ts';
import type { NetworkView, NodeView, Plan } from '../../actors/server/orchestration-types.ts';
import { portInfo } from '../../actors/server/switch-fabric.ts';
import { createRng } from '../../protocols/rng.ts';

const user = (id: string, type: 'C' | 'D', linkKm: number): NodeView => ({ id, type, dof: 'pol', linkKm, state: 'idle', ownConverter: false, ...(type === 'D' ? { measures: ['pol'], detectors: 2 } : {}) });
const star = (nodes: NodeView[]): NetworkView => ({
  nodes,
  server: { portLossDb: 0.5, switchTimeMs: 10, converters: [], beamSplitters: [] },
  fibreDbPerKm: 0.2,
  rateHz: 1e9,
});

test('a burst on one pair queues as a single server: the k-th request waits k - 1 sessions of 10 ms + 1 s + 2 s', (t) => {
  // Two users, so every request is Ann-Dee BB84; all five arrive within nanoseconds (rate 1e9/s).
  // Session = switch settling 10 ms + calibration 1 s + 2e9 pulses at 1 GHz = 3.01 s.
  const r = runScenario(star([user('Ann', 'C', 5), user('Dee', 'D', 10)]), { requests: 5, rate: 1e9, seconds: 2, calibrationS: 1, seed: 4 });
  t.is(r.planned, 5);
  t.is(r.completed, 5);
  t.is(r.refused, 0);
  t.is(r.pending, 0);
  const near = (x: number, y: number) => t.true(Math.abs(x - y) < 1e-3, `${x} vs ${y}`);
  near(r.queueDelayS.p50, 2 * 3.01);
  near(r.queueDelayS.max, 4 * 3.01);
  near(r.queueDelayS.mean, (0 + 1 + 2 + 3 + 4) * 3.01 / 5);
  near(r.makespanS, 5 * 3.01);
  near(r.throughput.completedPerS, 5 / (5 * 3.01));
  t.deepEqual(r.protocols, { bb84: 5 });
});

test('refusals are counted by reason, without node names', (t) => {
  // Ann-Dee: BB84 over 15 km; Ann-Far: BB84 over 305 km (61 dB): no key; Dee-Far: D-D needs an E source.
  const r = runScenario(star([user('Ann', 'C', 5), user('Dee', 'D', 10), user('Far', 'D', 300)]), { requests: 60, rate: 0.01, seconds: 1, seed: 2 });
  t.is(r.planned + r.refused, 60);
  t.deepEqual(Object.keys(r.refusals).sort(), ['D–D needs an untrusted E node as entangled-pair source, none available', 'no secret key on any route']);
  t.is(r.queueDelayS.max, 0, 'one request at a time (100 s apart, sessions of 2 s): nobody waits');
  t.is(refusalClass('Ann: no converter maps tbp to pha (converters map pol <-> tbp)', new Set(['Ann'])), '<node>: no converter maps tbp to pha');
});

test('a 1 000-node LAQN plans a batch: sessions never share hardware, cross-connects stay in one switch, every request ends planned or refused', (t) => {
  const topo = parseTopology(structuredClone(generateTopology({ kind: 'laqn', nodes: 1000, seed: 1 })));
  const view = networkViewFromTopology(topo as unknown as TopologyLike);
  const users = view.nodes.filter((n) => !n.serverOwned).map((n) => n.id);
  t.is(users.length, 1000);
  const notices: AgentNotice[] = [];
  const started: Plan[] = [];
  const tm = createActor(controlPlaneMachine({ notifyAgent: (n) => void notices.push(n), startSession: (p) => void started.push(p) }), { input: { view, finite: null } }).start();
  const orch = () => (tm.system.get('orchestration') as Actor<typeof orchestrationMachine>).getSnapshot().context as OrchestrationContext;
  const exclusive = () => {
    const owner = new Map<string, string>();
    for (const [sid, s] of Object.entries(orch().sessions))
      for (const r of s.plan.resources) {
        if (owner.has(r)) return `${r} held by ${owner.get(r)} and ${sid}`;
        owner.set(r, sid);
      }
    return undefined;
  };
  const rng = createRng('batch');
  const n = 150;
  for (let i = 0; i < n; i++) {
    const a = users[rng.nextInt(users.length)]!;
    let b = users[rng.nextInt(users.length)]!;
    if (b === a) b = users[(users.indexOf(a) + 1) % users.length]!;
    tm.send({ type: 'SUBMIT', request: { id: `q${i}`, kind: 'qkd', a, b, bits: 100_000 } });
  }
  t.is(exclusive(), undefined);
  t.true(started.length > n / 2, `${started.length} of ${n} planned at once`);
  for (let guard = 0; Object.keys(orch().sessions).length > 0 && guard < 10 * n; guard++) {
    const sid = Object.keys(orch().sessions)[0]!;
    tm.send({ type: 'SESSION_ENDED', sessionId: sid, outcome: 'finished' });
    const clash = exclusive();
    if (clash) return t.fail(clash);
  }
  const ctx = tm.getSnapshot().context;
  t.deepEqual(ctx.queue, [], 'nothing left waiting');
  t.is(Object.keys(ctx.planned).length + Object.keys(ctx.refused).length, n);
  t.true(Object.values(ctx.refused).every((why) => why.length > 10));
  const fabric = orch().fabric;
  for (const p of started) for (const [x, y] of p.crossConnects) t.is(portInfo(fabric, x)!.site, portInfo(fabric, y)!.site);
  t.true(started.some((p) => p.protocol === 'mdi') && started.some((p) => p.protocol === 'bb84') && started.some((p) => p.protocol === 'bbm92'));
  t.true(started.some((p) => p.legs.some((l) => l.hops.some((h) => h.kind === 'trunk'))), 'some sessions cross sites');
  tm.stop();

  const r = runScenario(view, { requests: 300, rate: 2, seed: 3 });
  t.is(r.planned + r.refused + r.tooLong, 300);
  t.is(r.completed, r.planned);
  t.is(r.pending, 0);
  t.true(r.queueDelayS.p50 <= r.queueDelayS.p95 && r.queueDelayS.p95 <= r.queueDelayS.max);
  t.true(r.relays.used > 0 && r.relays.maxUtilisation <= 1);
});
