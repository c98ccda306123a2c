// Topology files and node credentials.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { loadTopology, parseTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { announceMac, verifyAnnounceMac, resolveCredential } from '../../infra/credentials.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-topo-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the reference topology holds the five nodes of the paper plus George, Henry and Ivy', (t) => {
  const topo = loadTopology(referenceTopologyPath());
  const row = (n: string) => { const x = topo.nodes.find((m) => m.name === n)!; return [x.type, x.dof, x.linkKm, !!x.attachLater]; };
  // docs/reference/reference-network.md, "Nodes" table.
  t.deepEqual(row('Alice'), ['C', 'pol', 5, false]);
  t.deepEqual(row('Bob'), ['C', 'tbp', 11, false]);
  t.deepEqual(row('Charlie'), ['C', 'tbp', 5, false]);
  t.deepEqual(row('Frank'), ['C', 'pha', 8, false]);
  t.deepEqual(row('David'), ['D', 'pol', 25, false]);
  t.deepEqual(row('George').slice(0, 2), ['D', 'tbp']);
  t.true(row('Henry')[3] as boolean);
  // the E node for BBM92 between D nodes, attached at runtime
  t.deepEqual(row('Ivy'), ['E', 'tbp', 10, true]);
  t.is(topo.network, 'reference');
});

test('errors name the file and the field', (t) => {
  const base = { network: 'n1', nodes: [{ name: 'A', type: 'C', dof: 'pol', linkKm: 1, credential: 'secret-123' }] };
  const bad = (mut: (x: any) => void) => { const x = structuredClone(base) as any; mut(x); return () => parseTopology(x, 'my.json'); };
  t.throws(bad((x) => { x.nodes[0].dof = 'spin'; }), { message: /^my\.json: nodes\[0\]\.dof: / });
  t.throws(bad((x) => { x.nodes[0].linkKm = -1; }), { message: /nodes\[0\]\.linkKm/ });
  t.throws(bad((x) => { delete x.network; }), { message: /: network: Required/ });
  t.throws(bad((x) => { x.nodes.push({ ...x.nodes[0] }); }), { message: /nodes\[1\]\.name: duplicate node name "A"/ });
  t.throws(bad((x) => { x.nodes[0].credential = 'short'; }), { message: /nodes\[0\]\.credential/ });
  t.throws(bad((x) => { x.nodes[0].colour = 'red'; }), { message: /nodes\[0\].*colour/ });
  t.throws(bad((x) => { x.nodes[0].name = 'A.B'; }), { message: /nodes\[0\]\.name/ });
});

test('YAML works, calibration is passed through when present, env: credentials resolve', (t) => {
  fs.writeFileSync(path.join(dir, 'cal.json'), JSON.stringify({ fitted: { etaD: 0.2 } }));
  process.env.HETQN_TEST_CRED = 'from-the-env-123';
  fs.writeFileSync(path.join(dir, 't.yaml'), [
    'network: yamlnet', 'calibration: cal.json', 'nodes:',
    '  - { name: A, type: D, dof: tbp, linkKm: 2.5, credential: "env:HETQN_TEST_CRED", devices: { spd: { eta: 0.2 } } }',
  ].join('\n'));
  const topo = loadTopology(path.join(dir, 't.yaml'));
  t.is(topo.nodes[0]!.credential, 'from-the-env-123');
  t.deepEqual(topo.calibrationData, { fitted: { etaD: 0.2 } });
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'network: [unclosed');
  t.throws(() => loadTopology(path.join(dir, 'broken.yaml')), { message: /broken\.yaml: not valid YAML/ });
  t.throws(() => loadTopology(path.join(dir, 'missing.json')), { message: /not found/ });
  t.throws(() => resolveCredential('env:HETQN_NOPE_NOT_SET', 'x'), { message: /HETQN_NOPE_NOT_SET is not set/ });
});

test('announce MAC is HMAC-SHA256 over the canonical fields; any change breaks it', (t) => {
  const f = { net: 'n', name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, nonce: 'abc', processId: 'node-Alice' };
  // Independent computation with node:crypto over the documented canonical string.
  const expected = createHmac('sha256', 'k3y-k3y-k3y').update('hetqn-announce-v1|n|Alice|C|pol|5|abc|node-Alice').digest('hex');
  t.is(announceMac('k3y-k3y-k3y', f), expected);
  t.true(verifyAnnounceMac('k3y-k3y-k3y', f, expected));
  t.false(verifyAnnounceMac('other-key', f, expected));
  for (const k of Object.keys(f) as Array<keyof typeof f>) {
    const g = { ...f, [k]: k === 'linkKm' ? 6 : 'x' };
    t.false(verifyAnnounceMac('k3y-k3y-k3y', g, expected), `changing ${k} must break the MAC`);
  }
  t.false(verifyAnnounceMac('k3y-k3y-k3y', f, 'zz'));
});
