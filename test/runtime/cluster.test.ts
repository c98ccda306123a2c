// Integration over a real nats-server with real child processes: the server and five node
// processes register; a seventh attaches at runtime through `hetqn node` and `hetqn status` sees
// it; a wrong credential is refused; a killed node is marked down; garbage on every subject
// crashes nobody.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { startNats, type ManagedServer } from '../../infra/servers.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { launchCluster, spawnTs, stopChild, type Cluster } from '../../runtime/launcher.ts';
import { packRaw, PROTOCOL_VERSION, DEFAULT_MAX_FRAME_BYTES } from '../../runtime/codec.ts';
import { fullSubject } from '../../runtime/subjects.ts';

let nats: ManagedServer;
let cluster: Cluster;
const extra: ChildProcess[] = [];
const topology = loadTopology(referenceTopologyPath());

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
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
  nats = await startNats({ jetstream: false });
  cluster = await launchCluster({ topology, natsUrl: nats.url, redisUrl: 'redis://127.0.0.1:1', forwardChildLogs: false });
});

test.after.always(async () => {
  for (const c of extra) await stopChild(c);
  await cluster?.stop();
  await nats?.stop();
});

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

test.serial('George attaches at runtime with `hetqn node` and `hetqn status` sees him', async (t) => {
  const { line } = await startCli(['node', '--name', 'George', '--type', 'D', '--dof', 'tbp', '--link-km', '25',
    '--credential', topology.nodes.find((n) => n.name === 'George')!.credential, '--net', 'reference', '--nats', nats.url, '--json']);
  t.like(JSON.parse(line), { node: 'George', registered: true, network: 'reference' });
  const st = await run(['status', '--json', '--net', 'reference', '--nats', nats.url]);
  t.is(st.code, 0, st.stderr);
  const view = JSON.parse(st.stdout);
  t.like(view.nodes.find((n: { name: string }) => n.name === 'George'), { state: 'up', type: 'D', dof: 'tbp', linkKm: 25 });
  t.is(view.nodes.filter((n: { state: string }) => n.state === 'up').length, 6);
});

test.serial('a node with a wrong credential is refused with a clear error', async (t) => {
  const r = await run(['node', '--name', 'Henry', '--topology', referenceTopologyPath(), '--credential', 'definitely-not-henrys', '--nats', nats.url, '--json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /credential.*Henry refused by the platform: wrong credential for node Henry/);
  t.like(JSON.parse(r.stdout).error, { code: 'bad-input', field: 'credential' });
  t.regex(JSON.parse(r.stdout).error.message, /wrong credential/);
  t.is((await nodeState('Henry')).state, 'expected');
});

test.serial('killing a node process is noticed by the hypervisor', async (t) => {
  const frank = cluster.children.find((c) => c.name === 'Frank')!;
  frank.child.kill('SIGKILL');
  await waitFor(async () => (await nodeState('Frank')).state === 'down', 'Frank marked down');
  t.is((await nodeState('Alice')).state, 'up');
});

test.serial('garbage frames on every subject crash no process', async (t) => {
  const net = 'reference';
  const names = topology.nodes.map((n) => n.name);
  const processes = ['server', ...['Alice', 'Bob', 'Charlie', 'David', 'George'].map((n) => `node-${n}`)];
  const subjects = [
    'registry.announce', 'registry.challenge', 'platform.request', 'inspectctl', 'actor.platform', 'actor.hypervisor',
    ...names.flatMap((n) => [`actor.node-${n}`, `status.${n}`, `session.s1.${n}`, `fabric.s1.${n}`]),
    ...processes.flatMap((p) => [`process.${p}`, `inspect.${p}`]),
  ].map((s) => fullSubject(net, s));
  const base = { v: PROTOCOL_VERSION, from: 'fuzzer', ts: Date.now() };
  const frames: Uint8Array[] = [
    new Uint8Array(0), randomBytes(1), randomBytes(64), randomBytes(4096),
    packRaw({ ...base, v: 7, type: 'node.heartbeat', body: {} }),
    packRaw({ ...base, type: 'no.such.message', body: {} }),
    packRaw({ ...base, type: 'node.heartbeat', body: { node: 'Alice', seq: -1, state: 'x', actors: {} } }),
    packRaw({ ...base, type: 'registry.announce', body: { name: 'Alice' } }),
    packRaw({ type: 'hypervisor.status', body: {} }),
    packRaw({ ...base, type: 'hypervisor.status', body: null }),
    packRaw({ ...base, type: 'inspect.lease', body: { untilMs: 'soon' } }),
    packRaw([1, 2, 3]), packRaw('text'), packRaw(null),
    packRaw({ ...base, type: 'node.heartbeat', body: { node: 'A'.repeat(DEFAULT_MAX_FRAME_BYTES + 100), seq: 1, state: 'x', actors: {} } }),
  ];
  const bus = cluster.client.bus;
  for (const s of subjects) for (const f of frames) bus.publish(s, f);
  for (let i = 0; i < 300; i++) bus.publish(subjects[i % subjects.length]!, randomBytes(1 + (i * 37) % 700));
  // the same garbage as requests: each gets a runtime.error reply or nothing, never a crash
  await bus.flush();
  const replies = await Promise.allSettled(subjects.slice(0, 8).map((s) => bus.request(s, randomBytes(32), { timeoutMs: 10_000 })));
  t.true(replies.some((r) => r.status === 'fulfilled'), 'hosts answer bad requests with runtime.error');
  // every process still answers, and the hypervisor still serves the view
  for (const p of processes) {
    const pong = await cluster.client.request<{ processId: string; frameErrors: number }>(`process.${p}`, 'runtime.ping', {}, { timeoutMs: 5000 });
    t.is(pong.body.processId, p);
    t.true(pong.body.frameErrors > 0, `${p} counted its rejected frames`);
  }
  const view = await cluster.status();
  t.is(view.nodes.find((n) => n.name === 'Alice')!.state, 'up');
  t.true(cluster.children.filter((c) => c.name !== 'Frank').every((c) => c.child.exitCode === null));
});
