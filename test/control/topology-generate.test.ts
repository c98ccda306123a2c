// Generated LAQN / WAQN topologies: deterministic for a seed, valid against the topology schema,
// every node type and DoF, fibre lengths inside the stated models (the brief's ranges: access
// links a few to 20 km, metro inter-site links 10-50 km, inter-city links 50-300 km), switches
// big enough, and the file written owner-only by the CLI.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateTopology } from '../../infra/topology-generate.ts';
import { loadTopology, parseTopology } from '../../infra/topology.ts';
import { networkViewFromTopology, type TopologyLike } from '../../actors/server/orchestration-view.ts';
import { layoutFromView } from '../../actors/server/switch-fabric.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-topogen-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const fixed = () => 'psk-fixed-credential';
const strip = (t: ReturnType<typeof generateTopology>) => ({ ...t, nodes: t.nodes.map(({ credential: _c, ...n }) => n) });

test('deterministic for a seed (credentials aside), different for another seed', (t) => {
  for (const kind of ['laqn', 'waqn'] as const) {
    const a = generateTopology({ kind, nodes: 120, seed: 7 });
    const b = generateTopology({ kind, nodes: 120, seed: 7 });
    t.deepEqual(strip(a), strip(b));
    t.deepEqual(generateTopology({ kind, nodes: 120, seed: 7 }, fixed), generateTopology({ kind, nodes: 120, seed: 7 }, fixed));
    t.notDeepEqual(strip(a), strip(generateTopology({ kind, nodes: 120, seed: 8 })));
  }
});

test('valid against the schema; every node type and DoF; credentials unique and random', (t) => {
  for (const kind of ['laqn', 'waqn'] as const) {
    const g = generateTopology({ kind, nodes: 300, seed: 3 });
    const topo = parseTopology(structuredClone(g), `${kind}.json`);
    const users = topo.nodes.filter((n) => n.owner !== 'server');
    t.is(users.length, 300);
    for (const type of ['C', 'D', 'E']) for (const dof of ['pol', 'tbp', 'pha']) t.true(users.some((n) => n.type === type && n.dof === dof), `${kind}: a ${type} node in ${dof}`);
    t.true(topo.nodes.some((n) => n.owner === 'server' && n.type === 'D' && n.bsm), 'server-owned BSM relays');
    t.true(topo.nodes.some((n) => n.owner === 'server' && n.type === 'E'), 'server-owned entangled sources');
    const creds = topo.nodes.map((n) => n.credential);
    t.is(new Set(creds).size, creds.length);
    // 18 random bytes in base64url: 24 characters after the prefix.
    t.true(creds.every((c) => /^psk-[A-Za-z0-9_-]{24}$/.test(c)));
  }
});

test('fibre lengths inside the stated models', (t) => {
  const laqn = generateTopology({ kind: 'laqn', nodes: 400, seed: 11 });
  const users = (g: typeof laqn) => g.nodes.filter((n) => n.owner !== 'server');
  for (const g of [laqn, generateTopology({ kind: 'waqn', nodes: 400, seed: 11 })]) {
    t.true(users(g).every((n) => n.linkKm >= 2 && n.linkKm <= 20), 'access links 2-20 km');
    t.true(g.nodes.filter((n) => n.owner === 'server').every((n) => n.linkKm >= 0.1 && n.linkKm <= 1), 'relays in the building');
    t.is(g.fibreDbPerKm, 0.2);
  }
  t.true(laqn.sites.length >= 3);
  t.true(laqn.links.length >= laqn.sites.length, 'a ring and chords');
  t.true(laqn.links.every((l) => l.km >= 10 && l.km <= 50), 'metro inter-site links 10-50 km');
  const waqn = generateTopology({ kind: 'waqn', nodes: 400, seed: 11, sites: 5 });
  const huts = waqn.sites.filter((s) => s.name.startsWith('H-'));
  t.true(huts.length >= 4, 'a relay hut on every inter-city link');
  for (const hut of huts) {
    const spans = waqn.links.filter((l) => l.a === hut.name || l.b === hut.name);
    t.is(spans.length, 2);
    t.is(spans[0]!.km, spans[1]!.km, 'the hut is half way');
    const total = spans[0]!.km + spans[1]!.km;
    t.true(total >= 50 && total <= 300, `inter-city ${total} km within 50-300 km`);
    t.false(waqn.nodes.some((n) => n.site === hut.name && n.owner !== 'server'), 'nobody lives in a hut');
  }
});

