// Which running network a command talks to, from any directory: the network is --net, else
// HETQN_NET, else the topology's, else the only one with a live state file in the per-user state
// directory (runtime/state-file.ts); its NATS is --nats, else the state file's, else NATS_URL.
// Nothing found is an error that says so, never a silent guess.
// The CLI talks on the bus with a bundle (infra/bundle.ts): HETQN_BUNDLE, else the one `hetqn up` wrote
// for the command's identity (`client`, or `inspector` for hetqn inspect); its network and NATS servers
// are the defaults.
import { loadTopology, type Topology } from '../../infra/topology.ts';
import { CliError, withDeadline, type ErrorCode } from './output.ts';
import { liveStates, pidAlive, readState, stateDir, type ClusterState } from '../state-file.ts';
import { ActorHost, RemoteError } from '../host.ts';
import { BusTimeoutError, NoRespondersError } from '../bus.ts';
import { NatsBus } from '../nats-bus.ts';
import { readBundle, type Bundle } from '../../infra/bundle.ts';
import { CLIENT } from '../subjects.ts';

export interface TargetOptions { net?: string; nats?: string; topology?: string }
export interface Target { net: string; natsUrl: string; topology?: Topology; state?: ClusterState }

export function loadTopologyOption(file: string): Topology {
  try { return loadTopology(file); } catch (e) { throw new CliError(`--topology: ${(e as Error).message}`); }
}

/** The network's name and, when `hetqn up` runs it on this host, its live state. */
export function resolveNet(o: { net?: string; topology?: Topology }): { net?: string; state?: ClusterState } {
  const named = o.net ?? (process.env.HETQN_NET || undefined) ?? o.topology?.network;
  if (named) {
    const s = readState(named);
    return { net: named, state: s && pidAlive(s.pid) ? s : undefined };
  }
  const live = liveStates();
  if (live.length > 1) throw new CliError(`--net: several networks are running (${live.map((s) => s.net).join(', ')}); pick one with --net or HETQN_NET`);
  return live.length === 1 ? { net: live[0]!.net, state: live[0] } : {};
}

export function resolveTarget(o: TargetOptions): Target {
  const topology = o.topology ? loadTopologyOption(o.topology) : undefined;
  const given = envBundle();
  const { net, state } = resolveNet({ net: o.net ?? (process.env.HETQN_NET ? undefined : given?.network), topology });
  const bundle = net ? cliBundle(net, CLIENT) : undefined;
  const natsUrl = o.nats ?? bundle?.nats.servers.join(',') ?? state?.natsServers?.join(',') ?? state?.natsUrl ?? process.env.NATS_URL;
  if (!natsUrl) {
    throw new CliError(net
      ? `--net: network "${net}" is not running on this host (no live state file in ${stateDir()}); start it with \`hetqn up -d\`, or give --nats`
      : `--net: no running network found (no live state file in ${stateDir()}); start one with \`hetqn up -d\`, or give --net/--nats`, 'unavailable');
  }
  return { net: net ?? 'reference', natsUrl, topology, state };
}

/** The bundle HETQN_BUNDLE names, if any. */
function envBundle(): Bundle | undefined {
  const file = process.env.HETQN_BUNDLE;
  if (!file) return undefined;
  try { return readBundle(file); } catch (e) { throw new CliError(`HETQN_BUNDLE: ${(e as Error).message}`); }
}

/** The bundle this command connects with: HETQN_BUNDLE, else the running network's bundle for `identity`. */
export function cliBundle(net: string, identity: string): Bundle | undefined {
  const given = envBundle();
  if (given) return given;
  const file = readState(net)?.bundles?.[identity];
  if (!file) return undefined;
  try { return readBundle(file); } catch (e) { throw new CliError(`bundle: ${(e as Error).message}`); }
}

export async function clientHost(net: string, natsUrl: string, identity: string = CLIENT): Promise<ActorHost> {
  const b = cliBundle(net, identity);
  if (b && b.network !== net) throw new CliError(`--net: ${net}, but the bundle is for network ${b.network}`);
  let bus: NatsBus;
  try {
    bus = await withDeadline(NatsBus.connect({ servers: [natsUrl], name: `hetqn-cli-${process.pid}`, net, identity: b?.identity ?? identity, seed: b?.nats.seed, ca: b?.ca }), 10_000, `connecting to NATS at ${natsUrl}`);
  } catch (e) {
    throw new CliError(`--nats: cannot reach NATS at ${natsUrl} for network "${net}" (is it running? \`hetqn up -d\`; a secured bus needs this host's bundle: HETQN_BUNDLE): ${(e as Error).message}`, 'unavailable');
  }
  return new ActorHost({ bus, net, processId: `cli-${process.pid}` });
}

const REMOTE_CODES: Record<string, ErrorCode> = { 'unknown-node': 'unknown-node', unavailable: 'unavailable', refused: 'refused', 'bad-frame': 'bad-input' };

/** A failed request as a CliError: nobody listening -> unavailable, no reply in time -> timeout,
 *  the responder's own error -> its code (default bad input) and field. */
export function requestError(e: unknown, who: string, net: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof NoRespondersError) return new CliError(`no ${who} is running in network "${net}" (is it up? \`hetqn status\`)`, 'unavailable');
  if (e instanceof BusTimeoutError) return new CliError(`--timeout: the ${who} of network "${net}" did not answer within ${e.timeoutMs / 1000} s`, 'timeout');
  if (e instanceof RemoteError) return new CliError(e.message, REMOTE_CODES[e.code ?? ''] ?? 'bad-input', { field: e.field });
  return new CliError(`${who}: ${(e as Error).message}`, 'internal');
}
