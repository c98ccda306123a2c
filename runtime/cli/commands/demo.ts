// `hetqn demo paper [--scale s] [--json [FILE]] [--out DIR]`: the reference network end to end
// (what `npm start` runs). Brings the reference topology up (private NATS/Redis if none answer),
// then runs `paperSteps` in order: the network view, the ten QKD pairs, the joint-BSM run, both QDS
// runs, both QBA trades and the conference key (runtime/demo/paper.ts), with progress bars on
// stderr, and ends with a report (runtime/demo/report.ts). Each step gets the running cluster and
// returns a JSON-able result that lands in the final report. A step that cannot run is reported as
// "not available: <reason>"; the exit code is 4 (failed run) only when a step really failed.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openNodeStore } from '../../pool-users.ts';
import { loadTopology, referenceTopologyPath, type Topology } from '../../../infra/topology.ts';
import { launchCluster, type Cluster } from '../../launcher.ts';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { withExample } from '../help.ts';
import { renderNetwork } from '../network-table.ts';
import { jointBsmStep, qkdPairsStep, type PaperContext } from '../../demo/paper.ts';
import { conferenceStep, qbaBeyondStep, qbaStep, qdsStep } from '../../demo/task-steps.ts';
import { DemoProgress } from '../../demo/progress.ts';
import { renderReport } from '../../demo/report.ts';
import { writePlots } from '../../demo/plots.ts';
import { keyRateCurves } from '../../../protocols/keyrate/curves.ts';
import { QDS_RUNS } from '../../demo/published.ts';

export interface DemoContext extends PaperContext {
  cluster: Cluster;
  topology: Topology;
  /** Human lines for the final report (stdout without --json). */
  say(line: string): void;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<unknown>;
  /** Given the step's result, what went really wrong (not "not available"). */
  failures?(result: any): string[];
}

export const paperSteps: DemoStep[] = [
  {
    name: 'network',
    async run(ctx) {
      const view = await ctx.cluster.status();
      ctx.say(renderNetwork(view));
      return view;
    },
  },
  { name: 'qkd', run: qkdPairsStep },
  { name: 'jointBsm', run: jointBsmStep },
  {
    name: 'qds', run: qdsStep,
    failures: (r: any[]) => r.filter((q) => q.available !== false && (q.error || !q.forwarderAccept || !q.verifierAccept || !q.agree)).map((q) => `${q.name}: ${q.error ?? 'signature not accepted'}`),
  },
  {
    name: 'qba', run: qbaStep,
    failures: (r: any[]) => r.filter((q) => q.available !== false && (q.error || !q.agreement || q.validity === false || q.verdictDisagreements > 0)).map((q) => `${q.name}: ${q.error ?? 'agreement/validity violated'}`),
  },
  { name: 'conference', run: conferenceStep, failures: (r: any) => (r?.available !== false && (r?.error || !r?.allRecovered) ? [`conference: ${r?.error ?? 'key not recovered by every participant'}`] : []) },
  {
    name: 'qbaBeyond', run: qbaBeyondStep,
    failures: (r: any) => (r?.error || r?.agreement === false || r?.validity === false ? [`${r?.name ?? 'QBA beyond the paper'}: ${r?.error ?? 'agreement/validity violated'}`] : []),
  },
];

export interface DemoOptions { scale?: number; bars?: boolean }

export async function runDemo(steps: DemoStep[], topologyFile: string, opts: DemoOptions = {}): Promise<{ results: Record<string, any>; lines: string[]; failures: string[]; wallMs: number }> {
  const t0 = Date.now();
  const topology = loadTopology(topologyFile);
  progress(`demo: bringing up network ${topology.network}...`);
  const cluster = await launchCluster({ topology, forwardChildLogs: !!process.env.HETQN_DEBUG });
  const lines: string[] = [];
  const results: Record<string, any> = {};
  const failures: string[] = [];
  const bars = new DemoProgress(opts.bars ?? true);
  const stores = new Map(topology.nodes.map((n) => [n.name, openNodeStore(cluster, n.name)]));
  try {
    for (const step of steps) {
      bars.log(`demo: ${step.name}`);
      try {
        results[step.name] = await step.run({ cluster, topology, say: (l) => lines.push(l), scale: opts.scale ?? 1, bars, stores, results });
        failures.push(...(step.failures?.(results[step.name]) ?? []));
      } catch (e) {
        results[step.name] = { error: (e as Error).message };
        failures.push(`${step.name}: ${(e as Error).message}`);
      }
    }
  } finally {
    bars.stop();
    progress('demo: shutting down');
    for (const s of stores.values()) await s.close().catch(() => undefined);
    await cluster.stop();
  }
  return { results, lines, failures, wallMs: Date.now() - t0 };
}

