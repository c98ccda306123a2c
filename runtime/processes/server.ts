// The server process's actors, all on the server's bus identity: platform (admission), hypervisor
// (network status), the task coordinator, and the QKD control plane (session-wiring-server.ts).
import { platformMachine } from '../../actors/server/platform.ts';
import { hypervisorMachine } from '../../actors/server/hypervisor.ts';
import type { Topology } from '../../infra/topology.ts';
import type { ActorHost } from '../host.ts';
import { subject } from '../subjects.ts';
import { startTaskCoordinator } from './task-wiring-server.ts';
import { startSessionServer } from './session-wiring-server.ts';
import type { RedisAccess } from './session-wiring-node.ts';

export const SERVER_PROCESS_ID = 'server';

export interface ServerOptions {
  heartbeatMs?: number; downAfterMs?: number; checkEveryMs?: number;
  /** The server's own Redis user (session decisions; no key material). */
  redis?: RedisAccess;
}

export function startServerActors(host: ActorHost, topology: Topology, opts: ServerOptions = {}): void {
  host.spawn(hypervisorMachine, {
    systemId: 'hypervisor',
    input: { network: topology.network, nodes: topology.nodes, downAfterMs: opts.downAfterMs, checkEveryMs: opts.checkEveryMs },
    routes: [{ subject: subject.status() }],
  });
  host.spawn(platformMachine, {
    systemId: 'platform',
    input: { network: topology.network, nodes: topology.nodes, heartbeatMs: opts.heartbeatMs },
    routes: [
      { subject: subject.challenge(), queue: 'platform' },
      { subject: subject.announce(), queue: 'platform' },
    ],
  });
  const sessions = startSessionServer(host, topology, { redis: opts.redis });
  startTaskCoordinator(host, topology, sessions, opts.redis);
}
