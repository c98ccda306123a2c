// Control plane under load (pure, one thread): generated LAQNs of 200 and 1 000 user nodes
// (`hetqn topology generate --kind laqn --seed 1`), each driven by the scenario driver with
// Poisson arrivals of one request per 200 users per second (emulated), each asking for 1e5
// secret bits; sessions last what their plans predict (actors/server/scenario.ts).
//   scenario.plannedPerS / completedPerS  throughput in emulated time, requests/s
//   scenario.queueDelay_s                 arrival to planned: p50, p95, max
//   scenario.refusedShare                 refused / requests
//   scenario.planMs                       CPU time of the task manager + orchestration core per
//                                         planning attempt (every plan, queue or refusal)
//   scenario.planMs_ratio                 that, over the same figure on the reference network
//                                         (infra/topologies/reference.json) in the same run
//   scenario.plansPerCpuS                 planning attempts per CPU second
import type { Emit } from './run.ts';
import { generateTopology } from '../../infra/topology-generate.ts';
import { loadTopology, parseTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { networkViewFromTopology, type TopologyLike } from '../../actors/server/orchestration-view.ts';
import { runScenario, type ScenarioReport } from '../../actors/server/scenario.ts';
import type { NetworkView } from '../../actors/server/orchestration-types.ts';

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

function run(view: NetworkView, requests: number, rate: number): ScenarioReport {
  return runScenario(view, { requests, rate, seed: 1, bits: 100_000, now: cpuMs });
}

export default async function (emit: Emit): Promise<void> {
  const reference = networkViewFromTopology(loadTopology(referenceTopologyPath()) as unknown as TopologyLike);
  const base = run(reference, 200, 0.05);
  emit({ bench: 'scenario.planMs', value: base.planning.msPerAttempt, unit: 'ms/attempt (CPU)', network: 'reference', nodes: reference.nodes.length, attempts: base.planning.attempts });
  for (const users of [200, 1000]) {
    const topo = parseTopology(structuredClone(generateTopology({ kind: 'laqn', nodes: users, seed: 1 })));
    const view = networkViewFromTopology(topo as unknown as TopologyLike);
    const rate = users / 200;
    const requests = users;
    const r = run(view, requests, rate);
    const load = { network: topo.network, nodes: view.nodes.length, users, sites: topo.sites!.length, requests, offeredPerS: rate, bits: 100_000 };
    emit({ bench: 'scenario.plannedPerS', value: r.throughput.plannedPerS, unit: 'requests/s (emulated)', ...load });
    emit({ bench: 'scenario.completedPerS', value: r.throughput.completedPerS, unit: 'requests/s (emulated)', ...load });
    for (const q of ['p50', 'p95', 'max'] as const) emit({ bench: `scenario.queueDelay_s.${q}`, value: r.queueDelayS[q], unit: 's (emulated)', ...load });
    emit({ bench: 'scenario.refusedShare', value: Number((r.refused / requests).toFixed(4)), unit: 'ratio', ...load, reasons: r.refusals });
    emit({ bench: 'scenario.planMs', value: r.planning.msPerAttempt, unit: 'ms/attempt (CPU)', ...load, attempts: r.planning.attempts });
    emit({ bench: 'scenario.planMs_ratio', value: Number((r.planning.msPerAttempt / base.planning.msPerAttempt).toFixed(2)), unit: 'ratio to the reference network', ...load });
    emit({ bench: 'scenario.plansPerCpuS', value: Math.round(r.planning.attempts / Math.max(1e-9, r.planning.seconds)), unit: 'attempts/s (CPU)', ...load });
  }
}
