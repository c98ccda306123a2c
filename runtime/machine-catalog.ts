// Every actor type, for `hetqn inspect --export` (definition JSON for the xstate visualizer).
// Add one line per machine.
import type { AnyStateMachine } from 'xstate';

export const machineCatalog: Array<() => Promise<AnyStateMachine>> = [
  async () => (await import('../actors/server/platform.ts')).platformMachine,
  async () => (await import('../actors/server/hypervisor.ts')).hypervisorMachine,
  async () => (await import('../actors/node/node.ts')).nodeMachine,
  async () => (await import('../actors/node/key-pool.ts')).keyPoolMachine,
  async () => (await import('../actors/server/orchestration-machine.ts')).orchestrationMachine,
  async () => (await import('../actors/server/task-manager-machine.ts')).taskManagerMachine,
  async () => (await import('../actors/server/switch-fabric-machine.ts')).switchFabricMachine,
  async () => (await import('../actors/sessions/coordinator.ts')).coordinatorMachine,
  async () => (await import('../actors/sessions/party-machine.ts')).partyMachine,
  async () => (await import('../actors/node/local-control.ts')).localControlMachine,
  async () => (await import('../actors/node/devices.ts')).deviceMachine,
  async () => (await import('../actors/tasks/task-agent.ts')).taskAgentMachine,
  async () => (await import('../actors/tasks/task-role-machine.ts')).taskRoleMachine,
  async () => (await import('../actors/tasks/task-coordinator.ts')).taskCoordinatorMachine,
  async () => (await import('../actors/tasks/task-machines.ts')).signTaskMachine,
  async () => (await import('../actors/tasks/task-machines.ts')).conferenceTaskMachine,
  async () => (await import('../actors/tasks/task-machines.ts')).qbaTaskMachine,
  async () => (await import('../actors/tasks/qba-round.ts')).qbaRoundMachine,
];
