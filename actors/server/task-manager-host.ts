// One place where the control plane's side effects are plugged in. The runtime host (or a test)
// calls `controlPlaneMachine(effects)` and gets the task manager with its orchestration core,
// ready to `createActor(..., { input: { view } })`. On a NATS host the effects are bus sends:
//   notifyAgent     -> bus.reply / bus.send 'task.notice' to the requesting agent
//   setSwitches     -> bus.send 'fabric.connect' to the router actor
//   releaseSwitches -> bus.send 'fabric.release' to the router actor
//   startSession    -> spawn the session actors (session engineer) on the plan's participants
//   abortSession    -> tell every participant to abort (a node went down); they answer SESSION_ENDED
import type { SessionId } from '../../protocols/types.ts';
import { orchestrationMachine } from './orchestration-machine.ts';
import type { Plan } from './orchestration-types.ts';
import { taskManagerMachine, type AgentNotice } from './task-manager-machine.ts';

export interface ControlPlaneEffects {
  notifyAgent?: (notice: AgentNotice) => void;
  setSwitches?: (plan: Plan) => void;
  startSession?: (plan: Plan) => void;
  releaseSwitches?: (sessionId: SessionId) => void;
  abortSession?: (sessionId: SessionId, reason: string) => void;
}

export function controlPlaneMachine(effects: ControlPlaneEffects) {
  return taskManagerMachine.provide({
    actions: { notifyAgent: (_, notice) => effects.notifyAgent?.(notice) },
    actors: {
      orchestration: orchestrationMachine.provide({
        actions: {
          setSwitches: (_, { plan }) => effects.setSwitches?.(plan),
          startSession: (_, { plan }) => effects.startSession?.(plan),
          releaseSwitches: (_, { sessionId }) => effects.releaseSwitches?.(sessionId),
          abortSession: (_, { sessionId, reason }) => effects.abortSession?.(sessionId, reason),
        },
      }),
    },
  });
}
