// One node process: a host with the node's root machine, on the node's own bus identity (its name).
// Used by node-main.ts (spawned by the launcher, or `hetqn node --join` on any host) from the node's
// bundle alone (infra/bundle.ts), and by tests over a MemoryBus.
import { waitFor, type AnyActorRef } from 'xstate';
import { nodeMachine } from '../../actors/node/node.ts';
import type { Dof, NodeType } from '../../protocols/types.ts';
import { redisAccessOf, type Bundle } from '../../infra/bundle.ts';
import { ActorHost } from '../host.ts';
import { NatsBus } from '../nats-bus.ts';
import type { Bus } from '../bus.ts';
import { subject } from '../subjects.ts';
import { nodeProcessId, nodeServices, nodeSystemId } from './node-services.ts';
import { startTaskWiring } from './task-wiring-node.ts';
import { startSessionNode, type RedisAccess } from './session-wiring-node.ts';
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
  /** A ready bus (tests), or how to reach NATS as this node. */
  bus?: Bus;
  nats?: { servers: string[]; seed?: string; ca?: string };
  /** The node's own Redis user; without it no key pools, tasks or sessions that need them. */
  redis?: RedisAccess;
  /** peer -> this pair's pre-shared-key seed (its bundle's psk). */
  pskSeeds?: Record<string, string>;
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

/** The options of a node run from its bundle alone. */
export function nodeOptionsFromBundle(b: Bundle, over: Partial<NodeProcessOptions> = {}): NodeProcessOptions {
  if (b.role !== 'node' || !b.node) throw new Error(`bundle of ${b.identity} is a ${b.role} bundle, not a node's`);
  return {
    net: b.network, name: b.node.name, type: b.node.type, dof: b.node.dof, linkKm: b.node.linkKm, credential: b.node.credential,
    nats: { servers: b.nats.servers, seed: b.nats.seed, ca: b.ca },
    ...(b.redis ? { redis: redisAccessOf(b) } : {}),
    pskSeeds: b.psk ?? {},
    ...over,
  };
}

export async function startNodeProcess(o: NodeProcessOptions): Promise<NodeProcess> {
  const processId = o.processId ?? nodeProcessId(o.name);
  const bus = o.bus ?? await NatsBus.connect({ servers: o.nats!.servers, name: `hetqn-${o.net}-${processId}`, net: o.net, identity: o.name, seed: o.nats!.seed, ca: o.nats!.ca });
  const host = new ActorHost({ bus, net: o.net, processId, identity: o.name });
  const systemId = nodeSystemId(o.name);
  const tasks = startTaskWiring(host, o.name, o.redis);
  const kme = await startNodeKme({ net: o.net, node: o.name, store: tasks?.store, config: o.kme }).catch(async (e) => { await host.stop({ closeBus: !o.bus }); throw e; });
  const actor = host.spawn(nodeMachine, {
    systemId,
    input: { name: o.name, type: o.type, dof: o.dof, linkKm: o.linkKm, maxAttempts: o.maxAttempts ?? 0 },
    provide: nodeServices(o.credential, () => ({ kmeUrl: kme?.url })),
  });
  const sessions = startSessionNode(host, { name: o.name, type: o.type, dof: o.dof, redis: o.redis, pskSeeds: o.pskSeeds });
  const registered = waitFor(actor, (s) => s.value !== 'registering' && s.value !== 'waiting', { timeout: Infinity }).then((s) => {
    if (s.value === 'registered') return { network: s.context.network as string };
    const e = s.context.error as { field: string; reason: string } | undefined;
    const err = new Error(e ? `${o.name} refused by the platform: ${e.reason}` : `${o.name}: no platform answered on network ${o.net}`);
    (err as Error & { field?: string }).field = e?.field;
    throw err;
  });
  registered.catch(() => undefined);
  // Registered again after having been registered: a restarted hypervisor sent node.reregister, so
  // the server process restarted and the sessions it coordinated must be resolved now, not after a step.
  let wasRegistered = false, away = false;
  const reg = actor.subscribe((s) => {
    if (s.value !== 'registered') { away = wasRegistered; return; }
    if (away) { away = false; sessions.serverRestarted(); }
    wasRegistered = true;
  });
  const watch = o.onNetworkGone ? watchNetwork(host, o.onNetworkGone) : undefined;
  return {
    host, actor, registered, kmeUrl: kme?.url,
    async stop() {
      watch?.stop();
      reg.unsubscribe();
      await kme?.close();
      if (actor.getSnapshot().value === 'registered') {
        try { host.publish(subject.status(), 'node.bye', { node: o.name, processId, reason: 'shutdown' }); await bus.flush(); } catch { /* best effort */ }
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
