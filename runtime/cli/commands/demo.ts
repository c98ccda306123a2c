// `hetqn demo paper [--json]`: the reference network end to end. Today: bring the reference
// topology up (private NATS/Redis if none answer), print the network, shut down cleanly.
// Later issues append steps to `paperSteps` (QKD pairs, QDS, QBA, joint BSM, conference); each
// step gets the running cluster and returns a JSON-able result that lands in the final report.
import type { Command } from 'commander';
import { loadTopology, referenceTopologyPath, type Topology } from '../../../infra/topology.ts';
import { launchCluster, type Cluster } from '../../launcher.ts';
import { printResult, progress } from '../output.ts';
import { renderNetwork } from '../network-table.ts';

export interface DemoContext {
  cluster: Cluster;
  topology: Topology;
  /** Human lines for the final report (stdout without --json). */
  say(line: string): void;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<unknown>;
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
  // Later steps go here, e.g. { name: 'qkd-pairs', run: async (ctx) => ... }.
];

export async function runDemo(steps: DemoStep[], topologyFile: string): Promise<{ results: Record<string, unknown>; lines: string[] }> {
  const topology = loadTopology(topologyFile);
  progress(`demo: bringing up network ${topology.network}...`);
  const cluster = await launchCluster({ topology, forwardChildLogs: !!process.env.HETQN_DEBUG });
  const lines: string[] = [];
  const results: Record<string, unknown> = {};
  try {
    for (const step of steps) {
      progress(`demo: ${step.name}`);
      results[step.name] = await step.run({ cluster, topology, say: (l) => lines.push(l) });
    }
  } finally {
    progress('demo: shutting down');
    await cluster.stop();
  }
  return { results, lines };
}

export function register(program: Command): void {
  program.command('demo')
    .description('run a scripted demonstration; `paper` runs the reference network of the paper')
    .argument('<name>', 'demo name: paper')
    .option('--topology <file>', 'topology file', referenceTopologyPath())
    .option('--json', 'print one JSON object')
    .action(async (name: string, o) => {
      if (name !== 'paper') throw new (await import('../output.ts')).CliError(`<name>: unknown demo "${name}" (available: paper)`);
      const { results, lines } = await runDemo(paperSteps, o.topology);
      printResult(o, { demo: name, steps: results }, () => lines.join('\n'));
      process.exit(0);
    });
}
