import test from 'ava';
import { selectProtocol } from '../../protocols/qkd/select.ts';
import type { NodeDescription } from '../../protocols/qkd/dof.ts';

// The reference network (docs/reference/reference-network.md)
const Alice: NodeDescription = { name: 'Alice', type: 'C', dof: 'pol', hasConverter: true };
const Bob: NodeDescription = { name: 'Bob', type: 'C', dof: 'tbp', hasConverter: true };
const Charlie: NodeDescription = { name: 'Charlie', type: 'C', dof: 'tbp', hasConverter: true };
const Frank: NodeDescription = { name: 'Frank', type: 'C', dof: 'pha', hasConverter: true };
const David: NodeDescription = { name: 'David', type: 'D', dof: 'pol', measures: ['pol', 'tbp'], bsm: true };
const George: NodeDescription = { name: 'George', type: 'D', dof: 'tbp', bsm: false };
const Henry: NodeDescription = { name: 'Henry', type: 'D', dof: 'tbp', bsm: false };
const Eve: NodeDescription = { name: 'Ezra', type: 'E', dof: 'pol' };
const all = [Alice, Bob, Charlie, Frank, David];

test('C–D is decoy BB84; a tbp/pha source converts to pol at its own source (free)', t => {
  const s = selectProtocol(David, Frank, { helpers: all });
  t.true(s.ok);
  if (!s.ok) return;
  t.is(s.family, 'bb84'); t.is(s.helper, 'none');
  t.deepEqual(s.roles, { transmitters: ['Frank'], receivers: ['David'] });
  t.is(s.measuredDof, 'pol');
  t.deepEqual(s.conversions, [{ node: 'Frank', from: 'pha', to: 'pol', where: 'source' }]);
});

test('David measures tbp directly, so D–B needs no conversion', t => {
  const s = selectProtocol(Bob, David, { helpers: all });
  t.true(s.ok && s.measuredDof === 'tbp' && s.conversions.length === 0);
});

test('a node without a converter pays the server converter', t => {
  const s = selectProtocol({ ...Frank, hasConverter: false }, David, { helpers: all });
  t.true(s.ok && s.conversions[0].where === 'server');
  const r = selectProtocol({ ...Frank, hasConverter: false }, David, { helpers: all, serverConverters: false });
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /no converter/);
});

test('C–C is MDI through David; Bob–Charlie meet in tbp, Alice–Frank in pol', t => {
  const bc = selectProtocol(Bob, Charlie, { helpers: all });
  t.true(bc.ok && bc.family === 'mdi' && bc.helperName === 'David' && bc.measuredDof === 'tbp' && bc.conversions.length === 0);
  const af = selectProtocol(Alice, Frank, { helpers: all });
  t.true(af.ok && af.measuredDof === 'pol');
  if (af.ok) t.deepEqual(af.conversions, [{ node: 'Frank', from: 'pha', to: 'pol', where: 'source' }]);
  const bf = selectProtocol(Bob, Frank, { helpers: all });
  t.true(bf.ok && bf.measuredDof === 'pol' && bf.conversions.length === 2);
});

test('with David busy, Bob–Charlie use a joint BSM of George and Henry', t => {
  const s = selectProtocol(Bob, Charlie, { helpers: [George, Henry] });
  t.true(s.ok);
  if (s.ok) { t.deepEqual(s.jointBsm, ['George', 'Henry']); t.is(s.measuredDof, 'tbp'); }
});

test('C–E is hybrid MDI, E–D heralded P&M, D–D BBM92 with an E source', t => {
  const ce = selectProtocol(Alice, Eve, { helpers: all });
  t.true(ce.ok && ce.family === 'mdi-hybrid' && ce.keyRate === 'mdi');
  const ed = selectProtocol(Eve, David, {});
  t.true(ed.ok && ed.family === 'bb84-heralded');
  const dd = selectProtocol(David, { ...George, measures: ['tbp', 'pol'] }, { helpers: [Eve] });
  t.true(dd.ok && dd.family === 'bbm92' && dd.helperName === 'Ezra');
});

test('impossible pairs are refused with a reason', t => {
  const noRelay = selectProtocol(Alice, Bob, { helpers: [] });
  t.false(noRelay.ok);
  if (!noRelay.ok) t.regex(noRelay.reason, /D node/);
  const noSource = selectProtocol(David, George, { helpers: all });
  t.false(noSource.ok);
  if (!noSource.ok) t.regex(noSource.reason, /E node/);
  const self = selectProtocol(Alice, Alice);
  t.false(self.ok);
  // tbp source to a pha-only detector: no converter maps tbp to pha
  const bad = selectProtocol(Bob, { name: 'P', type: 'D', dof: 'pha' }, {});
  t.false(bad.ok);
  if (!bad.ok) t.regex(bad.reason, /tbp to pha/);
});
