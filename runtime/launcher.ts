// Start a whole network from a topology on one host: the issuer's secrets (infra/issuer.ts), the
// private secured NATS/Redis (servers-resolve.ts), the server process, then the node processes (one
// per node, or `nodesPerProcess` nodes each, every node still on its own NATS connection and identity;
// those with attachLater are left out), and wait until the hypervisor reports every started node up.
// Processes start from the compiled bundles in dist/ when they are current (compiled.ts), else with tsx.
// With `restart`, a crashed process is restarted with backoff, within an intensity limit (supervisor.ts).
// Each child gets only the path of its own 0600 bundle (infra/bundle.ts) on its command line: no
// secret in any process's environment or argv. `stop()` asks node processes to leave (SIGTERM), then
// the server, then the private servers, and removes a temporary issuer directory.
// The launcher itself talks on the bus as the `client` identity (tests may connect as others).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compiledEntry, compiledIsCurrent, PROJECT_ROOT } from './compiled.ts';
import { supervise, type RestartPolicy, type Supervised } from './supervisor.ts';
import type { NodeSpec, Topology } from '../infra/topology.ts';
import type { HypervisorView } from '../actors/server/registry.messages.ts';
import '../actors/server/registry.messages.ts';
import { ActorHost } from './host.ts';
import { NatsBus } from './nats-bus.ts';
import { resolveEndpoints, type Endpoints, type NatsMode } from './servers-resolve.ts';
import { CLIENT, SERVER, subject } from './subjects.ts';
import { issueBundle, saveIssuer } from '../infra/issuer.ts';
import { writeBundle, type Bundle } from '../infra/bundle.ts';
import { installRedisUsers, issuerForPrivateNats, issuerForUserNats, readRedisTls, type PreparedIssuer } from './network-issuer.ts';
import { stateDir } from './state-file.ts';
import { redisTlsFromEnv } from '../infra/keypool/connect.ts';
import type { PoolUsers } from '../infra/keypool/acl.ts';

export { PROJECT_ROOT };
const TSX = import.meta.resolve('tsx');

/** One process of the network. `child` and `pid` are the current process's: a supervised one is
 *  replaced on restart (`restarts` counts them; `gaveUp` says why the supervisor stopped). */
export interface ChildInfo {
  name: string; role: 'server' | 'node'; pid: number; child: ChildProcess; stderrTail: string[];
  /** The nodes this process hosts (none for the server). */
  nodes: string[];
  restarts: number;
  gaveUp?: string;
}

export interface LaunchOptions {
  topology: Topology;
  log?: (line: string) => void;
  /** Forward children's stderr lines to log (prefixed). Default true. */
  forwardChildLogs?: boolean;
  /** The user's NATS servers / Redis; default: private secured servers started here. */
  natsUrls?: string[];
  redisUrl?: string;
  /** Accept a NATS or Redis that lets anyone in. */
  insecure?: boolean;
  /** Address the private servers bind to and nodes reach them at (default 127.0.0.1). */
  listen?: string;
  /** The private NATS: one server (default) or a cluster of three (servers.natsCluster). */
  natsMode?: NatsMode;
  /** TLS to the private nats-server, its certificate signed by a CA the issuer makes (bundles carry the CA). */
  tls?: boolean;
  /** PEM CA of the user's own NATS servers (natsUrls): clients then require TLS and trust this CA. */
  ca?: string;
  /** Where the issuer file, NATS config and bundles live (default: a private temporary directory,
   *  removed by stop()). An issuer found there is reused, so pair keys stay the same across runs. */
  dir?: string;
  /** Start the topology's nodes (default true; `hetqn server` starts the server only). */
  startNodes?: boolean;
  heartbeatMs?: number;
  downAfterMs?: number;
  startTimeoutMs?: number;
  /** Give every node its own Redis ACL user limited to its own pools (default true). */
  poolAcl?: boolean;
  /** Restart crashed processes with this policy (default: not restarted; `hetqn up` restarts). */
  restart?: RestartPolicy | false;
  /** Called after a supervised process restarted (its new pid is in the ChildInfo). */
  onRestart?: (c: ChildInfo) => void;
  /** Nodes per node process (default 1). */
  nodesPerProcess?: number;
  /** Start processes with tsx even when dist/ is current (benches compare both). */
  compiled?: boolean;
}

