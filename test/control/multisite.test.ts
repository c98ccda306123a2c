// Planning across several switch sites. Losses are derived by hand from the fixture: fibre
// 0.2 dB/km, 0.5 dB per switch port (a cross-connect passes two: 1 dB), strands between sites
// at their length. Sites A-B 20 km, B-C 30 km, A-C 70 km, C-Far 300 km.
import test from 'ava';
import { createActor } from 'xstate';
import { parseTopology } from '../../infra/topology.ts';
import { networkViewFromTopology, type TopologyLike } from '../../actors/server/orchestration-view.ts';
import { planLeg } from '../../actors/server/routing.ts';
import { planRequest } from '../../actors/server/orchestration.ts';
import { emptyPool, reserve, type ResourcePool } from '../../actors/server/resources.ts';
import { createFabric, layoutFromView, portInfo } from '../../actors/server/switch-fabric.ts';
import { controlPlaneMachine } from '../../actors/server/task-manager-host.ts';
import type { AgentNotice } from '../../actors/server/task-manager-machine.ts';
import type { NetworkView, Plan, PlanOutcome, QkdRequest } from '../../actors/server/orchestration-types.ts';

const cred = (n: string) => `psk-${n}-0123456789`;
const node = (name: string, type: 'C' | 'D' | 'E', site: string, linkKm: number, extra: Record<string, unknown> = {}) =>
  ({ name, type, dof: 'pol', linkKm, site, credential: cred(name), ...extra });
const relay = (name: string, site: string, linkKm: number) => node(name, 'D', site, linkKm, { owner: 'server', bsm: true, detectors: 4, measures: ['pol', 'tbp', 'pha'] });

function metro(extra: unknown[] = []): NetworkView {
  const topo = parseTopology({
    network: 'metro-test',
    server: { portLossDb: 0.5 },
    sites: [{ name: 'A', converters: [{ id: 'A-conv0', lossDb: 3, misalignment: 0 }] }, { name: 'B' }, { name: 'C' }, { name: 'Far' }],
    links: [
      { a: 'A', b: 'B', km: 20, fibres: 1 },
      { a: 'B', b: 'C', km: 30, fibres: 2 },
      { a: 'A', b: 'C', km: 70, fibres: 1 },
      { a: 'C', b: 'Far', km: 300, fibres: 2 },
    ],
    nodes: [
      node('Xa', 'C', 'A', 5, { ownConverter: true }),
      node('Xb', 'C', 'A', 5, { ownConverter: true }),
      node('Xc', 'C', 'A', 5, { ownConverter: true }),
      node('Yc', 'D', 'C', 5, { measures: ['pol'], detectors: 2 }),
      node('Yc2', 'D', 'C', 5, { measures: ['pol'], detectors: 2 }),
      node('Yc3', 'D', 'C', 5, { measures: ['pol'], detectors: 2 }),
      node('Zc', 'C', 'C', 4, { ownConverter: true }),
      node('Wf', 'C', 'Far', 5, { ownConverter: true }),
      relay('RB', 'B', 1),
      relay('RFar', 'Far', 1),
      ...extra,
    ],
  }, 'metro-test');
  return networkViewFromTopology(topo as unknown as TopologyLike);
}

const req = (a: string, b: string, extra: Partial<QkdRequest> = {}): QkdRequest => ({ id: `${a}-${b}`, kind: 'qkd', a, b, seconds: 1, ...extra });
const fast = { finite: null } as const;
const round = (x: number) => Number(x.toFixed(9));
function plan(o: PlanOutcome): Plan {
  if (o.kind !== 'plan') throw new Error(`expected a plan, got ${o.kind}: ${o.reason}`);
  return o;
}
const ctx = (view: NetworkView, pool: ResourcePool = emptyPool()) => ({ view, fabric: createFabric(layoutFromView(view), 10), pool, usedPorts: new Set<number>(), usedResources: new Set<string>() });
const byId = (v: NetworkView, id: string) => v.nodes.find((n) => n.id === id)!;
/** The port of site `site` that a strand of the link between `a` and `b` lands on. */
const strandPorts = (view: NetworkView, a: string, b: string, site: string) =>
  layoutFromView(view).filter((p) => p.owner.kind === 'trunk' && p.owner.link === `${a}~${b}` && p.site === site).map((p) => p.port);

