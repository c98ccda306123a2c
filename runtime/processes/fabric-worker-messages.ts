// What the server's main thread and its fabric worker (fabric-worker.ts) say to each other.
import type { FabricInputs } from '../../actors/server/fabric.ts';
import type { Plan } from '../../actors/server/orchestration-types.ts';

/** Main -> worker: one run per worker; `more` gives back one delivery credit. */
export type FabricToWorker = { op: 'run'; plan: Plan; env: FabricInputs; ahead: number } | { op: 'more' };

/** Worker -> main. `delivery.bytes` is the packed stream message (packStreamMessage), moved. */
export type FabricFromWorker =
  | { op: 'ready' }
  | { op: 'link'; link: Record<string, number> }
  | { op: 'delivery'; node: string; bytes: Uint8Array; detections: number }
  | { op: 'end'; detections: number }
  | { op: 'failed'; message: string };
