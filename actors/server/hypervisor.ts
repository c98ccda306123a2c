// The network hypervisor (control layer, server): the status of every node. Nodes admitted by
// the platform become "up"; heartbeats on `status` (sent as the node's identity) keep them up and carry the states of the
// actors in the node's process; a node silent for downAfterMs is marked "down" (checked every
// checkEveryMs), a node that says node.bye is "left". Answers hypervisor.status with the view.
// Heartbeats from a topology node it never saw register (server restarted) get node.reregister.
// Senders are bus identities taken from the subject (runtime/port.ts InboundMeta.from): a heartbeat or
// goodbye counts only when its sender is the node it names, an admission only from the platform's
// (server) identity; anything else is ignored, even if the bus's permissions let it through.
import { enqueueActions, setup, assign } from 'xstate';
import { actorAddress, busActionStubs, SERVER_IDENTITY, type BusEvent } from '../../runtime/port.ts';
import type { Heartbeat, HypervisorView, NodeUp, NodeView } from './registry.messages.ts';
import './registry.messages.ts';

export interface HypervisorInput {
  network: string;
  nodes: Array<{ name: string; type: 'C' | 'E' | 'D'; dof: 'pol' | 'tbp' | 'pha'; linkKm: number; attachLater?: boolean }>;
  /** Default 3000 ms: three missed 1 s heartbeats. */
  downAfterMs?: number;
  checkEveryMs?: number;
  /** Bus identity of the platform that admits nodes. Default "server". */
  platformIdentity?: string;
}

interface HypervisorContext {
  network: string;
  platformIdentity: string;
  nodes: Record<string, NodeView>;
  downAfterMs: number;
  checkEveryMs: number;
}

type HypervisorEvent =
  | BusEvent<'hypervisor.nodeUp', NodeUp>
  | BusEvent<'node.heartbeat', Heartbeat>
  | BusEvent<'node.bye', { node: string; processId: string; reason: string }>
  | BusEvent<'hypervisor.status', Record<string, unknown>>;

export function hypervisorView(context: HypervisorContext, now = Date.now()): HypervisorView {
  const nodes = Object.values(context.nodes).map((n) => ({
    ...n, heartbeatAgeMs: n.lastHeartbeatAt === undefined ? undefined : now - n.lastHeartbeatAt,
  }));
  return {
    network: context.network, at: now, nodes, downAfterMs: context.downAfterMs,
    links: nodes.filter((n) => n.state !== 'expected').map((n) => ({ from: n.name, to: 'server', km: n.linkKm })),
  };
}

export const hypervisorMachine = setup({
  types: { context: {} as HypervisorContext, events: {} as HypervisorEvent, input: {} as HypervisorInput },
  actions: { ...busActionStubs },
  delays: { check: ({ context }) => context.checkEveryMs },
}).createMachine({
  id: 'hypervisor',
  context: ({ input }) => ({
    network: input.network,
    platformIdentity: input.platformIdentity ?? SERVER_IDENTITY,
    nodes: Object.fromEntries(input.nodes.map((n) => [n.name, {
      name: n.name, type: n.type, dof: n.dof, linkKm: n.linkKm, attachLater: !!n.attachLater,
      state: 'expected' as const, heartbeats: 0, actors: {},
    }])),
    downAfterMs: input.downAfterMs ?? 3000,
    checkEveryMs: input.checkEveryMs ?? 250,
  }),
  initial: 'watching',
  states: {
    watching: {
      after: {
        check: {
          target: 'watching',
          reenter: true,
          actions: assign(({ context }) => {
            const now = Date.now();
            let changed = false;
            const nodes = { ...context.nodes };
            for (const n of Object.values(nodes)) {
              if (n.state === 'up' && n.lastHeartbeatAt !== undefined && now - n.lastHeartbeatAt > context.downAfterMs) {
                nodes[n.name] = { ...n, state: 'down' };
                changed = true;
              }
            }
            return changed ? { nodes } : {};
          }),
        },
      },
      on: {
        'hypervisor.nodeUp': {
          // Admissions come from the platform, on the server's own identity.
          guard: ({ context, event }) => event.meta.from === context.platformIdentity,
          actions: assign(({ context, event }) => {
            const b = event.body;
            const prev = context.nodes[b.name];
            const now = Date.now();
            return { nodes: { ...context.nodes, [b.name]: {
              name: b.name, type: b.type, dof: b.dof, linkKm: b.linkKm, attachLater: prev?.attachLater ?? false,
              state: 'up' as const, processId: b.processId, registeredAt: now, lastHeartbeatAt: now, heartbeats: 0, actors: {},
            } } };
          }),
        },
        'node.heartbeat': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const n = context.nodes[event.body.node];
            if (!n || event.meta.from !== n.name) return;
            // A node of the topology we never saw register (this server restarted): ask it to register again.
            if (n.state === 'expected') {
              enqueue({ type: 'bus.send', params: { to: actorAddress(n.name, `node-${n.name}`), type: 'node.reregister', body: { node: n.name } } });
              return;
            }
            // Only heartbeats from the process the platform admitted count (a stale one is ignored).
            if (n.processId !== event.body.processId) return;
            enqueue.assign({ nodes: { ...context.nodes, [n.name]: {
              ...n, state: 'up' as const, lastHeartbeatAt: Date.now(), heartbeats: n.heartbeats + 1, actors: event.body.actors, kmeUrl: event.body.kmeUrl,
            } } });
          }),
        },
        'node.bye': {
          actions: assign(({ context, event }) => {
            const n = context.nodes[event.body.node];
            if (!n || event.meta.from !== n.name || n.processId !== event.body.processId) return {};
            return { nodes: { ...context.nodes, [n.name]: { ...n, state: 'left' as const } } };
          }),
        },
        'hypervisor.status': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue({ type: 'bus.reply', params: { meta: event.meta, type: 'hypervisor.view', body: hypervisorView(context) } });
          }),
        },
      },
    },
  },
});
