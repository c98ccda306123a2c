// `hetqn up --topology <file> [--detach] [--json]`: start the server and node processes of a
// topology, wait for every node to register, print the network, run until Ctrl-C/SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { referenceTopologyPath } from '../../../infra/topology.ts';
import { launchCluster, PROJECT_ROOT } from '../../launcher.ts';
import { pidAlive, readState, removeState, stateDir, writeState } from '../../state-file.ts';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { startInspector } from '../../inspector/inspector.ts';
import { renderNetwork } from '../network-table.ts';
import { redisAddress } from '../../../infra/keypool/connect.ts';
import { loadTopologyOption } from '../target.ts';

export function register(program: Command): void {
  program.command('up')
    .description('start a network from a topology file (server + one process per node) and keep it running')
    .option('--topology <file>', 'topology file (JSON or YAML)', referenceTopologyPath())
    .option('-d, --detach', 'run in the background (stop it with `hetqn down`)')
    .option('--inspect', 'also serve the inspector page (`hetqn inspect --web`) on 127.0.0.1')
    .option('--inspect-port <port>', 'port for --inspect (0: any free port)', '8080')
    .option('--json', 'print one JSON object once the network is up')
    .action(async (o) => {
      const topology = loadTopologyOption(o.topology);
      const existing = readState(topology.network);
      if (existing && pidAlive(existing.pid)) throw new CliError(`--topology: network "${topology.network}" is already running (pid ${existing.pid}); \`hetqn down --net ${topology.network}\` first`);
      if (o.detach) return detach(o.topology, topology.network, o, o.inspect ? ['--inspect', '--inspect-port', String(o.inspectPort)] : []);

      const inspectPort = o.inspect ? parseNumber('inspect-port', o.inspectPort, { min: 0, max: 65535, integer: true })! : undefined;
      const cluster = await launchCluster({ topology });
      const inspector = inspectPort === undefined ? undefined
        : await startInspector({ host: cluster.client, net: cluster.net, port: inspectPort, redisUrl: cluster.redisUrl, log: progress })
          .catch(async (e) => { await cluster.stop(); throw new CliError(`--inspect-port: cannot serve the inspector on ${inspectPort}: ${(e as Error).message}`); });
      const view = await cluster.status();
      const save = (ready: boolean) => writeState({
        net: cluster.net, pid: process.pid, natsUrl: cluster.natsUrl, redisUrl: cluster.redisUrl, privateServers: cluster.privateServers,
        topology: topology.file!, processes: cluster.children.map((c) => ({ name: c.name, pid: c.pid })), startedAt: new Date().toISOString(), ready,
        secrets: {
          pskSecret: cluster.pskSecret,
          redisUsers: cluster.poolUsers && Object.fromEntries(Object.entries(cluster.poolUsers.nodes).map(([n, c]) => [n, { username: c.username, password: c.password }])),
        },
      });
      save(true);
      printResult(o, { ...view, natsUrl: cluster.natsUrl, redisUrl: redisAddress(cluster.redisUrl), pid: process.pid, ...(inspector ? { inspectorUrl: inspector.url } : {}) }, () => renderNetwork(view));
      progress(`network ${cluster.net} is up (NATS ${cluster.natsUrl}); Ctrl-C to stop`);
      if (inspector) progress(`inspector: ${inspector.url}`);
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
    });
}

async function detach(topologyFile: string, net: string, o: { json?: boolean }, extra: string[]): Promise<void> {
  fs.mkdirSync(stateDir(), { recursive: true });
  const logFile = path.join(stateDir(), `${net}.log`);
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(PROJECT_ROOT, 'runtime/cli/main.ts'), 'up', '--topology', path.resolve(topologyFile), '--json', ...extra],
    { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
  fs.closeSync(fd);
  child.unref();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const s = readState(net);
    if (s?.ready && s.pid === child.pid) break;
    if (child.exitCode !== null || !pidAlive(child.pid!)) throw new CliError(`hetqn up failed; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`);
    if (Date.now() > deadline) throw new CliError(`network ${net} did not come up within 90 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const line = fs.readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{'));
  const view = line ? JSON.parse(line) : { network: net };
  printResult(o, { ...view, detached: true, log: logFile }, () => `${view.nodes ? renderNetwork(view) + '\n' : ''}network ${net} runs in the background (pid ${child.pid}, log ${logFile}); stop it with: hetqn down --net ${net}`);
  process.exit(0);
}
