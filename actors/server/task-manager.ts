// Task management (application layer of the server), pure part: the request queue. Higher
// priority first, FIFO within a priority (a monotonically increasing sequence number, not a
// clock, so order is deterministic). Entries remember why they wait, for `hetqn status`, and
// what they wait for: only a release of that (or a change of the network) makes an entry worth
// planning again, so a long queue is not re-planned whole on every release.
import type { QkdRequest } from './orchestration-types.ts';
import type { ResourceId } from './resources.ts';

export interface QueueEntry {
  request: QkdRequest;
  seq: number;
  /** Why the last planning attempt could not serve it (absent before the first attempt). */
  reason?: string;
  waitingFor: ResourceId[];
  attempts: number;
  /** Worth a planning attempt: new, or something it waits for was released (absent: yes). */
  ready?: boolean;
  /** Woken by a change of the network: plan it even if all it waited for is still held. */
  viewChanged?: boolean;
}

const before = (x: QueueEntry, y: QueueEntry) => (y.request.priority ?? 0) - (x.request.priority ?? 0) || x.seq - y.seq;

/** Insert in scheduling order (the queue stays ordered). */
export function enqueue(queue: readonly QueueEntry[], request: QkdRequest, seq: number): QueueEntry[] {
  const entry: QueueEntry = { request, seq, waitingFor: [], attempts: 0, ready: true };
  let lo = 0, hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(queue[mid]!, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return [...queue.slice(0, lo), entry, ...queue.slice(lo)];
}

/** Scheduling order: priority descending, then arrival. */
export function ordered(queue: readonly QueueEntry[]): QueueEntry[] {
  return [...queue].sort(before);
}

/** Entries to plan again after `freed` was released (undefined: the network changed, all of them). */
export function wake(queue: readonly QueueEntry[], freed?: readonly ResourceId[]): QueueEntry[] {
  if (!freed) return queue.map((e) => ({ ...e, ready: true, viewChanged: true }));
  const f = new Set(freed);
  return queue.map((e) => (e.ready !== false || (e.waitingFor.length > 0 && !e.waitingFor.some((r) => f.has(r))) ? e : { ...e, ready: true }));
}

export function removeEntry(queue: readonly QueueEntry[], requestId: string): QueueEntry[] {
  return queue.filter((e) => e.request.id !== requestId);
}

export function markWaiting(queue: readonly QueueEntry[], requestId: string, reason: string, waitingFor: ResourceId[]): QueueEntry[] {
  return queue.map((e) => (e.request.id === requestId ? { ...e, reason, waitingFor, attempts: e.attempts + 1, ready: false, viewChanged: false } : e));
}

/** Nothing the entry waits for is free: every resource of its (non-empty) waitingFor is held. */
export function blockedAgain(entry: QueueEntry, held: Readonly<Record<ResourceId, string>>): boolean {
  return entry.attempts > 0 && !entry.viewChanged && entry.waitingFor.length > 0 && entry.waitingFor.every((r) => held[r] !== undefined);
}

/** Back to waiting, without a planning attempt. */
export function sleep(queue: readonly QueueEntry[], requestId: string): QueueEntry[] {
  return queue.map((e) => (e.request.id === requestId ? { ...e, ready: false } : e));
}

/** Drop what the ended session held (`freed`, or everything held under its id). */
export function releaseHeld(held: Readonly<Record<ResourceId, string>>, sessionId: string, freed?: readonly ResourceId[]): Record<ResourceId, string> {
  const out = { ...held };
  for (const r of freed ?? Object.keys(held)) if (out[r] === sessionId) delete out[r];
  return out;
}
