// `hetqn status [--json]`: the hypervisor's view of the network (nodes, states, links, heartbeats).
import type { Command } from 'commander';
import type { HypervisorView } from '../../../actors/server/registry.messages.ts';
import '../../../actors/server/registry.messages.ts';
import { CliError, printResult } from '../output.ts';
import { renderNetwork } from '../network-table.ts';
import { clientHost, resolveTarget } from '../target.ts';

export function register(program: Command): void {
  program.command('status')
    .description("print the hypervisor's view of a running network: nodes, their machines' states, links, heartbeats")
    .option('--net <name>', 'network name (default: the running one)')
    .option('--nats <url>', 'NATS url (default: from .hetqn/<net>.json, NATS_URL, or nats://127.0.0.1:4222)')
    .option('--topology <file>', 'take the network name from this topology')
    .option('--timeout <ms>', 'reply timeout', '3000')
    .option('--json', 'print one JSON object')
    .action(async (o) => {
      const { net, natsUrl } = resolveTarget(o);
      const host = await clientHost(net, natsUrl);
      try {
        const view = await host.request<HypervisorView>('actor.hypervisor', 'hypervisor.status', {}, { timeoutMs: Number(o.timeout) });
        printResult(o, view.body, () => renderNetwork(view.body));
      } catch (e) {
        throw new CliError(`no hypervisor answered for network "${net}" at ${natsUrl}: ${(e as Error).message}`);
      } finally {
        await host.stop();
      }
    });
}
