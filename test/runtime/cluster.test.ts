// Integration over a real nats-server with real child processes, on the launcher's private secured
// NATS (each process its own nkey identity and permissions): the server and five node processes
// register; a seventh attaches at runtime from its bundle alone (`hetqn creds issue` + `hetqn node
// --join`) and `hetqn status` sees it; a wrong credential is refused; a tampered bundle is refused
// naming the field; a killed node is marked down; garbage on every subject an identity may publish
// crashes nobody.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { launchCluster, spawnTs, stopChild, type Cluster } from '../../runtime/launcher.ts';
import { packRaw, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_BYTES } from '../../runtime/codec.ts';
import { CLIENT, fullSubject, INSPECTOR, SERVER, subject } from '../../runtime/subjects.ts';
import type { ActorHost } from '../../runtime/host.ts';

let cluster: Cluster;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-cluster-'));
const extra: ChildProcess[] = [];
const topology = loadTopology(referenceTopologyPath());

function run(args: string[], env: Record<string, string> = { HETQN_BUNDLE: cluster.bundleFile(CLIENT) }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  let stdout = ''; let stderr = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  c.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => c.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Start a long-running CLI process and resolve with its first stdout line. */
function startCli(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, {});
  extra.push(c);
  let out = ''; let err = '';
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d) => { out += d; const i = out.indexOf('\n'); if (i >= 0) resolve({ child: c, line: out.slice(0, i) }); });
    c.stderr!.on('data', (d) => { err += d; });
    c.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

test.before(async () => {
  cluster = await launchCluster({ topology, redisUrl: 'redis://127.0.0.1:1', forwardChildLogs: false });
});