test('Xa (site A) -> Yc (site C): through B (20 + 30 km, three switches) beats the direct 70 km link', (t) => {
  const v = metro();
  const c = ctx(v);
  const leg = planLeg(c, byId(v, 'Xa'), { kind: 'node', node: 'Yc' }, ['pol'])!;
  // 5 km (1 dB) + A (1) + 20 km (4) + B (1) + 30 km (6) + C (1) + 5 km (1) = 15 dB; direct: 1 + 1 + 14 + 1 + 1 = 18 dB.
  t.is(round(leg.lossDb), 15);
  t.deepEqual(leg.hops.map((h) => h.kind), ['fibre', 'xconnect', 'trunk', 'xconnect', 'trunk', 'xconnect', 'fibre']);
  const sites = leg.crossConnects.map(([p, q]) => {
    t.is(portInfo(c.fabric, p)!.site, portInfo(c.fabric, q)!.site, 'a cross-connect stays inside one switch');
    return portInfo(c.fabric, p)!.site;
  });
  t.deepEqual(sites, ['A', 'B', 'C']);
  // The A-B strand taken: the direct link.
  const held = reserve(emptyPool(), 'other', strandPorts(v, 'A', 'B', 'A').map((p) => `port:${p}`));
  t.true(held.ok);
  const direct = planLeg(ctx(v, held.pool), byId(v, 'Xa'), { kind: 'node', node: 'Yc' }, ['pol'])!;
  t.is(round(direct.lossDb), 18);
  t.deepEqual(direct.hops.map((h) => h.kind), ['fibre', 'xconnect', 'trunk', 'xconnect', 'fibre']);
  // Both links out of A taken: no path.
  const both = reserve(held.pool, 'other', strandPorts(v, 'A', 'C', 'A').map((p) => `port:${p}`));
  t.true(both.ok);
  t.is(planLeg(ctx(v, both.pool), byId(v, 'Xa'), { kind: 'node', node: 'Yc' }, ['pol']), undefined);
});

test('BB84 across sites: the plan holds the strands it crosses, and its loss is the route\'s', (t) => {
  const v = metro();
  const p = plan(planRequest(req('Xa', 'Yc'), v, emptyPool(), fast));
  t.is(p.protocol, 'bb84');
  t.is(round(p.legs[0]!.lossDb), 15);
  t.is(p.crossConnects.length, 3);
  for (const port of [...strandPorts(v, 'A', 'B', 'A'), ...strandPorts(v, 'A', 'B', 'B')]) t.true(p.resources.includes(`port:${port}`));
});

