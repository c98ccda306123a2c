// Start a whole network from a topology: the server process, then one process per node (those
// with attachLater are left out), and wait until the hypervisor reports every started node up.
// `stop()` asks node processes to leave (SIGTERM), then the server, then private NATS/Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeSpec, Topology } from '../infra/topology.ts';
import type { HypervisorView } from '../actors/server/registry.messages.ts';
import '../actors/server/registry.messages.ts';
import { ActorHost } from './host.ts';
import { NatsBus } from './nats-bus.ts';
import { resolveEndpoints, type Endpoints } from './servers-resolve.ts';
import { installPoolUsers } from './pool-users.ts';
import { stateDir } from './state-file.ts';
import { redisAddress, redisTlsFromEnv } from '../infra/keypool/connect.ts';
import type { PoolUsers } from '../infra/keypool/acl.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.resolve(here, '..');
const TSX = import.meta.resolve('tsx');

export interface ChildInfo { name: string; role: 'server' | 'node'; pid: number; child: ChildProcess; stderrTail: string[] }

export interface LaunchOptions {
  topology: Topology;
  log?: (line: string) => void;
  /** Forward children's stderr lines to log (prefixed). Default true. */
  forwardChildLogs?: boolean;
  /** Use these instead of resolving NATS/Redis. */
  natsUrl?: string;
  redisUrl?: string;
  forcePrivateServers?: boolean;
  heartbeatMs?: number;
  downAfterMs?: number;
  startTimeoutMs?: number;
  /** Secret the pairs' pre-shared authentication keys are installed from. Default: HETQN_PSK_SECRET,
   *  else 32 fresh random bytes per launch (so no two networks share pre-shared keys). */
  pskSecret?: string;
  /** Give every node its own Redis ACL user limited to its own pools (default true). */
  poolAcl?: boolean;
}

export interface Cluster {
  net: string;
  natsUrl: string;
  redisUrl: string;
  privateServers: boolean;
  /** The pre-shared-key installation secret handed to node processes (kept in the 0600 state file). */
  pskSecret: string;
  /** Per-node Redis users, when the Redis accepted ACL SETUSER. */
  poolUsers?: PoolUsers;
  children: ChildInfo[];
  /** A client host (no actors) in the launcher process, for requests. */
  client: ActorHost;
  status(timeoutMs?: number): Promise<HypervisorView>;
  /** Start a node process (e.g. an attachLater node); resolves once the hypervisor sees it up. */
  attach(spec: NodeSpec): Promise<ChildInfo>;
  /** Wait until the named nodes are up. */
  waitUp(names: string[], timeoutMs?: number): Promise<HypervisorView>;
  stop(): Promise<void>;
}

/** Spawn a TypeScript entry point of this project as a child process. */
export function spawnTs(script: string, args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, path.join(PROJECT_ROOT, script), ...args], {
    cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

export function stopChild(c: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (exited(c)) return resolve();
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('exit', () => { clearTimeout(t); resolve(); });
    c.kill('SIGTERM');
  });
}

