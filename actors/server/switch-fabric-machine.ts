// The quantum router as an actor. Context is the fabric state (ports and the current
// cross-connects); CONNECT sets a session's cross-connects all-or-nothing and is refused if
// any port is already cross-connected; RELEASE frees a session's ports. Answers go to the
// event's `replyTo` actor (in-process) and are `emit`ted; on a runtime host the same
// operations arrive as bus events `fabric.connect` / `fabric.release` (orchestration.messages.ts)
// and are answered with `bus.reply` (fabric.connected / fabric.refused / fabric.released).
import { assign, emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { SessionId } from '../../protocols/types.ts';
import { busActionStubs, type BusEvent } from '../../runtime/port.ts';
import { addPorts, connect, createFabric, releaseSession, type CrossConnect, type FabricState, type PortInfo } from './switch-fabric.ts';

export type SwitchFabricEvent =
  | { type: 'CONNECT'; sessionId: SessionId; ports: Array<[number, number]>; replyTo?: AnyActorRef }
  | { type: 'RELEASE'; sessionId: SessionId; replyTo?: AnyActorRef }
  | { type: 'ADD_PORTS'; ports: PortInfo[] }
  | BusEvent<'fabric.connect', { sessionId: SessionId; ports: Array<[number, number]> }>
  | BusEvent<'fabric.release', { sessionId: SessionId }>;

export type SwitchFabricReply =
  | { type: 'FABRIC.CONNECTED'; sessionId: SessionId; crossConnects: CrossConnect[]; settleMs: number }
  | { type: 'FABRIC.REFUSED'; sessionId: SessionId; reason: string; ports: number[] }
  | { type: 'FABRIC.RELEASED'; sessionId: SessionId; ports: number[] };

export interface SwitchFabricContext extends FabricState {
  lastRefusal?: { sessionId: SessionId; reason: string; ports: number[] };
}

const BUS_TYPE = { 'FABRIC.CONNECTED': 'fabric.connected', 'FABRIC.REFUSED': 'fabric.refused', 'FABRIC.RELEASED': 'fabric.released' } as const;

function doConnect(context: SwitchFabricContext, sessionId: SessionId, ports: Array<[number, number]>): { update: Partial<SwitchFabricContext>; reply: SwitchFabricReply } {
  const r = connect(context, sessionId, ports);
  if (r.ok) {
    const mine = r.state.crossConnects.filter((c) => c.sessionId === sessionId);
    return { update: { ...r.state, lastRefusal: undefined }, reply: { type: 'FABRIC.CONNECTED', sessionId, crossConnects: mine, settleMs: r.settleMs } };
  }
  const refusal = { sessionId, reason: r.reason, ports: r.ports };
  return { update: { lastRefusal: refusal }, reply: { type: 'FABRIC.REFUSED', ...refusal } };
}

function doRelease(context: SwitchFabricContext, sessionId: SessionId): { update: Partial<SwitchFabricContext>; reply: SwitchFabricReply } {
  const freed = context.crossConnects.filter((c) => c.sessionId === sessionId).flatMap((c) => [c.a, c.b]);
  return { update: releaseSession(context, sessionId), reply: { type: 'FABRIC.RELEASED', sessionId, ports: freed.sort((x, y) => x - y) } };
}

export const switchFabricMachine = setup({
  types: {
    context: {} as SwitchFabricContext,
    events: {} as SwitchFabricEvent,
    input: {} as { ports: PortInfo[]; switchTimeMs: number },
    emitted: {} as SwitchFabricReply,
  },
  actions: { ...busActionStubs },
}).createMachine({
  id: 'switchFabric',
  context: ({ input }) => createFabric(input.ports, input.switchTimeMs),
  initial: 'ready',
  states: {
    ready: {
      on: {
        CONNECT: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { update, reply } = doConnect(context, event.sessionId, event.ports);
            enqueue.assign(update);
            enqueue(emit(reply));
            if (event.replyTo) enqueue.sendTo(event.replyTo, reply);
          }),
        },
        RELEASE: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { update, reply } = doRelease(context, event.sessionId);
            enqueue.assign(update);
            enqueue(emit(reply));
            if (event.replyTo) enqueue.sendTo(event.replyTo, reply);
          }),
        },
        'fabric.connect': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { update, reply } = doConnect(context, event.body.sessionId, event.body.ports);
            enqueue.assign(update);
            enqueue(emit(reply));
            const { type, ...body } = reply;
            enqueue({ type: 'bus.reply', params: { meta: event.meta, type: BUS_TYPE[type], body } });
          }),
        },
        'fabric.release': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { update, reply } = doRelease(context, event.body.sessionId);
            enqueue.assign(update);
            enqueue(emit(reply));
            const { type, ...body } = reply;
            enqueue({ type: 'bus.reply', params: { meta: event.meta, type: BUS_TYPE[type], body } });
          }),
        },
        ADD_PORTS: { actions: assign(({ context, event }) => addPorts(context, event.ports)) },
      },
    },
  },
});