test('each site\'s switch has a port for every fibre, device side and strand that lands on it', (t) => {
  const g = generateTopology({ kind: 'laqn', nodes: 500, seed: 5 });
  const view = networkViewFromTopology(parseTopology(structuredClone(g)) as unknown as TopologyLike);
  const used = new Map<string, number>();
  for (const p of layoutFromView(view)) used.set(p.site!, (used.get(p.site!) ?? 0) + 1);
  for (const s of g.sites) t.true((used.get(s.name) ?? 0) <= s.switchPorts, `${s.name}: ${used.get(s.name)} ports used of ${s.switchPorts}`);
});

test('hetqn topology generate: writes the file 0600, prints one JSON summary without secrets, and the file loads', async (t) => {
  const out = path.join(dir, 'metro.json');
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['runtime/cli/bin.js', 'topology', 'generate', '--kind', 'laqn', '--nodes', '60', '--seed', '2', '--out', out, '--json'], { cwd: path.resolve(import.meta.dirname, '../..') });
  const lines = stdout.trim().split('\n');
  t.is(lines.length, 1);
  const summary = JSON.parse(lines[0]!);
  t.is(summary.userNodes, 60);
  t.false(stdout.includes('psk-'), 'no credential on stdout');
  t.is(fs.statSync(out).mode & 0o777, 0o600);
  const topo = loadTopology(out);
  t.is(topo.network, 'laqn-60-s2');
  t.is(topo.nodes.filter((n) => n.owner !== 'server').length, 60);
  const bad = await run(process.execPath, ['runtime/cli/bin.js', 'topology', 'generate', '--kind', 'lan', '--nodes', '6', '--out', out, '--json'], { cwd: path.resolve(import.meta.dirname, '../..') }).catch((e: { code: number; stdout: string }) => e);
  t.is((bad as { code: number }).code, 2);
  t.regex((bad as { stdout: string }).stdout, /--kind: laqn or waqn/);
});

test('schema: sites and links are checked, and errors name the field', (t) => {
  const base = () => ({
    network: 'n1',
    sites: [{ name: 'A' }, { name: 'B' }],
    links: [{ a: 'A', b: 'B', km: 12, fibres: 4 }],
    nodes: [{ name: 'X', type: 'C', dof: 'pol', linkKm: 1, site: 'A', credential: 'secret-123' }],
  });
  t.notThrows(() => parseTopology(base(), 'm.json'));
  const bad = (mut: (x: any) => void) => { const x = base() as any; mut(x); return () => parseTopology(x, 'm.json'); };
  t.throws(bad((x) => { x.nodes[0].site = 'Z'; }), { message: /^m\.json: nodes\[0\]\.site: unknown site "Z"/ });
  t.throws(bad((x) => { delete x.nodes[0].site; }), { message: /nodes\[0\]\.site: required when the topology has sites/ });
  t.throws(bad((x) => { x.links[0].b = 'Q'; }), { message: /links\[0\]\.b: unknown site "Q"/ });
  t.throws(bad((x) => { x.links.push({ a: 'B', b: 'A', km: 3, fibres: 1 }); }), { message: /links\[1\]: a second link between B and A/ });
  t.throws(bad((x) => { x.links[0].fibres = 0; }), { message: /links\[0\]\.fibres/ });
  t.throws(bad((x) => { delete x.sites; }), { message: /links: links need sites/ });
  t.throws(bad((x) => { x.sites[1].converters = [{ id: 'c', lossDb: 3 }]; x.sites[0].converters = [{ id: 'c', lossDb: 3 }]; }), { message: /duplicate device id "c"/ });
  t.throws(bad((x) => { x.nodes[0].owner = 'bank'; }), { message: /nodes\[0\]\.owner/ });
});