test('MDI across sites through the server\'s relay at B: legs 7.2 and 9 dB; a pair over 300 km is refused with the reason', (t) => {
  const v = metro();
  const p = plan(planRequest(req('Xa', 'Zc'), v, emptyPool(), fast));
  t.deepEqual(p.relay, { kind: 'single', node: 'RB' });
  // Xa: 1 + A 1 + 4 + B 1 + RB 0.2 = 7.2 dB; Zc: 0.8 + C 1 + 6 + B 1 + 0.2 = 9 dB.
  t.deepEqual(p.legs.map((l) => [l.from, round(l.lossDb)]), [['Xa', 7.2], ['Zc', 9]]);
  // Wf sits 300 km (60 dB) beyond C: no relay gives a key (the MDI rate is zero at 60 dB between 20 % detectors).
  const far = planRequest(req('Xa', 'Wf'), v, emptyPool(), fast);
  t.is(far.kind, 'refused');
  if (far.kind === 'refused') t.regex(far.reason, /^no secret key on any route \(MDI .* via R/);
  const bb = planRequest(req('Wf', 'Yc'), v, emptyPool(), fast);
  t.is(bb.kind, 'refused', 'BB84 over 64 dB gives no key either');
});

test('a relay the server operates is never a key endpoint', (t) => {
  const o = planRequest(req('Xa', 'RB'), metro(), emptyPool(), fast);
  t.deepEqual(o, { kind: 'refused', requestId: 'Xa-RB', reason: 'RB is a relay the server operates: it never holds a key' });
});

test('the nearest idle relay serves; with it busy the next one; with every useful one busy the request waits for them', (t) => {
  const v = metro([relay('RB2', 'B', 2)]);
  const first = plan(planRequest(req('Xa', 'Zc'), v, emptyPool(), fast));
  t.deepEqual(first.relay, { kind: 'single', node: 'RB' }, 'RB (1 km) is nearer than RB2 (2 km)');
  const hold = (pool: ResourcePool, id: string) => {
    const r = reserve(pool, `hold-${id}`, [0, 1, 2, 3].map((i) => `detector:${id}/${i}`));
    if (!r.ok) throw new Error('reserve');
    return r.pool;
  };
  const second = plan(planRequest(req('Xa', 'Zc'), v, hold(emptyPool(), 'RB'), fast));
  t.deepEqual(second.relay, { kind: 'single', node: 'RB2' });
  const both = hold(hold(emptyPool(), 'RB'), 'RB2');
  const q = planRequest(req('Xa', 'Zc'), v, both, fast);
  t.is(q.kind, 'queued', 'RFar is idle but gives no key: waiting beats a useless relay');
  if (q.kind === 'queued') {
    t.regex(q.reason, /RB busy/);
    t.true(q.waitingFor.includes('detector:RB/0') && q.waitingFor.includes('detector:RB2/0'));
  }
});

function controlPlane(view: NetworkView) {
  const notices: AgentNotice[] = [];
  const started: Plan[] = [];
  const tm = createActor(controlPlaneMachine({ notifyAgent: (n) => void notices.push(n), startSession: (p) => void started.push(p) }), { input: { view, finite: null } }).start();
  return { tm, notices, started };
}

test('strands are exclusive: the third session out of A waits for a strand and runs when one is released', (t) => {
  const v = metro();
  const h = controlPlane(v);
  h.tm.send({ type: 'SUBMIT', request: req('Xa', 'Yc') });
  h.tm.send({ type: 'SUBMIT', request: req('Xb', 'Yc2') });
  h.tm.send({ type: 'SUBMIT', request: req('Xc', 'Yc3') });
  t.deepEqual(h.started.map((p) => [p.requestId, round(p.legs[0]!.lossDb)]), [['Xa-Yc', 15], ['Xb-Yc2', 18]], 'via B, then the direct link');
  const queued = h.tm.getSnapshot().context.queue;
  t.deepEqual(queued.map((e) => e.request.id), ['Xc-Yc3']);
  t.regex(queued[0]!.reason ?? '', /no free switch ports/);
  const heldStrands = [...strandPorts(v, 'A', 'B', 'A'), ...strandPorts(v, 'A', 'C', 'A')].map((p) => `port:${p}`);
  for (const r of heldStrands) t.true(queued[0]!.waitingFor.includes(r), `waits for ${r}`);
  h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started[1]!.sessionId, outcome: 'finished' });
  t.deepEqual(h.started.map((p) => p.requestId), ['Xa-Yc', 'Xb-Yc2', 'Xc-Yc3']);
  t.is(round(h.started[2]!.legs[0]!.lossDb), 18, 'the freed direct link');
  t.deepEqual(h.tm.getSnapshot().context.queue, []);
  h.tm.stop();
});

