// The platform (application layer, server): admits nodes. It hands out one-time nonces on
// registry.challenge and checks registry.announce: fresh nonce, a node the topology knows, the
// declared type/DoF/link matching the topology, and HMAC-SHA256 under the node's pre-shared
// credential (infra/credentials.ts), sent by the bus identity of that node (a node identity cannot
// announce another node; runtime/port.ts InboundMeta.from). Admitted nodes are reported to the hypervisor.
// Task requests (platform.request) will be handled here by later machines/states.
import { enqueueActions, setup } from 'xstate';
import { busActionStubs, type BusEvent } from '../../runtime/port.ts';
import { makeNonce, verifyAnnounceMac } from '../../infra/credentials.ts';
import type { Announce } from './registry.messages.ts';
import './registry.messages.ts';

export interface PlatformNode { name: string; type: 'C' | 'E' | 'D'; dof: 'pol' | 'tbp' | 'pha'; linkKm: number; credential: string }

export interface PlatformInput {
  network: string;
  nodes: PlatformNode[];
  heartbeatMs?: number;
  nonceTtlMs?: number;
  /** System id of the hypervisor to notify. */
  hypervisor?: string;
}

interface PlatformContext {
  network: string;
  nodes: Record<string, PlatformNode>;
  nonces: Record<string, number>;
  admitted: Record<string, string>;
  refusals: number;
  heartbeatMs: number;
  nonceTtlMs: number;
  hypervisor: string;
}

type PlatformEvent =
  | BusEvent<'registry.challenge', { name: string }>
  | BusEvent<'registry.announce', Announce>;

const MAX_PENDING_NONCES = 10_000;

export const platformMachine = setup({
  types: { context: {} as PlatformContext, events: {} as PlatformEvent, input: {} as PlatformInput },
  actions: { ...busActionStubs },
}).createMachine({
  id: 'platform',
  context: ({ input }) => ({
    network: input.network,
    nodes: Object.fromEntries(input.nodes.map((n) => [n.name, n])),
    nonces: {},
    admitted: {},
    refusals: 0,
    heartbeatMs: input.heartbeatMs ?? 1000,
    nonceTtlMs: input.nonceTtlMs ?? 30_000,
    hypervisor: input.hypervisor ?? 'hypervisor',
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'registry.challenge': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const now = Date.now();
            const nonces = Object.fromEntries(Object.entries(context.nonces).filter(([, exp]) => exp > now).slice(-MAX_PENDING_NONCES + 1));
            const nonce = makeNonce();
            nonces[nonce] = now + context.nonceTtlMs;
            enqueue.assign({ nonces });
            enqueue({ type: 'bus.reply', params: { meta: event.meta, type: 'registry.nonce', body: { nonce, ttlMs: context.nonceTtlMs } } });
          }),
        },
        'registry.announce': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const a = event.body;
            const refuse = (field: string, reason: string) => {
              enqueue.assign({ refusals: context.refusals + 1 });
              enqueue({ type: 'bus.reply', params: { meta: event.meta, type: 'registry.refused', body: { name: a.name, field, reason } } });
            };
            const expires = context.nonces[a.nonce];
            if (expires !== undefined) {
              const { [a.nonce]: _used, ...rest } = context.nonces;
              enqueue.assign({ nonces: rest });
            }
            if (expires === undefined || expires < Date.now()) return refuse('nonce', 'unknown, used or expired nonce: ask registry.challenge first');
            const spec = context.nodes[a.name];
            if (!spec) return refuse('name', `node "${a.name}" has no pre-shared credential in network "${context.network}"`);
            if (event.meta.from !== a.name) return refuse('name', `bus identity ${event.meta.from} cannot announce node ${a.name}`);
            if (spec.type !== a.type) return refuse('type', `node ${a.name} is type ${spec.type} in the topology, announced ${a.type}`);
            if (spec.dof !== a.dof) return refuse('dof', `node ${a.name} encodes ${spec.dof} in the topology, announced ${a.dof}`);
            if (Math.abs(spec.linkKm - a.linkKm) > 1e-9) return refuse('linkKm', `node ${a.name} has a ${spec.linkKm} km link in the topology, announced ${a.linkKm} km`);
            if (!verifyAnnounceMac(spec.credential, { net: context.network, name: a.name, type: a.type, dof: a.dof, linkKm: a.linkKm, nonce: a.nonce, processId: a.processId }, a.mac)) {
              return refuse('credential', `wrong credential for node ${a.name} (announce MAC does not verify)`);
            }
            enqueue.assign({ admitted: { ...context.admitted, [a.name]: a.processId } });
            enqueue({ type: 'bus.reply', params: { meta: event.meta, type: 'registry.accepted', body: { name: a.name, network: context.network, heartbeatMs: context.heartbeatMs } } });
            enqueue({ type: 'bus.send', params: { to: context.hypervisor, type: 'hypervisor.nodeUp', body: { name: a.name, type: a.type, dof: a.dof, linkKm: a.linkKm, processId: a.processId } } });
          }),
        },
      },
    },
  },
});
