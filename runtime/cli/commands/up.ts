// `hetqn up --topology <file> [--detach] [--inspect] [--timeout s] [--json] [--nats URL...] [--redis URL]
// [--insecure] [--tls] [--listen ADDR]`: start the server and node processes of a topology on this host,
// wait for every node to register, print the network, run until Ctrl-C/SIGTERM. Without --nats/--redis
// it starts private secured servers (runtime/servers-resolve.ts). The issuer file (admin secrets), the
// NATS config and every process's bundle live owner-only in `<state dir>/<net>/`; the state file lists
// only their paths. With --detach the network runs in a background process whose log lines are relayed
// to stderr until it is up. `hetqn server` (server.ts) is the same with no node processes.
// Crashed processes are restarted with backoff within a restart intensity (runtime/supervisor.ts;
// --no-restart: not); --nodes-per-process K hosts K nodes per node process, each on its own identity.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { referenceTopologyPath, type Topology } from '../../../infra/topology.ts';
import { launchCluster, PROJECT_ROOT, type Cluster } from '../../launcher.ts';
import { DEFAULT_RESTART } from '../../supervisor.ts';
import { InsecureServerError, NATS_MODES, REDIS_MODES } from '../../servers-resolve.ts';
import { serverList } from '../../nats-bus.ts';
import { CLIENT, INSPECTOR, SERVER } from '../../subjects.ts';
import { pidAlive, readState, removeState, stateDir, writeState } from '../../state-file.ts';
import { CliError, parseNumber, printResult, progress, stageLogger, timeoutOption } from '../output.ts';
import { startInspector } from '../../inspector/inspector.ts';
import { renderNetwork } from '../network-table.ts';
import { redisAddress } from '../../../infra/keypool/connect.ts';
import { withExample } from '../help.ts';
import { loadTopologyOption } from '../target.ts';