test('a queued request is not re-planned by releases that cannot help it, and is when its end frees', (t) => {
  const v = metro([relay('RB2', 'B', 2)]);
  const h = controlPlane(v);
  let plans = 0;
  (h.tm.system.get('orchestration') as { on: (t: string, f: () => void) => void }).on('QUEUED', () => void plans++);
  h.tm.send({ type: 'SUBMIT', request: req('Xa', 'Yc') });
  h.tm.send({ type: 'SUBMIT', request: req('Zc', 'Yc2', { id: 'other' }) });
  h.tm.send({ type: 'SUBMIT', request: req('Xa', 'Zc', { id: 'waits' }) });
  t.is(h.started.length, 2);
  t.is(plans, 1, 'queued once');
  t.deepEqual(h.tm.getSnapshot().context.queue[0]!.waitingFor.sort(), ['source:Xa', 'source:Zc']);
  // The Zc session ends: Xa is still busy, but Zc's release is what it waited for (one of them).
  h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started.find((p) => p.requestId === 'other')!.sessionId, outcome: 'finished' });
  t.is(plans, 2, 'woken by the release of source:Zc, queued again for Xa');
  t.deepEqual(h.tm.getSnapshot().context.queue[0]!.waitingFor, ['source:Xa']);
  h.tm.send({ type: 'SUBMIT', request: req('Zc', 'Yc3', { id: 'third' }) });
  h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started.find((p) => p.requestId === 'third')!.sessionId, outcome: 'finished' });
  t.is(plans, 2, 'a release it does not wait for leaves it alone');
  h.tm.send({ type: 'SESSION_ENDED', sessionId: h.started[0]!.sessionId, outcome: 'finished' });
  t.is(h.started.at(-1)!.requestId, 'waits');
  h.tm.stop();
});

test('wide area: a pair in neighbouring cities meets at the relay hut half way; across 300 km no relay gives a key and the refusal names the hut', (t) => {
  const topo = parseTopology({
    network: 'wide-test',
    server: { portLossDb: 0.5 },
    sites: [{ name: 'X' }, { name: 'HXY' }, { name: 'Y' }, { name: 'HYZ' }, { name: 'Z' }],
    links: [
      { a: 'X', b: 'HXY', km: 40, fibres: 2 }, { a: 'HXY', b: 'Y', km: 40, fibres: 2 },
      { a: 'Y', b: 'HYZ', km: 150, fibres: 2 }, { a: 'HYZ', b: 'Z', km: 150, fibres: 2 },
    ],
    nodes: [
      node('cx', 'C', 'X', 5, { ownConverter: true }), node('cy', 'C', 'Y', 5, { ownConverter: true }), node('cz', 'C', 'Z', 5, { ownConverter: true }),
      relay('X-r', 'X', 0.5), relay('HXY-r', 'HXY', 0.5), relay('Y-r', 'Y', 0.5), relay('HYZ-r', 'HYZ', 0.5), relay('Z-r', 'Z', 0.5),
    ],
  }, 'wide-test');
  const v = networkViewFromTopology(topo as unknown as TopologyLike);
  const p = plan(planRequest(req('cx', 'cy'), v, emptyPool(), fast));
  t.deepEqual(p.relay, { kind: 'single', node: 'HXY-r' });
  // Each side: 5 km (1 dB) + its city's switch (1) + 40 km (8) + the hut's switch (1) + 0.5 km (0.1) = 11.1 dB.
  t.deepEqual(p.legs.map((l) => round(l.lossDb)), [11.1, 11.1]);
  const far = planRequest(req('cy', 'cz'), v, emptyPool(), fast);
  t.is(far.kind, 'refused');
  // 31 dB a side through the hut: no MDI key between 20 % detectors with 1e-6 dark counts.
  if (far.kind === 'refused') t.regex(far.reason, /^no secret key on any route \(.*via HYZ-r/);
});
