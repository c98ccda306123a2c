// What a node process injects into its root machine (actors/node/node.ts): the `register` actor
// (challenge, HMAC over the nonce, announce; infra/credentials.ts) and the heartbeat action.
import { fromPromise } from 'xstate';
import { announceMac } from '../../infra/credentials.ts';
import { RefusedError, type RegisterOutput } from '../../actors/node/node.ts';
import '../../actors/server/registry.messages.ts';
import type { ActorHost } from '../host.ts';
import type { BusPort } from '../port.ts';
import { subject } from '../subjects.ts';

export function nodeSystemId(name: string): string {
  return `node-${name}`;
}

export function nodeProcessId(name: string): string {
  return `node-${name}`;
}

/** `heartbeatInfo` adds the node's service addresses (its KME URL) to every heartbeat. */
export function nodeServices(credential: string, heartbeatInfo: () => { kmeUrl?: string } = () => ({})) {
  return (port: BusPort, host: ActorHost) => ({
    actors: {
      register: fromPromise<RegisterOutput, { name: string; type: string; dof: string; linkKm: number }>(async ({ input }) => {
        const ch = await port.request<{ nonce: string }>(subject.challenge(), 'registry.challenge', { name: input.name }, { timeoutMs: 2000 });
        const fields = { net: port.net, name: input.name, type: input.type, dof: input.dof, linkKm: input.linkKm, nonce: ch.body.nonce, processId: port.processId };
        const reply = await port.request<{ heartbeatMs: number; network: string; field: string; reason: string }>(
          subject.announce(), 'registry.announce', { ...fields, mac: announceMac(credential, fields) }, { timeoutMs: 3000 });
        if (reply.type === 'registry.refused') throw new RefusedError(reply.body.field, reply.body.reason);
        return { heartbeatMs: reply.body.heartbeatMs, network: reply.body.network };
      }),
    },
    actions: {
      sendHeartbeat: (_: unknown, p: { node: string; seq: number; state: string }) => {
        // Entry actions run before the snapshot moves, so the root machine's own state comes from params.
        const actors = { ...host.actorStates(), [nodeSystemId(p.node)]: p.state };
        port.publish(subject.status(), 'node.heartbeat', { node: p.node, processId: port.processId, seq: p.seq, state: p.state, actors, ...heartbeatInfo() });
      },
    },
  });
}
