// The orchestration core for D–D pairs (protocol table: BBM92 with an untrusted E node as the
// entangled-pair source, Ma, Fung, Lo 2007): the E node is picked as helper, its source and both D
// nodes' detectors are reserved, lambda comes from the finite-key optimiser with the D nodes'
// passive 50:50 basis split; without an E node the request is refused, with a busy or down one it waits.
import test from 'ava';
import { planRequest } from '../../actors/server/orchestration.ts';
import type { Plan, PlanOutcome, QkdRequest } from '../../actors/server/orchestration-types.ts';
import { emptyPool, reserve } from '../../actors/server/resources.ts';
import { bbm92Predict } from '../../protocols/keyrate/bbm92.ts';
import { loadReferenceView } from './reference-view.ts';
import { buildParamTable } from '../../protocols/qkd/table.ts';
import { createFiniteEngine } from '../../actors/server/orchestration-keyrate.ts';
import type { Bbm92Channel } from '../../protocols/qkd/bbm92/keyrate.ts';

const req = (a: string, b: string, extra: Partial<QkdRequest> = {}): QkdRequest => ({ id: `${a}-${b}`, kind: 'qkd', a, b, seconds: 0.5, ...extra });
function plan(o: PlanOutcome): Plan {
  if (o.kind !== 'plan') throw new Error(`expected a plan, got ${o.kind}: ${o.reason}`);
  return o;
}
const attached = loadReferenceView(true).view;

test('David–George: BBM92 with Ivy as the source, Ivy\'s source and both D nodes\' detectors reserved, finite-key lambda', (t) => {
  const p = plan(planRequest(req('David', 'George'), attached, emptyPool()));
  t.is(p.protocol, 'bbm92');
  t.deepEqual(p.relay, { kind: 'source', node: 'Ivy' });
  t.deepEqual(p.legs.map((l) => `${l.from}->${l.to}`), ['Ivy->David', 'Ivy->George']);
  t.true(p.resources.includes('source:Ivy'));
  for (const d of ['David', 'George']) t.true(p.resources.some((r) => r.startsWith(`detector:${d}/`)), d);
  t.is(p.params.qX, 0.5);
  t.true(p.params.lambda! > 0 && p.params.lambda! < 0.5);
  t.is(p.paramsSource, 'optimised');
  t.true(p.prediction.secretBits > 0);
  // lambda is the optimum: the prediction at 0.7x or 1.4x lambda is not better
  const eta = (l: Plan['legs'][number]) => 10 ** (-l.lossDb / 10) * 0.2;
  const link = { etaA: eta(p.legs[0]!), etaB: eta(p.legs[1]!), pDark: 1e-6, eMis: 0.015 };
  for (const k of [0.7, 1.4]) t.true(bbm92Predict({ link, lambda: p.params.lambda! * k, qX: 0.5, pulses: p.pulses, f: 1.16 }).secretBits <= p.prediction.secretBits * 1.001);
});

test('asking for bbm92 between George and Henry (both tbp) plans the same E source; bbm92 for a C–D pair is refused', (t) => {
  const p = plan(planRequest(req('George', 'Henry', { protocol: 'bbm92' }), attached, emptyPool(), { finite: null }));
  t.deepEqual(p.relay, { kind: 'source', node: 'Ivy' });
  t.deepEqual(p.conversions, []);
  const cd = planRequest(req('David', 'Alice', { protocol: 'bbm92' }), attached, emptyPool(), { finite: null });
  t.is(cd.kind, 'refused');
});

test('Ivy\'s source busy: the D–D request waits for it; no E node at all: refused naming the missing E source; Ivy down: queued', (t) => {
  const pool = reserve(emptyPool(), 'other', ['source:Ivy']);
  t.true(pool.ok);
  const q = planRequest(req('David', 'George'), attached, pool.pool, { finite: null });
  t.is(q.kind, 'queued');
  if (q.kind === 'queued') { t.regex(q.reason, /Ivy busy/); t.true(q.waitingFor.includes('source:Ivy')); }
  const noE = { ...attached, nodes: attached.nodes.filter((n) => n.type !== 'E') };
  const r = planRequest(req('David', 'George'), noE, emptyPool(), { finite: null });
  t.is(r.kind, 'refused');
  if (r.kind === 'refused') t.regex(r.reason, /E node .*source/);
  const down = { ...attached, nodes: attached.nodes.map((n) => (n.type === 'E' ? { ...n, state: 'down' as const } : n)) };
  const d = planRequest(req('David', 'George'), down, emptyPool(), { finite: null });
  t.is(d.kind, 'queued');
  if (d.kind === 'queued') t.regex(d.reason, /Ivy is down/);
});

test('with a loaded parameter table the finite engine takes BBM92 lambda from it (inside its grid) and keeps the D nodes\' qX', (t) => {
  const table = buildParamTable({ lossGridDb: [8, 14, 20], pulsesGrid: [1e8, 1e9], protocols: ['bbm92'] });
  const engine = createFiniteEngine({ table });
  const eta = (db: number) => 10 ** (-db / 10) * table.assumptions.etaDet;
  const channel = (etaA: number, etaB: number): Bbm92Channel => ({ kind: 'bbm92', link: { etaA, etaB, pDark: 1e-6, eMis: 0.015 }, f: 1.16, qX: 0.5 });
  const hit = engine.predict(channel(eta(8), eta(5.4)), 5e8);
  t.is(hit.paramsSource, 'table');
  t.is(hit.result.params.qX, 0.5);
  t.true(hit.result.secretBits > 0);
  const outside = engine.predict(channel(eta(30), eta(30)), 5e8);
  t.is(outside.paramsSource, 'optimised');
});
