// The orchestration core against the reference experiment (docs/reference/reference-network.md): which
// protocol, relay, measurement DoF and conversion point each of the ten pairs used.
import test from 'ava';
import { planRequest } from '../../actors/server/orchestration.ts';
import type { Plan, PlanOutcome, QkdRequest } from '../../actors/server/orchestration-types.ts';
import { emptyPool, reserve, type ResourcePool } from '../../actors/server/resources.ts';
import { loadReferenceView, referenceView } from './reference-view.ts';
import type { Dof } from '../../protocols/types.ts';
import { readFileSync } from 'node:fs';

const req = (a: string, b: string, extra: Partial<QkdRequest> = {}): QkdRequest => ({ id: `${a}-${b}`, kind: 'qkd', a, b, seconds: 1, ...extra });
const fast = { finite: null } as const; // rank with the asymptotic engine only: these tests are about choices
function plan(o: PlanOutcome): Plan {
  if (o.kind !== 'plan') throw new Error(`expected a plan, got ${o.kind}: ${o.reason}`);
  return o;
}
const convs = (p: Plan) => p.conversions.map((c) => `${c.node}:${c.from}->${c.to}@${c.at}`).sort();

// From the published table: protocol, relay, DoF at the measurement, who converts (at their own converter).
const REFERENCE: Array<[string, string, 'bb84' | 'mdi', string | null, Dof, string[]]> = [
  ['David', 'Alice', 'bb84', null, 'pol', []],
  ['David', 'Bob', 'bb84', null, 'tbp', []],
  ['David', 'Charlie', 'bb84', null, 'tbp', []],
  ['David', 'Frank', 'bb84', null, 'pha', []],
  ['Alice', 'Bob', 'mdi', 'David', 'pol', ['Bob:tbp->pol@node']],
  ['Alice', 'Charlie', 'mdi', 'David', 'pol', ['Charlie:tbp->pol@node']],
  ['Alice', 'Frank', 'mdi', 'David', 'pol', ['Frank:pha->pol@node']],
  ['Bob', 'Charlie', 'mdi', 'David', 'tbp', []],
  ['Bob', 'Frank', 'mdi', 'David', 'pol', ['Bob:tbp->pol@node', 'Frank:pha->pol@node']],
  ['Charlie', 'Frank', 'mdi', 'David', 'pol', ['Charlie:tbp->pol@node', 'Frank:pha->pol@node']],
];

for (const calibrated of [false, true])
for (const [a, b, protocol, relay, dof, conversions] of REFERENCE) {
  test(`reference pair ${a}–${b}${calibrated ? ' (calibrated view)' : ''}: ${protocol}${relay ? ' via ' + relay : ''}, ${dof}${conversions.length ? ', ' + conversions.join(' ') : ', no conversion'}`, (t) => {
    const { view, source } = loadReferenceView(false, calibrated);
    const p = plan(planRequest(req(a, b), view, emptyPool(), fast));
    t.is(p.protocol, protocol, source);
    t.deepEqual(p.relay, relay ? { kind: 'single', node: relay } : { kind: 'none' });
    t.is(p.dof.channel, dof);
    t.deepEqual(convs(p), conversions);
    t.true(p.conversions.every((c) => c.lossDb === 0), 'own converters sit before the attenuator: no channel loss');
    const detectors = p.resources.filter((r) => r.startsWith('detector:'));
    t.deepEqual(detectors, ['detector:David/0', 'detector:David/1', 'detector:David/2', 'detector:David/3']);
    t.is(p.crossConnects.length, protocol === 'bb84' ? 1 : 2);
    t.true(p.prediction.secretBits > 0);
  });
}

test('D–A BB84 with finite-key optimal parameters: l_sec within ±25 % of the published 5 895 618 (T = 2 s)', (t) => {
  // The route's loss (5 + 25 km fibre at 0.2 dB/km + two 0.5 dB switch ports = 7.0 dB) is the
  // published effective length 35.3 km (7.06 dB); detectors 20 %, dark 1e-6, David's passive 50:50
  // basis choice, f = 1.138, e_mis 0.9 % (published e_b 0.88 %).
  const { view } = loadReferenceView();
  const p = plan(planRequest(req('David', 'Alice', { seconds: 2 }), view, emptyPool()));
  t.is(p.paramsSource, 'optimised');
  t.is(p.pulses, 2e9);
  t.true(p.params.mu1! > p.params.mu2! + p.params.mu3! && p.params.mu2! > p.params.mu3!, 'Lim 2014 intensity constraints');
  const ratio = p.prediction.secretBits / 5_895_618;
  t.log(`predicted ${p.prediction.secretBits} bits, ratio ${ratio.toFixed(3)}, QBER ${p.prediction.qber.toFixed(4)}`);
  t.true(ratio > 0.75 && ratio < 1.25);
});

