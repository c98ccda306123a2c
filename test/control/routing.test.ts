// Losses are derived by hand from the fixture: 0.2 dB/km fibre, 0.5 dB per switch port
// (a cross-connect passes two), 3 dB server converter.
import test from 'ava';
import { planLeg, type RoutingContext } from '../../actors/server/routing.ts';
import { emptyPool, reserve } from '../../actors/server/resources.ts';
import { connect, createFabric, layoutFromView } from '../../actors/server/switch-fabric.ts';
import type { NetworkView } from '../../actors/server/orchestration-types.ts';
import { referenceView } from './reference-view.ts';

function ctx(view: NetworkView, over: Partial<RoutingContext> = {}): RoutingContext {
  return { view, fabric: createFabric(layoutFromView(view), 10), pool: emptyPool(), usedPorts: new Set(), usedResources: new Set(), ...over };
}
const node = (v: NetworkView, id: string) => v.nodes.find((n) => n.id === id)!;

test('Alice -> David direct: fibres 5 + 25 km and one cross-connect = 1 + 5 + 1 dB, no conversion', (t) => {
  const v = referenceView();
  const leg = planLeg(ctx(v), node(v, 'Alice'), { kind: 'node', node: 'David' }, ['pol', 'tbp', 'pha'])!;
  t.is(Number(leg.lossDb.toFixed(9)), 7);
  t.deepEqual(leg.hops.map((h) => h.kind), ['fibre', 'xconnect', 'fibre']);
  t.deepEqual(leg.conversions, []);
  t.is(leg.crossConnects.length, 1);
});

test('own converter before the attenuator is free; without one the server converter is used and its loss paid', (t) => {
  const v = referenceView();
  v.server.converters = [{ id: 'conv0', lossDb: 3 }];
  // Bob (tbp) must arrive in pol.
  const own = planLeg(ctx(v), node(v, 'Bob'), { kind: 'node', node: 'David' }, ['pol'])!;
  t.is(Number(own.lossDb.toFixed(9)), 11 * 0.2 + 1 + 25 * 0.2);
  t.deepEqual(own.conversions.map((c) => [c.at, c.from, c.to, c.lossDb]), [['node', 'tbp', 'pol', 0]]);
  t.is(own.dofOut, 'pol');
  node(v, 'Bob').ownConverter = false;
  const server = planLeg(ctx(v), node(v, 'Bob'), { kind: 'node', node: 'David' }, ['pol'])!;
  // fibre 2.2 + (Bob port -> conv in) 1 + converter 3 + (conv out -> David port) 1 + fibre 5
  t.is(Number(server.lossDb.toFixed(9)), 2.2 + 1 + 3 + 1 + 5);
  t.deepEqual(server.conversions.map((c) => [c.at, c.converter, c.lossDb]), [['server', 'converter:server/conv0', 3]]);
  t.is(server.crossConnects.length, 2);
  // With the server converter busy there is no path in pol.
  const busy = reserve(emptyPool(), 'other', ['converter:server/conv0']);
  t.true(busy.ok);
  t.is(planLeg(ctx(v, { pool: busy.pool }), node(v, 'Bob'), { kind: 'node', node: 'David' }, ['pol']), undefined);
  // pha -> tbp needs two conversions through pol (converters map pol <-> x only): Frank's own
  // converter (pha -> pol, free) then the server's (pol -> tbp, 3 dB) ...
  const chain = planLeg(ctx(v), node(v, 'Frank'), { kind: 'node', node: 'David' }, ['tbp'])!;
  t.deepEqual(chain.conversions.map((c) => `${c.from}->${c.to}@${c.at}`), ['pha->pol@node', 'pol->tbp@server']);
  t.is(Number(chain.lossDb.toFixed(9)), 8 * 0.2 + 1 + 3 + 1 + 5);
  // ... and without his own converter there is none (one server converter cannot be used twice).
  node(v, 'Frank').ownConverter = false;
  t.is(planLeg(ctx(v), node(v, 'Frank'), { kind: 'node', node: 'David' }, ['tbp']), undefined);
});

test('ports already cross-connected or reserved are avoided (David has a second fibre)', (t) => {
  const v = referenceView();
  const fabric0 = createFabric(layoutFromView(v), 10);
  const davidPorts = fabric0.ports.filter((p) => p.owner.kind === 'node' && p.owner.node === 'David').map((p) => p.port);
  const c = connect(fabric0, 'other', [[davidPorts[0]!, 0]]);
  t.true(c.ok);
  if (!c.ok) return;
  const leg = planLeg(ctx(v, { fabric: c.state }), node(v, 'Alice'), { kind: 'node', node: 'David' }, ['pol'])!;
  t.true(leg.crossConnects[0]!.includes(davidPorts[1]!));
  const both = planLeg(ctx(v, { fabric: c.state, usedPorts: new Set([davidPorts[1]!]) }), node(v, 'Alice'), { kind: 'node', node: 'David' }, ['pol']);
  t.is(both, undefined);
});
