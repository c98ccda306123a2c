// One pool of exclusive resources for the orchestration core: detectors, sources, converters,
// beam splitters and switch ports all look alike here (an id held by at most one session).
// Reservation is all-or-nothing so a session never starts with half its hardware; this is
// what guarantees that two sessions never share a detector. Pure and immutable: the machine
// keeps the pool in its context and every transition returns a new one.
import type { NodeId, SessionId } from '../../protocols/types.ts';

/** `source:<node>`, `detector:<node>/<i>`, `converter:<node>`, `converter:server/<id>`,
 *  `bs:server/<id>`, `port:<n>`. */
export type ResourceId = string;

export const resourceId = {
  source: (node: NodeId): ResourceId => `source:${node}`,
  detector: (node: NodeId, i: number): ResourceId => `detector:${node}/${i}`,
  nodeConverter: (node: NodeId): ResourceId => `converter:${node}`,
  serverConverter: (id: string): ResourceId => `converter:server/${id}`,
  beamSplitter: (id: string): ResourceId => `bs:server/${id}`,
  port: (n: number): ResourceId => `port:${n}`,
};

/** Which node a resource belongs to (undefined for server-owned ones). */
export function resourceNode(r: ResourceId): NodeId | undefined {
  const m = /^(source|detector|converter):([^/]+?)(\/\d+)?$/.exec(r);
  if (!m || m[2] === 'server') return undefined;
  return m[2];
}

export interface ResourcePool {
  /** resource -> holding session. Absent = free. */
  readonly holders: Readonly<Record<ResourceId, SessionId>>;
}

export type ReserveResult =
  | { ok: true; pool: ResourcePool }
  | { ok: false; pool: ResourcePool; conflicts: Array<{ resource: ResourceId; heldBy: SessionId }> };

export function emptyPool(): ResourcePool {
  return { holders: {} };
}

export function holderOf(pool: ResourcePool, r: ResourceId): SessionId | undefined {
  return pool.holders[r];
}

export function isFree(pool: ResourcePool, r: ResourceId): boolean {
  return pool.holders[r] === undefined;
}

/** Reserve every resource for the session, or none. Re-reserving what the same session
 *  already holds is fine (idempotent retries after a lost reply). Duplicate ids are ignored. */
export function reserve(pool: ResourcePool, sessionId: SessionId, resources: readonly ResourceId[]): ReserveResult {
  const conflicts: Array<{ resource: ResourceId; heldBy: SessionId }> = [];
  for (const r of new Set(resources)) {
    const h = pool.holders[r];
    if (h !== undefined && h !== sessionId) conflicts.push({ resource: r, heldBy: h });
  }
  if (conflicts.length > 0) return { ok: false, pool, conflicts };
  const holders: Record<ResourceId, SessionId> = { ...pool.holders };
  for (const r of resources) holders[r] = sessionId;
  return { ok: true, pool: { holders } };
}

/** Free everything the session holds (unknown sessions: no-op). */
export function release(pool: ResourcePool, sessionId: SessionId): ResourcePool {
  const holders: Record<ResourceId, SessionId> = {};
  for (const [r, s] of Object.entries(pool.holders)) if (s !== sessionId) holders[r] = s;
  return { holders };
}

export function heldBy(pool: ResourcePool, sessionId: SessionId): ResourceId[] {
  return Object.entries(pool.holders)
    .filter(([, s]) => s === sessionId)
    .map(([r]) => r)
    .sort();
}

export function sessions(pool: ResourcePool): SessionId[] {
  return [...new Set(Object.values(pool.holders))].sort();
}
