// Which running network a command talks to: --net/--nats, else the topology's network, else the
// only live `hetqn up` state file, else NATS_URL / the default port.
import { loadTopology, type Topology } from '../../infra/topology.ts';
import { CliError } from './output.ts';
import { liveStates, readState } from '../state-file.ts';
import { ActorHost } from '../host.ts';
import { NatsBus } from '../nats-bus.ts';

export interface TargetOptions { net?: string; nats?: string; topology?: string }

export function loadTopologyOption(file: string): Topology {
  try { return loadTopology(file); } catch (e) { throw new CliError(`--topology: ${(e as Error).message}`); }
}

export function resolveTarget(o: TargetOptions): { net: string; natsUrl: string; topology?: Topology } {
  const topology = o.topology ? loadTopologyOption(o.topology) : undefined;
  let net = o.net ?? topology?.network;
  if (!net) {
    const live = liveStates();
    if (live.length === 1) net = live[0]!.net;
    else if (live.length > 1) throw new CliError(`--net: several networks are running (${live.map((s) => s.net).join(', ')}); pick one`);
    else net = 'reference';
  }
  const natsUrl = o.nats ?? readState(net)?.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  return { net, natsUrl, topology };
}

export async function clientHost(net: string, natsUrl: string): Promise<ActorHost> {
  let bus: NatsBus;
  try { bus = await NatsBus.connect(natsUrl, `hetqn-cli-${process.pid}`); } catch (e) {
    throw new CliError(`cannot reach NATS at ${natsUrl} (is \`hetqn up\` running? set --nats or NATS_URL): ${(e as Error).message}`);
  }
  return new ActorHost({ bus, net, processId: `cli-${process.pid}` });
}
