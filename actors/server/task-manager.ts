// Task management (application layer of the server), pure part: the request queue. Higher
// priority first, FIFO within a priority (a monotonically increasing sequence number, not a
// clock, so order is deterministic). Entries remember why they wait, for `hetqn status`.
import type { QkdRequest } from './orchestration-types.ts';
import type { ResourceId } from './resources.ts';

export interface QueueEntry {
  request: QkdRequest;
  seq: number;
  /** Why the last planning attempt could not serve it (absent before the first attempt). */
  reason?: string;
  waitingFor: ResourceId[];
  attempts: number;
}

export function enqueue(queue: readonly QueueEntry[], request: QkdRequest, seq: number): QueueEntry[] {
  return [...queue, { request, seq, waitingFor: [], attempts: 0 }];
}

/** Scheduling order: priority descending, then arrival. */
export function ordered(queue: readonly QueueEntry[]): QueueEntry[] {
  return [...queue].sort((x, y) => (y.request.priority ?? 0) - (x.request.priority ?? 0) || x.seq - y.seq);
}

export function removeEntry(queue: readonly QueueEntry[], requestId: string): QueueEntry[] {
  return queue.filter((e) => e.request.id !== requestId);
}

export function markWaiting(queue: readonly QueueEntry[], requestId: string, reason: string, waitingFor: ResourceId[]): QueueEntry[] {
  return queue.map((e) => (e.request.id === requestId ? { ...e, reason, waitingFor, attempts: e.attempts + 1 } : e));
}
