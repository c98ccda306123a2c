// A node's local control (control layer on the node, docs/ARCHITECTURE.md): owns the node's device
// actors (devices.ts), takes session roles from the server's session coordinators, and runs one
// party actor per session (actors/sessions/party-machine.ts, injected with the node's services).
//   session.start  -> spawn the party, calibrate every device, CALIBRATED (summed residual
//                     misalignment, longest duration) to the party
//   session.commit / session.abort -> forwarded to the session's party
//   party ended    -> devices released
//   SERVER.RESTARTED (from the node process: a new hypervisor made it register again) -> every party
// Its state ('idle' / 'in-session') goes out with the node's heartbeats to the hypervisor.
// Session roles and decisions count only from the server's bus identity (the sender in the subject,
// runtime/port.ts InboundMeta.from); NATS permissions already keep other identities from sending them.
import { enqueueActions, setup, type ActorRefFrom, type AnyActorLogic } from 'xstate';
import { createRng } from '../../protocols/rng.ts';
import type { Dof, NodeType } from '../../protocols/types.ts';
import { busActionStubs, SERVER_IDENTITY, type BusEvent } from '../../runtime/port.ts';
import { partyMachine } from '../sessions/party-machine.ts';
import type { SessionStart } from '../sessions/session.messages.ts';
import { deviceMachine, devicesOf, type DeviceSpec } from './devices.ts';

export interface LocalControlInput { node: string; type: NodeType; dof: Dof; ownConverter: boolean; seed?: string }

interface Calibrating { pending: string[]; residual: number; startedAt: number; ms: number }

export interface LocalControlContext {
  node: string;
  specs: DeviceSpec[];
  devices: Record<string, ActorRefFrom<typeof deviceMachine>>;
  /** sessionId -> role, for sessions whose party is alive. */
  sessions: Record<string, string>;
  calibrating: Record<string, Calibrating>;
  log: Array<{ sessionId: string; outcome: string }>;
}

export type LocalControlEvent =
  | BusEvent<'session.start', SessionStart>
  | BusEvent<'session.commit', { sessionId: string }>
  | BusEvent<'session.abort', { sessionId: string; reason: string }>
  | { type: 'DEVICE.CALIBRATED'; device: string; sessionId: string; residual: number }
  | { type: 'PARTY.ENDED'; sessionId: string; outcome: string }
  | { type: 'SERVER.RESTARTED' };

export const localControlMachine = setup({
  types: {
    context: {} as LocalControlContext,
    input: {} as LocalControlInput,
    events: {} as LocalControlEvent,
  },
  actions: { ...busActionStubs },
  actors: { party: partyMachine as AnyActorLogic, device: deviceMachine },
  guards: { fromServer: ({ event }) => (event as { meta?: { from?: string } }).meta?.from === SERVER_IDENTITY },
}).createMachine({
  id: 'localControl',
  context: ({ input, spawn }) => {
    const specs = devicesOf(input.type, input.dof, input.ownConverter);
    const rng = createRng(input.seed ?? `${input.node}-${Date.now()}`);
    const devices: LocalControlContext['devices'] = {};
    for (const spec of specs) devices[spec.id] = spawn('device', { id: `device-${spec.id}`, input: { spec, rng: rng.fork() } });
    return { node: input.node, specs, devices, sessions: {}, calibrating: {}, log: [] };
  },
  initial: 'idle',
  on: {
    'session.start': {
      guard: 'fromServer',
      actions: enqueueActions(({ context, event, enqueue }) => {
        const s = event.body;
        if (s.node !== context.node || context.sessions[s.sessionId]) return;
        enqueue.spawnChild('party', { id: s.sessionId, input: s });
        enqueue.assign({
          sessions: { ...context.sessions, [s.sessionId]: s.role },
          calibrating: { ...context.calibrating, [s.sessionId]: { pending: context.specs.map((d) => d.id), residual: 0, startedAt: Date.now(), ms: 0 } },
        });
        for (const ref of Object.values(context.devices)) enqueue.sendTo(ref, { type: 'CALIBRATE', sessionId: s.sessionId });
      }),
    },
    'DEVICE.CALIBRATED': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const c = context.calibrating[event.sessionId];
        if (!c) return;
        const pending = c.pending.filter((d) => d !== event.device);
        const next = { pending, residual: c.residual + event.residual, startedAt: c.startedAt, ms: Date.now() - c.startedAt };
        if (pending.length > 0) { enqueue.assign({ calibrating: { ...context.calibrating, [event.sessionId]: next } }); return; }
        const { [event.sessionId]: _done, ...rest } = context.calibrating;
        enqueue.assign({ calibrating: rest });
        if (context.sessions[event.sessionId]) {
          enqueue.sendTo(event.sessionId, { type: 'CALIBRATED', calibrationMs: next.ms, residualMisalignment: next.residual });
          for (const ref of Object.values(context.devices)) enqueue.sendTo(ref, { type: 'START' });
        }
      }),
    },
    'session.commit': {
      guard: 'fromServer',
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.sessions[event.body.sessionId]) enqueue.sendTo(event.body.sessionId, event);
      }),
    },
    'session.abort': {
      guard: 'fromServer',
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.sessions[event.body.sessionId]) enqueue.sendTo(event.body.sessionId, event);
      }),
    },
    'SERVER.RESTARTED': {
      actions: enqueueActions(({ context, enqueue }) => {
        for (const sid of Object.keys(context.sessions)) enqueue.sendTo(sid, { type: 'SERVER.RESTARTED' });
      }),
    },
    'PARTY.ENDED': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { [event.sessionId]: _gone, ...rest } = context.sessions;
        const { [event.sessionId]: _cal, ...cal } = context.calibrating;
        enqueue.assign({ sessions: rest, calibrating: cal, log: [...context.log.slice(-50), { sessionId: event.sessionId, outcome: event.outcome }] });
        enqueue.stopChild(event.sessionId);
        if (Object.keys(rest).length === 0) for (const ref of Object.values(context.devices)) enqueue.sendTo(ref, { type: 'RELEASE' });
      }),
    },
  },
  states: {
    idle: { always: { guard: ({ context }) => Object.keys(context.sessions).length > 0, target: 'in-session' } },
    'in-session': { always: { guard: ({ context }) => Object.keys(context.sessions).length === 0, target: 'idle' } },
  },
});