test.after.always(async () => {
  for (const c of extra) await stopChild(c);
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `hetqn creds issue` against the cluster's issuer file. */
const issue = (node: string, out: string) => run(['creds', 'issue', '--node', node, '--out', out, '--net', 'reference', '--issuer', cluster.issuerFile, '--topology', referenceTopologyPath(), '--json'], {});

const nodeState = async (name: string) => (await cluster.status()).nodes.find((n) => n.name === name)!;

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('the server and the five reference nodes register (six processes)', async (t) => {
  t.is(cluster.children.length, 6);
  const view = await cluster.status();
  const up = view.nodes.filter((n) => n.state === 'up').map((n) => n.name).sort();
  t.deepEqual(up, ['Alice', 'Bob', 'Charlie', 'David', 'Frank']);
  t.deepEqual(view.nodes.filter((n) => n.state === 'expected').map((n) => n.name).sort(), ['George', 'Henry', 'Ivy']);
  const pids = new Set(cluster.children.map((c) => c.pid));
  t.is(pids.size, 6);
});

test.serial('George joins at runtime from his bundle alone (`hetqn creds issue`, `hetqn node --join`) and `hetqn status` sees him', async (t) => {
  const file = path.join(dir, 'george.json');
  const r = await issue('George', file);
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { identity: 'George', role: 'node', mode: '0600' });
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  // no state file, no topology: the bundle alone
  const { line } = await startCli(['node', '--join', file, '--json']);
  t.like(JSON.parse(line), { node: 'George', registered: true, network: 'reference' });
  const st = await run(['status', '--json', '--net', 'reference', '--nats', cluster.natsUrl]);
  t.is(st.code, 0, st.stderr);
  const view = JSON.parse(st.stdout);
  const george = topology.nodes.find((n) => n.name === 'George')!;
  t.like(view.nodes.find((n: { name: string }) => n.name === 'George'), { state: 'up', type: george.type, dof: george.dof, linkKm: george.linkKm });
  t.is(view.nodes.filter((n: { state: string }) => n.state === 'up').length, 6);
});

test.serial('a node with a wrong credential is refused with a clear error; a tampered bundle is refused naming the field', async (t) => {
  const file = path.join(dir, 'henry.json');
  t.is((await issue('Henry', file)).code, 0);
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  const write = (name: string, b: unknown) => { const f = path.join(dir, name); fs.writeFileSync(f, JSON.stringify(b), { mode: 0o600 }); return f; };
  const r = await run(['node', '--join', write('henry-wrong.json', { ...bundle, node: { ...bundle.node, credential: 'definitely-not-henrys' } }), '--json'], {});
  t.is(r.code, 2);
  t.regex(r.stderr, /credential.*Henry refused by the platform: wrong credential for node Henry/);
  t.like(JSON.parse(r.stdout).error, { code: 'bad-input', field: 'credential' });
  t.regex(JSON.parse(r.stdout).error.message, /wrong credential/);
  t.is((await nodeState('Henry')).state, 'expected');
  const seed = bundle.nats.seed as string;
  const tampered: Array<[string, unknown, RegExp]> = [
    ['seed', { ...bundle, nats: { ...bundle.nats, seed: seed.slice(0, -3) + (seed.endsWith('AAA') ? 'BBB' : 'AAA') } }, /nats\.seed: not a NATS user nkey seed/],
    ['psk', { ...bundle, psk: { ...bundle.psk, Alice: 'zz' } }, /psk\.Alice: expected 64 hex characters/],
    ['extra field', { ...bundle, adminPassword: 'x' }, /\(root\): Unrecognized key\(s\) in object: 'adminPassword'/],
    ['identity', { ...bundle, identity: 'server' }, /role: identity server is a server, not a node/],
  ];
  for (const [what, b, re] of tampered) {
    const bad = await run(['node', '--join', write(`henry-${what.replace(' ', '-')}.json`, b), '--json'], {});
    t.is(bad.code, 2, what);
    t.regex(bad.stderr, re, what);
  }
  // a bundle others may read is refused before anything else
  const open = write('henry-open.json', bundle);
  fs.chmodSync(open, 0o644);
  const o = await run(['node', '--join', open, '--json'], {});
  t.regex(o.stderr, /readable by others \(mode 644\).*chmod 600/);
});

test.serial('killing a node process is noticed by the hypervisor', async (t) => {
  const frank = cluster.children.find((c) => c.name === 'Frank')!;
  frank.child.kill('SIGKILL');
  await waitFor(async () => (await nodeState('Frank')).state === 'down', 'Frank marked down');
  t.is((await nodeState('Alice')).state, 'up');
});

test.serial('garbage frames on every subject an identity may publish crash no process', async (t) => {
  const net = 'reference';
  const names = topology.nodes.map((n) => n.name);
  const nodes = ['Alice', 'Bob', 'Charlie', 'David', 'George'];
  const processes: Array<[string, string]> = [[SERVER, 'server'], ...nodes.map((n) => [n, `node-${n}`] as [string, string])];
  const [alice, client, inspector] = await Promise.all([cluster.connect('Alice'), cluster.connect(CLIENT), cluster.connect(INSPECTOR)]);
  // What each identity may publish (runtime/subjects.ts permissionsOf), with concrete tokens.
  const asAlice = [
    subject.coordinator('s1'),
    ...names.flatMap((n) => [subject.session('s1', n), subject.taskChannel(n)]),
    subject.status(), subject.challenge(), subject.announce(), subject.decision(), subject.inspect('x'),
  ].map((s) => fullSubject(net, s, 'Alice'));
  const asClient = [subject.platformRequest(), subject.actor(SERVER, 'hypervisor'), subject.actor(SERVER, 'tasks')].map((s) => fullSubject(net, s, CLIENT));
  const asInspector = [subject.inspectControl(), subject.actor(SERVER, 'hypervisor'), ...processes.map(([o, p]) => subject.process(o, p))].map((s) => fullSubject(net, s, INSPECTOR));
  const base = { v: PROTOCOL_VERSION, from: 'fuzzer', ts: Date.now() };
  const frames: Uint8Array[] = [
    new Uint8Array(0), randomBytes(1), randomBytes(64), randomBytes(4096),
    packRaw({ ...base, v: 7, type: 'node.heartbeat', body: {} }),
    packRaw({ ...base, type: 'no.such.message', body: {} }),
    packRaw({ ...base, type: 'node.heartbeat', body: { node: 'Alice', processId: 'node-Alice', seq: -1, state: 'x', actors: {} } }),
    packRaw({ ...base, type: 'registry.announce', body: { name: 'Alice' } }),
    packRaw({ type: 'hypervisor.status', body: {} }),
    packRaw({ ...base, type: 'hypervisor.status', body: null }),
    packRaw({ ...base, type: 'inspect.lease', body: { untilMs: 'soon' } }),
    packRaw([1, 2, 3]), packRaw('text'), packRaw(null),
    packRaw({ ...base, type: 'node.heartbeat', body: { node: 'A'.repeat(DEFAULT_MAX_FRAME_BYTES + 100), processId: 'p', seq: 1, state: 'x', actors: {} } }),
  ];
  const spray = (h: ActorHost, subjects: string[]) => {
    for (const s of subjects) for (const f of frames) h.bus.publish(s, f);
    for (let i = 0; i < 100; i++) h.bus.publish(subjects[i % subjects.length]!, randomBytes(1 + (i * 37) % 700));
  };
  spray(alice, asAlice); spray(client, asClient); spray(inspector, asInspector);
  for (const h of [alice, client, inspector]) await h.bus.flush();
  // the same garbage as requests: each gets a runtime.error reply or nothing, never a crash
  const replies = await Promise.allSettled(asInspector.map((s) => inspector.bus.request(s, randomBytes(32), { timeoutMs: 10_000 })));
  t.true(replies.some((r) => r.status === 'fulfilled'), 'hosts answer bad requests with runtime.error');
  // every process still answers, and the hypervisor still serves the view
  for (const [owner, p] of processes) {
    const pong = await inspector.request<{ processId: string; frameErrors: number }>(subject.process(owner, p), 'runtime.ping', {}, { timeoutMs: 5000 });
    t.is(pong.body.processId, p);
    t.true(pong.body.frameErrors > 0, `${p} counted its rejected frames`);
  }
  const view = await cluster.status();
  t.is(view.nodes.find((n) => n.name === 'Alice')!.state, 'up');
  t.true(cluster.children.filter((c) => c.name !== 'Frank').every((c) => c.child.exitCode === null));
});