export async function launchCluster(opts: LaunchOptions): Promise<Cluster> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const t = opts.topology;
  if (!t.file) throw new Error('launchCluster: the topology must be loaded from a file (loadTopology)');
  let endpoints: Endpoints;
  if (opts.natsUrl && opts.redisUrl) endpoints = { natsUrl: opts.natsUrl, redisUrl: opts.redisUrl, privateServers: [], stop: async () => {} };
  else endpoints = await resolveEndpoints(log, { forcePrivate: opts.forcePrivateServers });
  const children: ChildInfo[] = [];
  const pskSecret = opts.pskSecret ?? process.env.HETQN_PSK_SECRET ?? randomBytes(32).toString('hex');
  const insecureRedis = opts.poolAcl === false || process.env.HETQN_INSECURE === '1';
  const poolUsers = opts.poolAcl === false ? undefined
    : await installPoolUsers(endpoints.redisUrl, t.network, t.nodes.map((n) => n.name), log, { tls: redisTlsFromEnv(), insecure: insecureRedis });
  // Children get Redis's address only and connect as their own users, never with the URL's (admin)
  // credentials; an insecure network hands them the URL itself; an unreachable Redis, nothing.
  const childRedis = poolUsers ? redisAddress(endpoints.redisUrl) : insecureRedis ? endpoints.redisUrl : undefined;
  // Children run in the project root: give them the caller's state directory (nodes put their KME tokens there).
  const env = { NATS_URL: endpoints.natsUrl, REDIS_URL: childRedis, HETQN_PSK_SECRET: pskSecret, HETQN_STATE_DIR: stateDir(), ...(insecureRedis ? { HETQN_INSECURE: '1' } : {}) };
  let client: ActorHost | undefined;

  const track = (name: string, role: ChildInfo['role'], child: ChildProcess): ChildInfo => {
    const info: ChildInfo = { name, role, pid: child.pid!, child, stderrTail: [] };
    const onLine = (line: string) => {
      if (!line) return;
      info.stderrTail.push(line);
      if (info.stderrTail.length > 30) info.stderrTail.shift();
      if (opts.forwardChildLogs ?? true) log(`[${name}] ${line}`);
    };
    let buf = '';
    const pipe = (chunk: Buffer) => { buf += chunk.toString(); const lines = buf.split('\n'); buf = lines.pop()!; lines.forEach(onLine); };
    child.stderr!.on('data', pipe);
    child.stdout!.on('data', pipe);
    children.push(info);
    return info;
  };

  const startNode = (n: NodeSpec) => track(n.name, 'node', spawnTs('runtime/processes/node-main.ts',
    ['--nats', endpoints.natsUrl, '--net', t.network, '--name', n.name, '--type', n.type, '--dof', n.dof, '--link-km', String(n.linkKm)],
    { ...env, HETQN_CREDENTIAL: n.credential, HETQN_REDIS_USER: poolUsers?.nodes[n.name]?.username, HETQN_REDIS_PASSWORD: poolUsers?.nodes[n.name]?.password }));

  const stopAll = async () => {
    await Promise.all(children.filter((c) => c.role === 'node').map((c) => stopChild(c.child)));
    await Promise.all(children.filter((c) => c.role === 'server').map((c) => stopChild(c.child)));
    await client?.stop().catch(() => undefined);
    await endpoints.stop();
  };

  try {
    const serverArgs = ['--nats', endpoints.natsUrl, '--topology', t.file];
    if (opts.heartbeatMs) serverArgs.push('--heartbeat-ms', String(opts.heartbeatMs));
    if (opts.downAfterMs) serverArgs.push('--down-after-ms', String(opts.downAfterMs));
    // The server's own Redis user: session decisions only, no key material (infra/keypool/acl.ts).
    log(`starting the server process of network ${t.network}`);
    track('server', 'server', spawnTs('runtime/processes/server-main.ts', serverArgs, { ...env, HETQN_SERVER_REDIS_USER: poolUsers?.server.username, HETQN_SERVER_REDIS_PASSWORD: poolUsers?.server.password }));
    const bus = await NatsBus.connect(endpoints.natsUrl, `hetqn-${t.network}-launcher`);
    client = new ActorHost({ bus, net: t.network, processId: `launcher-${process.pid}`, logFrameErrors: false });
    const theClient = client;

    const status = async (timeoutMs = 3000) => (await theClient.request<HypervisorView>('actor.hypervisor', 'hypervisor.status', {}, { timeoutMs })).body;
    const waitUp = async (names: string[], timeoutMs = opts.startTimeoutMs ?? 60_000): Promise<HypervisorView> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const dead = children.find((c) => exited(c.child) && (c.role === 'server' || names.includes(c.name)));
        if (dead) throw new Error(`${dead.name} process exited (code ${dead.child.exitCode ?? dead.child.signalCode}):\n  ${dead.stderrTail.slice(-8).join('\n  ')}`);
        try {
          const view = await status(1000);
          const up = new Set(view.nodes.filter((n) => n.state === 'up').map((n) => n.name));
          if (names.every((n) => up.has(n))) return view;
        } catch { /* server not answering yet */ }
        if (Date.now() > deadline) throw new Error(`nodes not registered within ${timeoutMs} ms: ${names.join(', ')}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    const initial = t.nodes.filter((n) => !n.attachLater);
    log(`starting ${initial.length} node processes (${initial.map((n) => n.name).join(', ')}); waiting for them to register`);
    for (const n of initial) startNode(n);
    await waitUp(initial.map((n) => n.name));
    return {
      net: t.network, natsUrl: endpoints.natsUrl, redisUrl: endpoints.redisUrl,
      privateServers: endpoints.privateServers.length > 0, pskSecret, poolUsers, children, client: theClient, status, waitUp,
      async attach(spec) { const c = startNode(spec); await waitUp([spec.name]); return c; },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
