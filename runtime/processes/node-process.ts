// One node process: a host with the node's root machine. Used by node-main.ts (spawned by the
// launcher) and by `hetqn node` (runs in the CLI's own process).
import { waitFor, type AnyActorRef } from 'xstate';
import { nodeMachine } from '../../actors/node/node.ts';
import type { Dof, NodeType } from '../../protocols/types.ts';
import { ActorHost } from '../host.ts';
import { NatsBus } from '../nats-bus.ts';
import type { Bus } from '../bus.ts';
import { nodeProcessId, nodeServices, nodeSystemId } from './node-services.ts';
import { startTaskWiring } from './task-wiring-node.ts';
import { startSessionNode } from './session-wiring-node.ts';
import { watchNetwork } from './network-watch.ts';
import { startNodeKme } from './node-kme.ts';
import type { KmeConfig } from '../../infra/kme/config.ts';

export interface NodeProcessOptions {
  net: string;
  name: string;
  type: NodeType;
  dof: Dof;
  linkKm: number;
  credential: string;
  /** Either a NATS url or a ready bus. */
  nats?: string;
  bus?: Bus;
  maxAttempts?: number;
  processId?: string;
  /** The node's ETSI GS QKD 014 KME (default: 127.0.0.1, a free port, a generated token). */
  kme?: KmeConfig;
  /** Called once when the network is gone (network-watch.ts); without it the node never gives up. */
  onNetworkGone?: (reason: string) => void;
}

export interface NodeProcess {
  host: ActorHost;
  actor: AnyActorRef;
  /** Resolves when registered; rejects with the refusal or when the platform never answers. */
  registered: Promise<{ network: string }>;
  /** Where the node's KME listens (none without key pools). */
  kmeUrl?: string;
  /** Say goodbye to the hypervisor and stop. */
  stop(): Promise<void>;
}

export async function startNodeProcess(o: NodeProcessOptions): Promise<NodeProcess> {
  const processId = o.processId ?? nodeProcessId(o.name);
  const bus = o.bus ?? await NatsBus.connect(o.nats!, `hetqn-${o.net}-${processId}`);
  const host = new ActorHost({ bus, net: o.net, processId });
  const systemId = nodeSystemId(o.name);
  const tasks = startTaskWiring(host, o.name);
  const kme = await startNodeKme({ net: o.net, node: o.name, store: tasks?.store, config: o.kme }).catch(async (e) => { await host.stop({ closeBus: !o.bus }); throw e; });
  const actor = host.spawn(nodeMachine, {
    systemId,
    input: { name: o.name, type: o.type, dof: o.dof, linkKm: o.linkKm, maxAttempts: o.maxAttempts ?? 0 },
    provide: nodeServices(o.credential, () => ({ kmeUrl: kme?.url })),
  });
  const sessions = startSessionNode(host, { name: o.name, type: o.type, dof: o.dof });
  const registered = waitFor(actor, (s) => s.value !== 'registering' && s.value !== 'waiting', { timeout: Infinity }).then((s) => {
    if (s.value === 'registered') return { network: s.context.network as string };
    const e = s.context.error as { field: string; reason: string } | undefined;
    const err = new Error(e ? `${o.name} refused by the platform: ${e.reason}` : `${o.name}: no platform answered on network ${o.net}`);
    (err as Error & { field?: string }).field = e?.field;
    throw err;
  });
  registered.catch(() => undefined);
  const watch = o.onNetworkGone ? watchNetwork(host, o.onNetworkGone) : undefined;
  return {
    host, actor, registered, kmeUrl: kme?.url,
    async stop() {
      watch?.stop();
      await kme?.close();
      if (actor.getSnapshot().value === 'registered') {
        try { host.publish(`status.${o.name}`, 'node.bye', { node: o.name, reason: 'shutdown' }); await bus.flush(); } catch { /* best effort */ }
      }
      await sessions.stop();
      await host.stop({ closeBus: !o.bus });
    },
  };
}

/** Stop a node, giving up after `ms` (draining a NATS connection to a vanished server can hang). */
export function stopWithin(node: NodeProcess, ms: number): Promise<void> {
  return Promise.race([node.stop().catch(() => undefined), new Promise<void>((r) => setTimeout(r, ms).unref())]);
}
