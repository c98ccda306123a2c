// Entry point of the server process:
//   node --import tsx runtime/processes/server-main.ts --nats URL --topology FILE [--heartbeat-ms N] [--down-after-ms N]
import { loadTopology } from '../../infra/topology.ts';
import { ActorHost } from '../host.ts';
import { NatsBus } from '../nats-bus.ts';
import { need, onShutdown, parseArgs } from './args.ts';
import { SERVER_PROCESS_ID, startServerActors } from './server.ts';

try {
  const args = parseArgs(process.argv.slice(2));
  const topology = loadTopology(need(args, 'topology'));
  const bus = await NatsBus.connect(need(args, 'nats'), `hetqn-${topology.network}-server`);
  const host = new ActorHost({ bus, net: topology.network, processId: SERVER_PROCESS_ID });
  startServerActors(host, topology, {
    heartbeatMs: args['heartbeat-ms'] ? Number(args['heartbeat-ms']) : undefined,
    downAfterMs: args['down-after-ms'] ? Number(args['down-after-ms']) : undefined,
  });
  await bus.flush();
  process.stderr.write(`server: platform and hypervisor up for network ${topology.network}\n`);
  onShutdown(async () => { await host.stop(); });
} catch (err) {
  process.stderr.write(`server: ${(err as Error).message}\n`);
  process.exit(1);
}
