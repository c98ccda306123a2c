// The server process's actors: platform (admission) and hypervisor (network status). Later
// issues add the orchestration core, task manager, router and fabric here, on the same host.
import { platformMachine } from '../../actors/server/platform.ts';
import { hypervisorMachine } from '../../actors/server/hypervisor.ts';
import type { Topology } from '../../infra/topology.ts';
import type { ActorHost } from '../host.ts';
import { subject } from '../subjects.ts';
import { startTaskCoordinator } from './task-wiring-server.ts';
import { startSessionServer } from './session-wiring-server.ts';

export const SERVER_PROCESS_ID = 'server';

export interface ServerOptions { heartbeatMs?: number; downAfterMs?: number; checkEveryMs?: number }

export function startServerActors(host: ActorHost, topology: Topology, opts: ServerOptions = {}): void {
  host.spawn(hypervisorMachine, {
    systemId: 'hypervisor',
    input: { network: topology.network, nodes: topology.nodes, downAfterMs: opts.downAfterMs, checkEveryMs: opts.checkEveryMs },
    routes: [{ subject: subject.statusAll() }],
  });
  host.spawn(platformMachine, {
    systemId: 'platform',
    input: { network: topology.network, nodes: topology.nodes, heartbeatMs: opts.heartbeatMs },
    routes: [
      { subject: subject.challenge(), queue: 'platform' },
      { subject: subject.announce(), queue: 'platform' },
    ],
  });
  const sessions = startSessionServer(host, topology);
  startTaskCoordinator(host, topology, sessions);
}
