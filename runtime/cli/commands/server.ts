// `hetqn server --topology FILE [--nats URL...] [--redis URL] [--insecure] [--listen ADDR] [-d] [--json]`:
// run the server of a network alone (platform, hypervisor, control plane) with its private secured
// NATS and Redis (or the given ones). The issuer file with the admin secrets stays on this host
// (`<state dir>/<net>/issuer.json`, 0600); the server process gets only its own bundle. Nodes join
// from other hosts with `hetqn creds issue --node NAME --out FILE` here and `hetqn node --join FILE` there.
import type { Command } from 'commander';
import { networkOptions, runNetwork, type NetworkOptions } from './up.ts';

export function register(program: Command): void {
  networkOptions(program.command('server')
    .description('run the server of a network alone (nodes join from any host with their bundles)'))
    .action(async (o: NetworkOptions) => runNetwork(o, { startNodes: false, command: 'server' }));
}
