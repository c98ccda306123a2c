// The quantum router as an actor. Context is the fabric state (ports and the current
// cross-connects); CONNECT sets a session's cross-connects all-or-nothing and is refused if
// any port is already cross-connected; RELEASE frees a session's ports. Answers go to the
// event's `replyTo` actor (actor-to-actor) and are also `emit`ted, so a runtime host can
// forward them over NATS without the machine knowing about NATS.
import { assign, emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { SessionId } from '../../protocols/types.ts';
import { addPorts, connect, createFabric, releaseSession, type CrossConnect, type FabricState, type PortInfo } from './switch-fabric.ts';

export type SwitchFabricEvent =
  | { type: 'CONNECT'; sessionId: SessionId; ports: Array<[number, number]>; replyTo?: AnyActorRef }
  | { type: 'RELEASE'; sessionId: SessionId; replyTo?: AnyActorRef }
  | { type: 'ADD_PORTS'; ports: PortInfo[] };

export type SwitchFabricReply =
  | { type: 'FABRIC.CONNECTED'; sessionId: SessionId; crossConnects: CrossConnect[]; settleMs: number }
  | { type: 'FABRIC.REFUSED'; sessionId: SessionId; reason: string; ports: number[] }
  | { type: 'FABRIC.RELEASED'; sessionId: SessionId; ports: number[] };

export interface SwitchFabricContext extends FabricState {
  lastRefusal?: { sessionId: SessionId; reason: string; ports: number[] };
}

export const switchFabricMachine = setup({
  types: {
    context: {} as SwitchFabricContext,
    events: {} as SwitchFabricEvent,
    input: {} as { ports: PortInfo[]; switchTimeMs: number },
    emitted: {} as SwitchFabricReply,
  },
}).createMachine({
  id: 'switchFabric',
  context: ({ input }) => createFabric(input.ports, input.switchTimeMs),
  initial: 'ready',
  states: {
    ready: {
      on: {
        CONNECT: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const r = connect(context, event.sessionId, event.ports);
            let reply: SwitchFabricReply;
            if (r.ok) {
              const mine = r.state.crossConnects.filter((c) => c.sessionId === event.sessionId);
              enqueue.assign({ ...r.state, lastRefusal: undefined });
              reply = { type: 'FABRIC.CONNECTED', sessionId: event.sessionId, crossConnects: mine, settleMs: r.settleMs };
            } else {
              const refusal = { sessionId: event.sessionId, reason: r.reason, ports: r.ports };
              enqueue.assign({ lastRefusal: refusal });
              reply = { type: 'FABRIC.REFUSED', ...refusal };
            }
            enqueue(emit(reply));
            if (event.replyTo) enqueue.sendTo(event.replyTo, reply);
          }),
        },
        RELEASE: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const freed = context.crossConnects.filter((c) => c.sessionId === event.sessionId).flatMap((c) => [c.a, c.b]);
            enqueue.assign(releaseSession(context, event.sessionId));
            const reply: SwitchFabricReply = { type: 'FABRIC.RELEASED', sessionId: event.sessionId, ports: freed.sort((x, y) => x - y) };
            enqueue(emit(reply));
            if (event.replyTo) enqueue.sendTo(event.replyTo, reply);
          }),
        },
        ADD_PORTS: { actions: assign(({ context, event }) => addPorts(context, event.ports)) },
      },
    },
  },
});