export interface Cluster {
  net: string;
  /** The first NATS URL (all of them: natsServers). */
  natsUrl: string;
  natsServers: string[];
  redisUrl: string;
  privateServers: boolean;
  /** The private servers this launcher runs (tests kill and restart them). */
  servers: Endpoints['private'];
  /** Where the issuer, NATS config and bundles are. */
  dir: string;
  issuerFile: string;
  /** The per-node and server Redis users (the issuer's), when they are installed in Redis. */
  poolUsers?: PoolUsers;
  children: ChildInfo[];
  /** A client host (identity `client`, no actors) in the launcher process, for requests. */
  client: ActorHost;
  /** The bundle of one identity, as issued to its process. */
  bundle(identity: string): Bundle;
  /** Where that bundle's file is (written on first call). */
  bundleFile(identity: string): string;
  /** A host in this process on the bus as `identity` (tests: the inspector, an attacker node). */
  connect(identity: string, processId?: string): Promise<ActorHost>;
  status(timeoutMs?: number): Promise<HypervisorView>;
  /** Start a node process (e.g. an attachLater node); resolves once the hypervisor sees it up. */
  attach(spec: NodeSpec): Promise<ChildInfo>;
  /** Whether processes run from compiled JavaScript (dist/) or TypeScript through tsx. */
  compiled: boolean;
  /** Start a (new) server process with the server's bundle. */
  startServer(): ChildInfo;
  /** Wait until the named nodes are up. */
  waitUp(names: string[], timeoutMs?: number): Promise<HypervisorView>;
  stop(): Promise<void>;
}