/** The figures of a demo report (its QKD rows and joint-BSM run) with the key-rate engine's curves. */
function figures(dir: string, report: Record<string, any>): void {
  progress('demo: model curves (key-rate engine)...');
  const j = report.jointBsm, cfg = j?.derivation?.config;
  const joint = cfg ? { L: cfg.lengthAKm + cfg.lengthBKm, lSec: j.lSec, seconds: (j.pulses ?? 0) / 1e9, sd: j.spread?.lSec?.sd } : undefined;
  const files = writePlots(dir, { rows: report.qkd.rows, scale: report.scale ?? 1, secretBits: 2 * QDS_RUNS[1]!.bits, imperfectBits: 2 * QDS_RUNS[0]!.bits, curves: keyRateCurves(), joint });
  progress(`demo: figures written: ${files.join(', ')}`);
}

export function register(program: Command): void {
  withExample(program.command('demo')
    .description('run a scripted demonstration; `paper` runs the reference network of the paper end to end')
    .argument('<name>', 'demo name: paper')
    .option('--topology <file>', 'topology file', referenceTopologyPath())
    .option('--scale <s>', 'scale every acquisition time (1 = full size)', '1')
    .option('--json [file]', 'write the whole report as JSON to FILE (without FILE: print one JSON object on stdout)')
    .option('--out <dir>', 'also write the figures as SVG and PNG (Fig. 3 key length per pair, Fig. 4 signature rate vs fibre length, key rate vs distance for every protocol)')
    .option('--no-bars', 'no progress bars')
    .option('--from <report>', 'render the report and (with --out) the figures from a saved --json report instead of running the network'),
  ['hetqn demo paper --scale 0.01               # a quick look', 'hetqn demo paper --json report.json --out plots   # full size, figures as SVG and PNG'])
    .action(async (name: string, o) => {
      if (name !== 'paper') throw new CliError(`<name>: unknown demo "${name}" (available: paper)`);
      if (o.from) {
        let saved: Record<string, any>;
        try { saved = JSON.parse(fs.readFileSync(o.from, 'utf8')); } catch (e) { throw new CliError(`--from: cannot read ${o.from}: ${(e as Error).message}`); }
        if (!saved.qkd?.rows) throw new CliError(`--from: ${o.from} is not a demo report (no qkd.rows)`);
        if (o.out) figures(o.out, saved);
        printResult({ json: o.json === true }, saved, () => renderReport(saved));
        return;
      }
      const scale = parseNumber('scale', o.scale, { min: 1e-6, max: 10 })!;
      const { results, lines, failures, wallMs } = await runDemo(paperSteps, o.topology, { scale, bars: o.bars });
      const report = { demo: name, scale, wallMs, failures, network: results.network, qkd: results.qkd, jointBsm: results.jointBsm, qds: results.qds, qba: results.qba, conference: results.conference, qbaBeyond: results.qbaBeyond };
      if (o.out && results.qkd?.rows) figures(o.out, report);
      const human = () => [...lines, '', renderReport(report)].join('\n');
      if (typeof o.json === 'string') {
        fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
        fs.writeFileSync(o.json, JSON.stringify(report, null, 2));
        process.stdout.write(human() + '\n');
        progress(`demo: report written to ${o.json}`);
      } else {
        printResult({ json: o.json === true }, report, human);
      }
      process.exit(failures.length ? 4 : 0);
    });
}
