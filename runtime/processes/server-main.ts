// Entry point of the server process (spawned by the launcher / `hetqn server`):
//   node --import tsx runtime/processes/server-main.ts --bundle FILE --topology FILE [--heartbeat-ms N] [--down-after-ms N]
// The bundle (infra/bundle.ts) holds the server's own bus identity and Redis user only: no issuer
// secrets, no node's keys; the topology gives the nodes' admission credentials.
import { loadTopology } from '../../infra/topology.ts';
import { readBundle, redisAccessOf } from '../../infra/bundle.ts';
import { ActorHost } from '../host.ts';
import { NatsBus } from '../nats-bus.ts';
import { SERVER } from '../subjects.ts';
import { need, onShutdown, parseArgs } from './args.ts';
import { SERVER_PROCESS_ID, startServerActors } from './server.ts';

try {
  const args = parseArgs(process.argv.slice(2));
  const topology = loadTopology(need(args, 'topology'));
  const bundle = readBundle(need(args, 'bundle'));
  if (bundle.role !== 'server') throw new Error(`--bundle: ${bundle.identity}'s bundle is not the server's`);
  if (bundle.network !== topology.network) throw new Error(`--bundle: network ${bundle.network}, but the topology is network ${topology.network}`);
  const bus = await NatsBus.connect({ servers: bundle.nats.servers, name: `hetqn-${topology.network}-server`, net: topology.network, identity: SERVER, seed: bundle.nats.seed, ca: bundle.ca });
  const host = new ActorHost({ bus, net: topology.network, processId: SERVER_PROCESS_ID });
  startServerActors(host, topology, {
    heartbeatMs: args['heartbeat-ms'] ? Number(args['heartbeat-ms']) : undefined,
    downAfterMs: args['down-after-ms'] ? Number(args['down-after-ms']) : undefined,
    redis: redisAccessOf(bundle),
  });
  await bus.flush();
  process.stderr.write(`server: platform and hypervisor up for network ${topology.network}\n`);
  onShutdown(async () => { await host.stop(); });
} catch (err) {
  process.stderr.write(`server: ${(err as Error).message}\n`);
  process.exit(1);
}
