// `hetqn status [--json]`: the hypervisor's view of the network (nodes, states, links, heartbeats).
import type { Command } from 'commander';
import type { HypervisorView } from '../../../actors/server/registry.messages.ts';
import '../../../actors/server/registry.messages.ts';
import { printResult, timeoutOption } from '../output.ts';
import { renderNetwork } from '../network-table.ts';
import { withExample } from '../help.ts';
import { clientHost, requestError, resolveTarget } from '../target.ts';
import { SERVER, subject } from '../../subjects.ts';

export function register(program: Command): void {
  withExample(program.command('status')
    .description("print the hypervisor's view of a running network: nodes, their machines' states, links, heartbeats")
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url, or the servers of a cluster comma-separated (default: from the network\'s state file, else NATS_URL)')
    .option('--topology <file>', 'take the network name from this topology')
    .option('--timeout <s>', 'seconds to wait for the hypervisor', '3')
    .option('--json', 'print one JSON object'), ['hetqn status', 'hetqn status --net reference --json | jq \'.nodes[] | {name, state}\''])
    .action(async (o) => {
      const timeoutMs = timeoutOption(o.timeout);
      const { net, natsUrl } = resolveTarget(o);
      const host = await clientHost(net, natsUrl);
      try {
        const view = await host.request<HypervisorView>(subject.actor(SERVER, 'hypervisor'), 'hypervisor.status', {}, { timeoutMs });
        printResult(o, view.body, () => renderNetwork(view.body));
      } catch (e) {
        throw requestError(e, 'hypervisor', net);
      } finally {
        await host.stop();
      }
    });
}
