// Shared set-up of the session integration tests: the reference cluster (one process per node,
// launcher.ts) on its private secured nats-server (every process with its own identity and
// permissions) and private redis-server, a requester (the `client` identity) on its
// tasks.client.<requestId>, and pool readers.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ManagedServer } from '../../infra/servers.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { CLIENT, subject } from '../../runtime/subjects.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { launchCluster, spawnTs, type Cluster } from '../../runtime/launcher.ts';
import '../../actors/sessions/session.messages.ts';
import '../../actors/server/orchestration.messages.ts';

export interface Env { nats: ManagedServer; redis: ManagedServer; cluster: Cluster; stores: Map<string, KeyPoolStore> }

export async function startEnv(topologyFile = referenceTopologyPath()): Promise<Env> {
  const topology = loadTopology(topologyFile);
  const cluster = await launchCluster({ topology, forwardChildLogs: !!process.env.HETQN_TEST_LOGS });
  return { nats: cluster.servers.nats!, redis: cluster.servers.redis!, cluster, stores: new Map() };
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  for (const s of env.stores.values()) await s.close();
  await env.cluster.stop();
}

export function store(env: Env, owner: string): KeyPoolStore {
  let s = env.stores.get(owner);
  if (!s) { s = new KeyPoolStore(new Redis(env.redis.url), { net: env.cluster.net, owner }, true); env.stores.set(owner, s); }
  return s;
}

export interface QkdOutcome { ok: boolean; reason?: string; result?: Record<string, any>; notices: Array<{ type: string; body: any }> }

export interface QkdHandle { id: string; done: Promise<QkdOutcome>; notices: Array<{ type: string; body: any }> }

/** Submit a QKD request and follow it on tasks.<id> until qkd.result. */
export async function submit(env: Env, a: string, b: string, extra: Record<string, unknown> = {}, timeoutMs = 80_000): Promise<QkdHandle> {
  const id = `t${randomBytes(6).toString('hex')}`;
  const notices: Array<{ type: string; body: any }> = [];
  let resolve!: (o: QkdOutcome) => void;
  const done = new Promise<QkdOutcome>((r) => { resolve = r; });
  const sub = env.cluster.client.subscribe(subject.tasks(CLIENT, id), (e) => {
    notices.push({ type: e.type, body: e.body });
    if (e.type === 'qkd.result') { sub.unsubscribe(); const b = e.body as any; resolve({ ok: b.ok, reason: b.reason, result: b.result, notices }); }
  });
  await env.cluster.client.bus.flush();
  const timer = setTimeout(() => { sub.unsubscribe(); resolve({ ok: false, reason: `test timeout after ${timeoutMs} ms`, notices }); }, timeoutMs);
  // A guard only: a test that is done with a request that never ends must not wait for it to exit.
  timer.unref();
  done.finally(() => clearTimeout(timer));
  // A hang guard only: on a loaded machine the platform may take seconds to accept.
  await env.cluster.client.request(subject.platformRequest(), 'platform.request', { id, kind: 'qkd', a, b, ...extra }, { timeoutMs: 30_000 });
  return { id, done, notices };
}

export async function qkd(env: Env, a: string, b: string, extra: Record<string, unknown> = {}): Promise<QkdOutcome> {
  return (await submit(env, a, b, extra)).done;
}

/** Withdraw `bits` from a's secret pool with b by size and take the same references from b's pool:
 *  the bytes both ends hand out for the same key must be identical. */
export async function sameKeyBothEnds(env: Env, a: string, b: string, bits: number): Promise<{ equal: boolean; blockIds: string[] }> {
  const w = await store(env, a).withdraw(b, 'secret', bits);
  const k = w.keys[0]!;
  const t = await store(env, b).take(a, 'secret', [k.refs]);
  const k2 = t.keys[0]!;
  return { equal: k.length === k2.length && Buffer.from(k.bytes).equals(Buffer.from(k2.bytes)), blockIds: [...new Set(k.refs.map((r) => r.blockId))] };
}

export async function waitUntil(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Run the hetqn CLI as a child process and collect its output (`env`: its environment additions). */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  let stdout = '', stderr = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  c.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => c.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Run the hetqn CLI against the test's network, as the client identity (its bundle). */
export function cliAs(env: Env, args: string[], identity = CLIENT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cli([...args, '--nats', env.cluster.natsUrl, '--net', env.cluster.net], { HETQN_BUNDLE: env.cluster.bundleFile(identity) });
}