function holdDavid(): ResourcePool {
  const { view } = loadReferenceView(true);
  const p = plan(planRequest(req('David', 'Alice'), view, emptyPool(), { ...fast, sessionId: 'busy-David' }));
  const r = reserve(emptyPool(), p.sessionId, p.resources);
  if (!r.ok) throw new Error('reserve failed');
  return r.pool;
}

test('David busy: Bob–Charlie waits while George and Henry are not attached, then runs a joint BSM of George + Henry', (t) => {
  const pool = holdDavid();
  const before = planRequest(req('Bob', 'Charlie'), loadReferenceView(false).view, pool, fast);
  t.is(before.kind, 'queued');
  if (before.kind === 'queued') {
    t.regex(before.reason, /David busy \(session busy-David\)/);
    t.true(before.waitingFor.includes('detector:David/0'));
  }
  const { view } = loadReferenceView(true);
  const p = plan(planRequest(req('Bob', 'Charlie'), view, pool, fast));
  t.is(p.protocol, 'mdi-joint');
  t.deepEqual(p.relay.kind === 'joint' ? [...p.relay.nodes].sort() : [], ['George', 'Henry']);
  t.is(p.dof.channel, 'tbp');
  t.deepEqual(p.conversions, [], 'same DoF, no conversion');
  t.true(p.resources.includes('bs:server/bs0'));
  t.false(p.resources.some((r) => pool.holders[r] !== undefined), 'nothing the David session holds');
  t.is(p.crossConnects.length, 4, 'Bob and Charlie into the beam splitter, its two outputs to George and Henry');
  t.true(p.considered.some((c) => c.label.includes('via David') && /busy/.test(c.rejected ?? '')));
});

test('with David free the single BSM at David is preferred over a joint BSM', (t) => {
  const { view } = loadReferenceView(true);
  const p = plan(planRequest(req('Bob', 'Charlie'), view, emptyPool(), fast));
  t.deepEqual(p.relay, { kind: 'single', node: 'David' });
});

test('a named relay is honoured: busy -> queued; George+Henry -> joint BSM', (t) => {
  const { view } = loadReferenceView(true);
  const q = planRequest(req('Alice', 'Frank', { relay: 'David' }), view, holdDavid(), fast);
  t.is(q.kind, 'queued', 'Alice is busy too, but so is David');
  const q2 = planRequest(req('Bob', 'Frank', { relay: 'David' }), view, holdDavid(), fast);
  t.is(q2.kind, 'queued');
  if (q2.kind === 'queued') t.regex(q2.reason, /David busy/);
  // George + Henry measure tbp only: Frank (pha) cannot reach tbp at his own converter alone,
  // so he goes pha->pol at his converter and pol->tbp at the server's (paying its loss).
  const j = plan(planRequest(req('Bob', 'Frank', { relay: 'George+Henry' }), view, emptyPool(), fast));
  t.is(j.protocol, 'mdi-joint');
  t.deepEqual(convs(j), ['Frank:pha->pol@node', 'Frank:pol->tbp@server']);
  t.true(j.conversions.find((c) => c.at === 'server')!.lossDb > 0);
});