export interface NetworkOptions {
  topology: string; nats?: string[]; redis?: string; insecure?: boolean; listen?: string; tls?: boolean; ca?: string;
  inspect?: boolean; inspectPort?: string; timeout: string; json?: boolean; detach?: boolean; redisMode: string; natsMode: string;
  /** commander's --no-restart */
  restart: boolean;
  nodesPerProcess?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The server options shared by `up` and `server`. */
export function networkOptions(cmd: Command): Command {
  return cmd
    .option('--topology <file>', 'topology file (JSON or YAML)', referenceTopologyPath())
    .option('--nats <url>', 'use this NATS (repeat or comma-separate for several servers); default: a private secured nats-server', collect)
    .option('--nats-mode <mode>', `the private NATS started when no --nats/NATS_URL is given: ${NATS_MODES.join(', ')} (a cluster of 3 servers with the same authorization; a session survives losing one by aborting and the next one commits)`, 'single')
    .option('--redis <url>', 'use this Redis (with an admin\'s credentials; redis://, redis-sentinel://, redis-cluster://); default: a private locked-down redis-server')
    .option('--redis-mode <mode>', `the private Redis started when no --redis/REDIS_URL is given: ${REDIS_MODES.join(', ')} (3 masters + 3 replicas; or 1 master, 2 replicas, 3 sentinels)`, 'single')
    .option('--insecure', 'accept a NATS or Redis that lets clients in without credentials')
    .option('--listen <addr>', 'address the private servers bind to and nodes reach them at', '127.0.0.1')
    .option('--tls', 'TLS to the private nats-server (certificate from a CA hetqn makes; bundles carry the CA)')
    .option('--ca <file>', 'CA certificate (PEM) of the NATS given with --nats: connect with TLS, trusting it')
    .option('-d, --detach', 'run in the background (stop it with `hetqn down`)')
    .option('--inspect', 'also serve the inspector page (`hetqn inspect --web`) on 127.0.0.1')
    .option('--inspect-port <port>', 'port for --inspect (0: any free port)', '8080')
    .option('--timeout <s>', 'seconds to wait for every node to register', '90')
    .option('--no-restart', 'do not restart crashed processes (default: restarted with backoff, at most 5 times a minute)')
    .option('--json', 'print one JSON object once the network is up');
}

export function register(program: Command): void {
  withExample(networkOptions(program.command('up')
    .description('start a network from a topology file (server + one process per node) and keep it running'))
    .option('--nodes-per-process <k>', 'host up to k nodes in each node process (each still with its own NATS connection and identity)', '1'),
  ['hetqn up -d                                   # the reference network (infra/topologies/reference.json)', 'hetqn up --topology my-net.yaml               # in the foreground; Ctrl-C stops it'])
    .action(async (o: NetworkOptions) => runNetwork(o, { startNodes: true, command: 'up' }));
}

/** The running network of this process (the state file is rewritten from it when a process restarts). */
let current: Cluster | undefined;

async function launch(o: NetworkOptions, topology: Topology, startNodes: boolean, timeoutMs: number): Promise<Cluster> {
  let ca: string | undefined;
  if (o.ca) { try { ca = fs.readFileSync(o.ca, 'utf8'); } catch (e) { throw new CliError(`--ca: cannot read ${o.ca}: ${(e as Error).message}`); } }
  if (ca && !o.nats) throw new CliError('--ca: only with --nats (for a private nats-server use --tls)');
  const nodesPerProcess = parseNumber('nodes-per-process', o.nodesPerProcess, { min: 1, max: 10_000, integer: true }) ?? 1;
  const stage = stageLogger();
  const n = topology.nodes.filter((x) => !x.attachLater).length;
  stage(`starting network ${topology.network}: server${startNodes ? ` + ${n} nodes in ${Math.ceil(n / nodesPerProcess)} processes; waiting up to ${timeoutMs / 1000} s for them to register` : ''}`);
  try {
    return await launchCluster({
      topology, dir: stateDir(), startNodes, startTimeoutMs: timeoutMs, log: stage, insecure: o.insecure, listen: o.listen, tls: o.tls, ca,
      natsUrls: o.nats ? serverList(o.nats) : undefined, redisUrl: o.redis, nodesPerProcess,
      restart: o.restart === false ? false : DEFAULT_RESTART,
      // The state file lists the processes' pids (`hetqn down` reaps survivors): keep it current.
      onRestart: () => { const s = readState(topology.network); if (s?.pid === process.pid && current) saveState(current, topology, s.bundles ?? {}); },
    });
  } catch (e) {
    if (e instanceof InsecureServerError) throw new CliError(`--nats: ${e.message}`, 'refused');
    if (/without credentials/.test((e as Error).message)) throw new CliError(`--redis: ${(e as Error).message}`, 'refused');
    throw new CliError(`network ${topology.network} did not start: ${(e as Error).message}`, /within \d+ ms/.test((e as Error).message) ? 'timeout' : 'failed');
  }
}

/** Start the network (or only its server), record it in the state file and run until a signal. */
export async function runNetwork(o: NetworkOptions, how: { startNodes: boolean; command: 'up' | 'server' }): Promise<void> {
  const timeoutMs = timeoutOption(o.timeout);
  if (!REDIS_MODES.includes(o.redisMode as never)) throw new CliError(`--redis-mode: "${o.redisMode}" must be one of ${REDIS_MODES.join(', ')}`);
  if (o.redisMode !== 'single' && (o.redis || (process.env.REDIS_URL && process.env.HETQN_PRIVATE_SERVERS !== '1'))) {
    throw new CliError('--redis-mode: a Redis is given (--redis or REDIS_URL), so no private Redis is started; give a redis-sentinel:// or redis-cluster:// URL instead');
  }
  process.env.HETQN_REDIS_MODE = o.redisMode;
  if (!NATS_MODES.includes(o.natsMode as never)) throw new CliError(`--nats-mode: "${o.natsMode}" must be one of ${NATS_MODES.join(', ')}`);
  if (o.natsMode !== 'single' && (o.nats || (process.env.NATS_URL && process.env.HETQN_PRIVATE_SERVERS !== '1'))) {
    throw new CliError('--nats-mode: a NATS is given (--nats or NATS_URL), so no private NATS is started; give all its servers\' URLs instead (repeat --nats or comma-separate)');
  }
  process.env.HETQN_NATS_MODE = o.natsMode;
  const topology = loadTopologyOption(o.topology);
  const existing = readState(topology.network);
  if (existing && pidAlive(existing.pid)) throw new CliError(`--topology: network "${topology.network}" is already running (pid ${existing.pid}); \`hetqn down --net ${topology.network}\` first`, 'refused');
  if (o.detach) return detach(how.command, topology.network, timeoutMs, o);
  const inspectPort = o.inspect ? parseNumber('inspect-port', o.inspectPort, { min: 0, max: 65535, integer: true })! : undefined;

  const cluster = current = await launch(o, topology, how.startNodes, timeoutMs);
  // The inspector page reads on the inspector identity (inspection events, heartbeats, notices).
  const inspector = inspectPort === undefined ? undefined
    : await startInspector({ host: await cluster.connect(INSPECTOR, `inspector-${process.pid}`), net: cluster.net, port: inspectPort, redisUrl: cluster.redisUrl, log: progress })
      .catch(async (e) => { await cluster.stop(); throw new CliError(`--inspect-port: cannot serve the inspector on ${inspectPort}: ${(e as Error).message}`); });
  const view = await cluster.status();
  // The CLI's bundles; the server's for `hetqn pools` (its Redis user reads statistics only).
  saveState(cluster, topology, { [CLIENT]: cluster.bundleFile(CLIENT), [INSPECTOR]: cluster.bundleFile(INSPECTOR), [SERVER]: cluster.bundleFile(SERVER) });
  printResult(o, { ...view, natsUrl: cluster.natsUrl, natsServers: cluster.natsServers, redisUrl: redisAddress(cluster.redisUrl), issuer: cluster.issuerFile, pid: process.pid, ...(inspector ? { inspectorUrl: inspector.url } : {}) },
    () => `${renderNetwork(view)}\nissuer (admin secrets, keep on this host): ${cluster.issuerFile}\nbundle for a node on another host: hetqn creds issue --node NAME --out FILE`);
  progress(`network ${cluster.net} is up (NATS ${cluster.natsServers.join(', ')}); Ctrl-C to stop`);
  if (inspector) progress(`[inspector] ${inspector.url}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      progress(`${sig}: stopping network ${cluster.net}...`);
      await inspector?.stop();
      await cluster.stop();
      removeState(cluster.net);
      progress('stopped');
      resolve();
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
  process.exit(0);
}

function saveState(cluster: Cluster, topology: Topology, bundles: Record<string, string>): void {
  writeState({
    net: cluster.net, pid: process.pid, natsUrl: cluster.natsUrl, natsServers: cluster.natsServers, redisUrl: redisAddress(cluster.redisUrl), privateServers: cluster.privateServers,
    topology: topology.file!, processes: cluster.children.map((c) => ({ name: c.name, pid: c.pid })), startedAt: new Date().toISOString(), ready: true,
    issuer: cluster.issuerFile, bundles, natsPid: cluster.servers.nats?.pid(),
    natsPids: cluster.servers.natsCluster?.servers.map((s) => s.pid()!).filter(Boolean),
  });
}

/** Start `hetqn up` (or `server`) in the background and relay its log to stderr until the network is up. */
async function detach(command: 'up' | 'server', net: string, timeoutMs: number, o: NetworkOptions): Promise<void> {
  fs.mkdirSync(stateDir(), { recursive: true });
  const logFile = path.join(stateDir(), `${net}.log`);
  const fd = fs.openSync(logFile, 'w');
  const args = [command, '--topology', path.resolve(o.topology), '--timeout', String(timeoutMs / 1000), '--json', '--listen', o.listen ?? '127.0.0.1'];
  for (const u of o.nats ?? []) args.push('--nats', u);
  if (o.redis) args.push('--redis', o.redis);
  args.push('--redis-mode', o.redisMode, '--nats-mode', o.natsMode);
  if (o.insecure) args.push('--insecure');
  if (o.tls) args.push('--tls');
  if (o.ca) args.push('--ca', path.resolve(o.ca));
  if (o.inspect) args.push('--inspect', '--inspect-port', String(o.inspectPort));
  if (o.restart === false) args.push('--no-restart');
  if (o.nodesPerProcess) args.push('--nodes-per-process', o.nodesPerProcess);
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(PROJECT_ROOT, 'runtime/cli/main.ts'), ...args],
    { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
  fs.closeSync(fd);
  child.unref();
  const deadline = Date.now() + timeoutMs + 5000;
  let relayed = 0;
  const relay = () => {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    for (const l of lines.slice(relayed, -1)) if (l.startsWith('[')) progress(l);
    relayed = Math.max(relayed, lines.length - 1);
  };
  for (;;) {
    relay();
    const s = readState(net);
    if (s?.ready && s.pid === child.pid) break;
    if (child.exitCode !== null || !pidAlive(child.pid!)) throw new CliError(`network ${net} did not start; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`, 'failed');
    if (Date.now() > deadline) throw new CliError(`--timeout: network ${net} did not come up within ${timeoutMs / 1000} s; see ${logFile}`, 'timeout');
    await new Promise((r) => setTimeout(r, 200));
  }
  const line = fs.readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{'));
  const view = line ? JSON.parse(line) : { network: net };
  printResult(o, { ...view, detached: true, log: logFile }, () => `${view.nodes ? renderNetwork(view) + '\n' : ''}network ${net} runs in the background (pid ${child.pid}, log ${logFile}); stop it with: hetqn down`);
  process.exit(0);
}
