// `hetqn up --topology <file> [--detach] [--inspect] [--timeout s] [--json]`: start the server and node processes
// of a topology, wait for every node to register, print the network, run until Ctrl-C/SIGTERM.
// With --detach the network runs in a background process whose log lines are relayed to stderr
// until it is up.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { referenceTopologyPath } from '../../../infra/topology.ts';
import { launchCluster, PROJECT_ROOT } from '../../launcher.ts';
import { pidAlive, readState, removeState, stateDir, writeState } from '../../state-file.ts';
import { CliError, parseNumber, printResult, progress, stageLogger, timeoutOption } from '../output.ts';
import { startInspector } from '../../inspector/inspector.ts';
import { renderNetwork } from '../network-table.ts';
import { redisAddress } from '../../../infra/keypool/connect.ts';
import { REDIS_MODES } from '../../servers-resolve.ts';
import { withExample } from '../help.ts';
import { loadTopologyOption } from '../target.ts';

export function register(program: Command): void {
  withExample(program.command('up')
    .description('start a network from a topology file (server + one process per node) and keep it running')
    .option('--topology <file>', 'topology file (JSON or YAML)', referenceTopologyPath())
    .option('-d, --detach', 'run in the background (stop it with `hetqn down`)')
    .option('--inspect', 'also serve the inspector page (`hetqn inspect --web`) on 127.0.0.1')
    .option('--inspect-port <port>', 'port for --inspect (0: any free port)', '8080')
    .option('--timeout <s>', 'seconds to wait for every node to register', '90')
    .option('--redis-mode <mode>', `the private Redis started when REDIS_URL is not set: ${REDIS_MODES.join(', ')} (3 masters + 3 replicas; or 1 master, 2 replicas, 3 sentinels)`, 'single')
    .option('--json', 'print one JSON object once the network is up'),
  ['hetqn up -d                                   # the reference network (infra/topologies/reference.json)', 'hetqn up --topology my-net.yaml               # in the foreground; Ctrl-C stops it'])
    .action(async (o) => {
      const timeoutMs = timeoutOption(o.timeout);
      if (!REDIS_MODES.includes(o.redisMode)) throw new CliError(`--redis-mode: "${o.redisMode}" must be one of ${REDIS_MODES.join(', ')}`);
      if (o.redisMode !== 'single' && process.env.REDIS_URL && process.env.HETQN_PRIVATE_SERVERS !== '1') {
        throw new CliError(`--redis-mode: REDIS_URL is set, so no private Redis is started; give a redis-sentinel:// or redis-cluster:// REDIS_URL instead, or unset it`);
      }
      process.env.HETQN_REDIS_MODE = o.redisMode;
      const topology = loadTopologyOption(o.topology);
      const existing = readState(topology.network);
      if (existing && pidAlive(existing.pid)) throw new CliError(`--topology: network "${topology.network}" is already running (pid ${existing.pid}); \`hetqn down --net ${topology.network}\` first`, 'refused');
      if (o.detach) return detach(o.topology, topology.network, timeoutMs, o, [...(o.inspect ? ['--inspect', '--inspect-port', String(o.inspectPort)] : []), '--redis-mode', o.redisMode]);

      const inspectPort = o.inspect ? parseNumber('inspect-port', o.inspectPort, { min: 0, max: 65535, integer: true })! : undefined;

      const stage = stageLogger();
      stage(`starting network ${topology.network}: server + ${topology.nodes.filter((n) => !n.attachLater).length} node processes; waiting up to ${timeoutMs / 1000} s for them to register`);
      let cluster;
      try {
        cluster = await launchCluster({ topology, startTimeoutMs: timeoutMs, log: stage });
      } catch (e) {
        throw new CliError(`network ${topology.network} did not start: ${(e as Error).message}`, /within \d+ ms/.test((e as Error).message) ? 'timeout' : 'failed');
      }
      const launched = cluster;
      const inspector = inspectPort === undefined ? undefined
        : await startInspector({ host: launched.client, net: launched.net, port: inspectPort, redisUrl: launched.redisUrl, log: progress })
          .catch(async (e) => { await launched.stop(); throw new CliError(`--inspect-port: cannot serve the inspector on ${inspectPort}: ${(e as Error).message}`); });
      const view = await cluster.status();
      const started = cluster;
      const save = (ready: boolean) => writeState({
        net: started.net, pid: process.pid, natsUrl: started.natsUrl, redisUrl: started.redisUrl, privateServers: started.privateServers,
        topology: topology.file!, processes: started.children.map((c) => ({ name: c.name, pid: c.pid })), startedAt: new Date().toISOString(), ready,
        secrets: {
          pskSecret: started.pskSecret,
          redisUsers: started.poolUsers && Object.fromEntries(Object.entries(started.poolUsers.nodes).map(([n, c]) => [n, { username: c.username, password: c.password }])),
          ...(process.env.HETQN_REDIS_SENTINEL_USER
            ? { redisSentinel: { username: process.env.HETQN_REDIS_SENTINEL_USER, password: process.env.HETQN_REDIS_SENTINEL_PASSWORD ?? '' } } : {}),
        },
      });
      save(true);
      printResult(o, { ...view, natsUrl: cluster.natsUrl, redisUrl: redisAddress(cluster.redisUrl), pid: process.pid, ...(inspector ? { inspectorUrl: inspector.url } : {}) }, () => renderNetwork(view));
      progress(`network ${cluster.net} is up (NATS ${cluster.natsUrl}); Ctrl-C to stop`);
      if (inspector) progress(`[inspector] ${inspector.url}`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = async (sig: string) => {
          if (stopping) return;
          stopping = true;
          progress(`${sig}: stopping network ${started.net}...`);
          await inspector?.stop();
          await started.stop();
          removeState(started.net);
          progress('stopped');
          resolve();
        };
        process.on('SIGINT', () => void stop('SIGINT'));
        process.on('SIGTERM', () => void stop('SIGTERM'));
      });
      process.exit(0);
    });
}

/** Start `hetqn up` in the background and relay its log to stderr until the network is up. */
async function detach(topologyFile: string, net: string, timeoutMs: number, o: { json?: boolean }, extra: string[]): Promise<void> {
  fs.mkdirSync(stateDir(), { recursive: true });
  const logFile = path.join(stateDir(), `${net}.log`);
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(PROJECT_ROOT, 'runtime/cli/main.ts'), 'up', '--topology', path.resolve(topologyFile), '--timeout', String(timeoutMs / 1000), '--json', ...extra],
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
    if (child.exitCode !== null || !pidAlive(child.pid!)) throw new CliError(`network ${net} did not start; see ${logFile}`, 'failed');
    if (Date.now() > deadline) throw new CliError(`--timeout: network ${net} did not come up within ${timeoutMs / 1000} s; see ${logFile}`, 'timeout');
    await new Promise((r) => setTimeout(r, 200));
  }
  const line = fs.readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{'));
  const view = line ? JSON.parse(line) : { network: net };
  printResult(o, { ...view, detached: true, log: logFile }, () => `${view.nodes ? renderNetwork(view) + '\n' : ''}network ${net} runs in the background (pid ${child.pid}, log ${logFile}); stop it with: hetqn down`);
  process.exit(0);
}