test('refusals name the reason; a down node queues', (t) => {
  const v = referenceView();
  const r1 = planRequest(req('Alice', 'Zed'), v, emptyPool(), fast);
  t.deepEqual(r1, { kind: 'refused', requestId: 'Alice-Zed', reason: 'unknown node Zed' });
  const r2 = planRequest(req('Alice', 'Bob', { protocol: 'bb84' }), v, emptyPool(), fast);
  t.is(r2.kind, 'refused');
  const dd = { ...v, nodes: [...v.nodes, { id: 'Eve2', type: 'D' as const, dof: 'pol' as const, linkKm: 3, state: 'idle' as const, ownConverter: false }] };
  const r3 = planRequest(req('David', 'Eve2'), dd, emptyPool(), fast);
  t.is(r3.kind, 'refused');
  if (r3.kind === 'refused') t.regex(r3.reason, /E node/);
  const down = { ...v, nodes: v.nodes.map((n) => (n.id === 'Frank' ? { ...n, state: 'down' as const } : n)) };
  const q = planRequest(req('Alice', 'Frank'), down, emptyPool(), fast);
  t.deepEqual(q, { kind: 'queued', requestId: 'Alice-Frank', reason: 'Frank down', waitingFor: [] });
  const relayDown = { ...v, nodes: v.nodes.map((n) => (n.id === 'David' ? { ...n, state: 'down' as const } : n)) };
  const q2 = planRequest(req('Alice', 'Frank'), relayDown, emptyPool(), fast);
  t.is(q2.kind, 'queued');
  if (q2.kind === 'queued') t.regex(q2.reason, /David is down/);
});

test('a node without its own converter converts at the server and pays the converter loss', (t) => {
  const v = referenceView();
  for (const n of v.nodes) if (n.id === 'Alice' || n.id === 'Frank') n.ownConverter = false;
  const p = plan(planRequest(req('Alice', 'Frank'), v, emptyPool(), fast));
  t.is(p.conversions.length, 1);
  const c = p.conversions[0]!;
  t.is(c.at, 'server');
  t.is(c.lossDb, 3);
  const leg = p.legs.find((l) => l.from === c.node)!;
  const km = c.node === 'Alice' ? 5 : 8;
  // fibre + converter (3 dB) + two cross-connects (4 ports x 0.5 dB) + David's 25 km
  t.is(Number(leg.lossDb.toFixed(9)), Number((km * 0.2 + 3 + 2 + 5).toFixed(9)));
  t.true(p.resources.includes('converter:server/conv0'));
});

test('David busy and another BSM-capable D node free: it is picked before a joint BSM', (t) => {
  const { view } = loadReferenceView(true);
  const withIvan = { ...view, nodes: [...view.nodes, { id: 'Ivan', type: 'D' as const, dof: 'pol' as const, linkKm: 30, state: 'idle' as const, ownConverter: false, measures: ['pol', 'tbp'] as Dof[], bsm: true, detectors: 4 }] };
  const p = plan(planRequest(req('Bob', 'Charlie'), withIvan, holdDavid(), fast));
  t.deepEqual(p.relay, { kind: 'single', node: 'Ivan' });
  t.is(p.dof.channel, 'tbp');
});

test('hypervisor view -> network view: expected nodes are absent, down nodes marked, runtime-attached nodes included', async (t) => {
  const { networkViewFromHypervisor } = await import('../../actors/server/orchestration-view.ts');
  const hardware = JSON.parse(readFileSync(new URL('../../infra/topologies/reference.json', import.meta.url), 'utf8'));
  const v = networkViewFromHypervisor({
    network: 'reference',
    nodes: [
      { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, state: 'up' },
      { name: 'David', type: 'D', dof: 'pol', linkKm: 25, state: 'up' },
      { name: 'Frank', type: 'C', dof: 'pha', linkKm: 8, state: 'down' },
      { name: 'George', type: 'D', dof: 'tbp', linkKm: 12, attachLater: true, state: 'expected' },
      { name: 'Zoe', type: 'D', dof: 'tbp', linkKm: 3, state: 'up' },
    ],
  }, hardware);
  t.deepEqual(v.nodes.map((n) => [n.id, n.state]), [['Alice', 'idle'], ['David', 'idle'], ['Frank', 'down'], ['Zoe', 'idle']]);
  t.true(v.nodes.find((n) => n.id === 'David')!.bsm, 'hardware from the topology file: David is the BSM relay');
  t.true(v.nodes.find((n) => n.id === 'Alice')!.ownConverter);
  // Zoe is not in the topology: nothing is assumed about her hardware from her name or the network's.
  const zoe = v.nodes.find((n) => n.id === 'Zoe')!;
  t.is(zoe.bsm, undefined);
  t.false(zoe.ownConverter);
});
