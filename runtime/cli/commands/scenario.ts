// `hetqn scenario run`: fire many QKD requests at a topology's control plane and report
// throughput, queueing delay, refusals by reason and relay utilisation. It runs the server's
// task manager and orchestration core in this process in emulated time (sessions last what
// their plans predict), with no NATS, Redis or node processes: a 1 000-node network fits.
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { loadTopology, TopologyError } from '../../../infra/topology.ts';
import { networkViewFromTopology, type CalibrationFile, type TopologyLike } from '../../../actors/server/orchestration-view.ts';
import { runScenario, type ScenarioReport } from '../../../actors/server/scenario.ts';

interface Opts { topology: string; requests: string; rate: string; seed: string; bits?: string; seconds?: string; calibrationS: string; maxSessionS: string; json?: boolean }

export function register(program: Command): void {
  const s = program.command('scenario').description('load scenarios against the control plane');
  s.command('run')
    .description('emulated-time run of the task manager and orchestration core under many requests')
    .requiredOption('--topology <file>', 'topology file (e.g. from hetqn topology generate)')
    .requiredOption('--requests <n>', 'requests to fire')
    .requiredOption('--rate <r>', 'mean arrival rate, requests per emulated second (Poisson)')
    .option('--seed <x>', 'seed of arrivals and pairs', '1')
    .option('--bits <k>', 'secret bits each request asks for (default 100000)')
    .option('--seconds <t>', 'fixed acquisition time per request instead of --bits')
    .option('--calibration-s <s>', 'calibration time before each session, s', '1')
    .option('--max-session-s <s>', 'cancel a session predicted to last longer, s', '1000')
    .option('--json', 'print one JSON object')
    .action((o: Opts) => {
      const requests = parseNumber('requests', o.requests, { min: 1, max: 1e7, integer: true })!;
      const rate = parseNumber('rate', o.rate, { min: 1e-9 })!;
      const seed = parseNumber('seed', o.seed, { integer: true })!;
      const bits = parseNumber('bits', o.bits, { min: 1, max: 1e12, integer: true });
      const seconds = parseNumber('seconds', o.seconds, { min: 1e-6, max: 1e6 });
      if (bits !== undefined && seconds !== undefined) throw new CliError('--bits: give --bits or --seconds, not both');
      const calibrationS = parseNumber('calibration-s', o.calibrationS, { min: 0 })!;
      const maxSessionS = parseNumber('max-session-s', o.maxSessionS, { min: 0 })!;
      let topo;
      try { topo = loadTopology(o.topology); } catch (e) { throw new CliError(e instanceof TopologyError ? e.message : `--topology: ${(e as Error).message}`); }
      const view = networkViewFromTopology(topo as unknown as TopologyLike, undefined, topo.calibrationData as CalibrationFile | undefined);
      progress(`scenario: ${requests} requests at ${rate}/s on ${topo.network} (${view.nodes.length} nodes)`);
      let report: ScenarioReport;
      try { report = runScenario(view, { requests, rate, seed, calibrationS, maxSessionS, ...(bits !== undefined ? { bits } : {}), ...(seconds !== undefined ? { seconds } : {}) }); } catch (e) { throw new CliError((e as Error).message); }
      printResult(o, { network: topo.network, ...report }, () => human(topo.network, report));
    });
}

function human(network: string, r: ScenarioReport): string {
  const refusals = Object.entries(r.refusals).map(([k, v]) => `  ${v} x ${k}`).join('\n') || '  none';
  return [
    `${network}: ${r.requests} requests at ${r.offeredRate}/s over ${r.users} users (${r.nodes} nodes); ${r.makespanS} s emulated`,
    `planned ${r.planned} (${r.throughput.plannedPerS}/s), completed ${r.completed} (${r.throughput.completedPerS}/s), refused ${r.refused}, cancelled as too long ${r.tooLong}, still queued ${r.pending}`,
    `queueing delay: p50 ${r.queueDelayS.p50} s, p95 ${r.queueDelayS.p95} s, max ${r.queueDelayS.max} s`,
    `protocols: ${Object.entries(r.protocols).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `relays: ${r.relays.used} of ${r.relays.count} used, mean utilisation ${r.relays.meanUtilisation}, max ${r.relays.maxUtilisation}`,
    `planning: ${r.planning.attempts} attempts, ${r.planning.msPerAttempt} ms each (wall)`,
    'refusals:',
    refusals,
  ].join('\n');
}