/** Spawn a TypeScript entry point of this project as a child process (`env` added to this process's). */
export function spawnTs(script: string, args: string[], env: Record<string, string | undefined> = {}, base: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, path.join(PROJECT_ROOT, script), ...args], {
    cwd: PROJECT_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Spawn a process entry point from its compiled bundle when there is a current one (compiled.ts),
 *  else from TypeScript through tsx. */
export function spawnEntry(script: string, args: string[], env: Record<string, string | undefined> = {}, base: NodeJS.ProcessEnv = process.env, compiled = true): ChildProcess {
  const js = compiled ? compiledEntry(script) : undefined;
  if (!js) return spawnTs(script, args, env, base);
  return spawn(process.execPath, ['--enable-source-maps', js, ...args], { cwd: PROJECT_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const PASSED_ON = /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|LANG|LANGUAGE|TZ|TERM|LC_\w+|NODE_OPTIONS|NODE_ENV|NODE_EXTRA_CA_CERTS|HETQN_(STATE_DIR|KME_CONFIG|FAULT|DEBUG|TEST_LOGS))$/;

/** The environment the network's processes start with: only what a process needs to run, never the
 *  launcher's URLs or credentials (NATS_URL, REDIS_URL with a password, HETQN_BUNDLE...). */
export function childEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(from).filter(([k]) => PASSED_ON.test(k)));
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

/** Follows a child's output: the last lines for errors, forwarded to `log` when asked. With a
 *  restart policy the process is supervised: restarted when it crashes, the ChildInfo following it. */
function childTracker(children: ChildInfo[], supervisors: Supervised[], log: (s: string) => void, forward: boolean, restart: RestartPolicy | false, onRestart?: (c: ChildInfo) => void) {
  const follow = (info: ChildInfo, child: ChildProcess) => {
    const onLine = (line: string) => {
      if (!line) return;
      info.stderrTail.push(line);
      if (info.stderrTail.length > 30) info.stderrTail.shift();
      if (forward) log(`[${info.name}] ${line}`);
    };
    let buf = '';
    const pipe = (chunk: Buffer) => { buf += chunk.toString(); const lines = buf.split('\n'); buf = lines.pop()!; lines.forEach(onLine); };
    child.stderr!.on('data', pipe);
    child.stdout!.on('data', pipe);
  };
  return (name: string, role: ChildInfo['role'], nodes: string[], start: () => ChildProcess): ChildInfo => {
    let info: ChildInfo | undefined;
    const began = (child: ChildProcess, restarts: number) => {
      if (!info) { info = { name, role, nodes, pid: child.pid!, child, stderrTail: [], restarts }; children.push(info); }
      else { Object.assign(info, { pid: child.pid!, child, restarts }); }
      follow(info, child);
      if (restarts > 0) onRestart?.(info);
    };
    if (!restart) { began(start(), 0); return info!; }
    supervisors.push(supervise({ name, start, policy: restart, log, onStart: began, onGiveUp: (reason) => { info!.gaveUp = reason; } }));
    return info!;
  };
}

/** Resolves once the hypervisor (asked with `status`) sees every named node up; rejects when one of
 *  their processes (or the server's) has exited. */
async function waitNodesUp(status: (timeoutMs: number) => Promise<HypervisorView>, children: ChildInfo[], supervised: (c: ChildInfo) => boolean, names: string[], timeoutMs: number): Promise<HypervisorView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Dead for good: exited and not being restarted (a supervised process is waited for until it gives up).
    const hosts = (c: ChildInfo, n: string) => c.nodes.includes(n);
    const dead = children.find((c) => exited(c.child) && (c.role === 'server' || names.some((n) => hosts(c, n))) && (!supervised(c) || c.gaveUp)
      && children.filter((o) => (c.role === 'server' ? o.role === 'server' : o.nodes.some((n) => hosts(c, n)))).every((o) => exited(o.child) && (!supervised(o) || o.gaveUp)));
    if (dead) throw new Error(`${dead.name} process exited (code ${dead.child.exitCode ?? dead.child.signalCode})${dead.gaveUp ? `; not restarted: ${dead.gaveUp}` : ''}:\n  ${dead.stderrTail.slice(-8).join('\n  ')}`);
    try {
      const view = await status(1000);
      const up = new Set(view.nodes.filter((n) => n.state === 'up').map((n) => n.name));
      if (names.every((n) => up.has(n))) return view;
    } catch { /* server not answering yet */ }
    if (Date.now() > deadline) throw new Error(`nodes not registered within ${timeoutMs} ms: ${names.join(', ')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function launchCluster(opts: LaunchOptions): Promise<Cluster> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const t = opts.topology;
  if (!t.file) throw new Error('launchCluster: the topology must be loaded from a file (loadTopology)');
  const temp = !opts.dir;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-net-'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prepared: PreparedIssuer | undefined;
  // The private nats-server's config is written once its URL is known (the URL goes into bundles).
  const endpoints = await resolveEndpoints({
    log, natsUrls: opts.natsUrls, redisUrl: opts.redisUrl, insecure: opts.insecure, listen: opts.listen, ca: opts.ca, natsMode: opts.natsMode,
    natsConfig: async (urls) => (prepared = await issuerForPrivateNats(dir, t, urls, opts)).configFile,
    // The issuer's admin (in the issuer file on this host), not a password that dies with this process.
    redisAdmin: () => prepared && { username: prepared.issuer.redisUsers.admin.username, password: prepared.issuer.redisUsers.admin.password },
  });
  const children: ChildInfo[] = [];
  const supervisors: Supervised[] = [];
  const restart = opts.restart ?? false;
  const compiled = opts.compiled !== false && compiledIsCurrent().ok;
  if (opts.compiled !== false && !compiled) log(`processes start with tsx: ${compiledIsCurrent().why}`);
  let client: ActorHost | undefined;
  const extraHosts: ActorHost[] = [];
  const stopAll = async () => {
    for (const s of supervisors) s.stop();
    await Promise.all(children.filter((c) => c.role === 'node').map((c) => stopChild(c.child)));
    await Promise.all(children.filter((c) => c.role === 'server').map((c) => stopChild(c.child)));
    for (const h of [client, ...extraHosts]) await h?.stop().catch(() => undefined);
    await endpoints.stop();
    if (temp) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!prepared) {
      prepared = issuerForUserNats(dir, t, endpoints.natsServers, opts.ca);
      log(`NATS authorization config for ${endpoints.natsServers.join(', ')} (load it into that server): ${prepared.configFile}`);
    }
    const { issuer: iss, file } = prepared;
    // The issuer's Redis users, installed with the admin's URL; bundles get Redis's address (and TLS)
    // only when they are in place (an unreachable Redis: a network without key pools).
    const tls = redisTlsFromEnv();
    const installed = opts.poolAcl === false ? false
      : await installRedisUsers(endpoints.redisUrl, iss, log, { tls, insecure: opts.insecure || process.env.HETQN_INSECURE === '1' });
    if (installed) iss.redisUrl = endpoints.redisAddress.replace(/\/$/, ''); else delete iss.redisUrl;
    const sentinelUser = process.env.HETQN_REDIS_SENTINEL_USER;
    if (installed && sentinelUser) iss.redisSentinel = { username: sentinelUser, password: process.env.HETQN_REDIS_SENTINEL_PASSWORD ?? '' };
    if (installed && tls) iss.redisTls = readRedisTls(tls); else delete iss.redisTls;
    saveIssuer(file, iss);
    const bundleFiles = new Map<string, string>();
    const bundleFile = (identity: string) => {
      let f = bundleFiles.get(identity);
      if (!f) { f = path.join(dir, t.network, 'bundles', `${identity}.json`); writeBundle(f, issueBundle(iss, identity, t)); bundleFiles.set(identity, f); }
      return f;
    };
    const connect = async (identity: string, processId = `${identity}-${process.pid}-${extraHosts.length}`) => {
      const b = issueBundle(iss, identity, t);
      const bus = await NatsBus.connect({ servers: b.nats.servers, name: `hetqn-${t.network}-${processId}`, net: t.network, identity, seed: b.nats.seed, ca: b.ca });
      const h = new ActorHost({ bus, net: t.network, processId, logFrameErrors: false });
      extraHosts.push(h);
      return h;
    };

    const track = childTracker(children, supervisors, log, opts.forwardChildLogs ?? true, restart, opts.onRestart);
    // Children run in the project root: give them the caller's state directory (nodes put their KME tokens there).
    // A process of several nodes is named after its first node and how many more it hosts.
    const startNodes = (ns: NodeSpec[]) => track(ns.length === 1 ? ns[0]!.name : `${ns[0]!.name}+${ns.length - 1}`, 'node', ns.map((n) => n.name),
      () => spawnEntry('runtime/processes/node-main.ts', ns.flatMap((n) => ['--bundle', bundleFile(n.name)]), { HETQN_STATE_DIR: stateDir() }, childEnv(), compiled));
    // Heartbeats: every second up to 200 nodes, then slower so the server gets about 200 a second
    // (1 000 nodes: every 6 s, down after 18 s); a node is down after three missed heartbeats.
    const heartbeatMs = opts.heartbeatMs ?? (t.nodes.length > 200 ? 1000 * Math.ceil(t.nodes.length / 200) : undefined);
    const downAfterMs = opts.downAfterMs ?? (heartbeatMs ? 3 * heartbeatMs : undefined);
    const startServer = () => {
      const args = ['--bundle', bundleFile(SERVER), '--topology', t.file!];
      if (heartbeatMs) args.push('--heartbeat-ms', String(heartbeatMs));
      if (downAfterMs) args.push('--down-after-ms', String(downAfterMs));
      return track('server', 'server', [], () => spawnEntry('runtime/processes/server-main.ts', args, {}, childEnv(), compiled));
    };

    log(`starting the server process of network ${t.network}`);
    startServer();
    const cb = issueBundle(iss, CLIENT, t);
    const bus = await NatsBus.connect({ servers: cb.nats.servers, name: `hetqn-${t.network}-launcher`, net: t.network, identity: CLIENT, seed: cb.nats.seed, ca: cb.ca });
    client = new ActorHost({ bus, net: t.network, processId: `launcher-${process.pid}`, logFrameErrors: false });
    const theClient = client;

    const status = async (timeoutMs = 3000) => (await theClient.request<HypervisorView>(subject.actor(SERVER, 'hypervisor'), 'hypervisor.status', {}, { timeoutMs })).body;
    const waitUp = (names: string[], timeoutMs = opts.startTimeoutMs ?? 60_000) => waitNodesUp(status, children, () => !!restart, names, timeoutMs);
    const initial = opts.startNodes === false ? [] : t.nodes.filter((n) => !n.attachLater);
    const k = Math.max(1, Math.floor(opts.nodesPerProcess ?? 1));
    const groups = Array.from({ length: Math.ceil(initial.length / k) }, (_, i) => initial.slice(i * k, (i + 1) * k));
    const listed = initial.length > 12 ? `${initial.slice(0, 12).map((n) => n.name).join(', ')}, ...` : initial.map((n) => n.name).join(', ');
    log(`starting ${initial.length} nodes in ${groups.length} processes (${listed}) from ${compiled ? 'dist/ (compiled)' : 'TypeScript (tsx)'}; waiting for them to register`);
    for (const g of groups) startNodes(g);
    await waitUp(initial.map((n) => n.name));
    return {
      net: t.network, natsUrl: endpoints.natsServers[0]!, natsServers: endpoints.natsServers, redisUrl: endpoints.redisUrl,
      privateServers: !!(endpoints.private.nats || endpoints.private.natsCluster || endpoints.private.redis), servers: endpoints.private, dir, issuerFile: file,
      poolUsers: installed ? { ...iss.redisUsers, aclLines: [] } : undefined, children, client: theClient, status, waitUp,
      bundle: (identity) => issueBundle(iss, identity, t), bundleFile, connect, startServer,
      async attach(spec) { const c = startNodes([spec]); await waitUp([spec.name]); return c; },
      compiled,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
