// The inspector's picture of a network, shared by the server and the page: the records the server
// sends (`Feed`, already summarised: no key material) and a pure fold of them into a `Model`.
// The page keeps every record it received and folds up to any point to travel back in time; the
// server folds the records it drops from its replay buffer into the base it hands new pages.
// No Node or browser imports here: the page bundles this file.

export interface ChartState {
  id: string; key: string; type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string; invokes: string[]; entry: string[]; exit: string[];
  /** Transitions that stay in the state (no target): "event [guard]". */
  internal: string[];
  children: ChartState[];
}
/** `event` is the event type that takes it (xstate.done.actor.<id>, xstate.after.<delay>.<state>, always); `label` what to show. */
export interface ChartEdge { id: string; source: string; target: string; event: string; label: string }
export interface Chart { machine: string; root: ChartState; edges: ChartEdge[] }

export interface NodeView {
  name: string; type: string; dof: string; linkKm: number; state: string; attachLater?: boolean;
  processId?: string; lastHeartbeatAt?: number; heartbeatAgeMs?: number; heartbeats?: number;
}
export interface NetworkView { network: string; at: number; nodes: NodeView[]; links: Array<{ from: string; to: string; km: number }>; downAfterMs?: number }
export interface PoolLevel { owner: string; peer: string; kind: string; available: number }

interface Stamp { seq: number; t: number }
export type Feed = Stamp & (
  | { k: 'machine'; machine: string; chart: Chart }
  | { k: 'actor'; id: string; pid: string; sys?: string; name: string; machine?: string; parent?: string; value: unknown; status: string; ctx: unknown }
  | { k: 'step'; id: string; ev: string; sender?: string; body?: unknown; value: unknown; status: string; ctx?: unknown }
  | { k: 'network'; view: NetworkView }
  | { k: 'pools'; pools: PoolLevel[] }
  | { k: 'notice'; request: string; type: string; body: unknown }
);

export interface Step { seq: number; t: number; actor: string; ev: string; sender?: string; from: string; to: string; body?: unknown }
export interface ActorRec {
  id: string; pid: string; sys?: string; name: string; machine?: string; parent?: string;
  value: unknown; state: string; status: string; ctx: unknown;
  born: number; last: number; events: number;
  /** Its latest steps, oldest first (the machine view's log and the session timelines). */
  steps: Step[];
}
export interface Model {
  seq: number; t: number;
  actors: Record<string, ActorRec>;
  charts: Record<string, Chart>;
  /** The latest steps of every actor, oldest first. */
  log: Step[];
  network?: NetworkView;
  pools: { times: number[]; series: Record<string, Array<number | null>> };
  notices: Record<string, Array<{ t: number; type: string; body: unknown }>>;
}

export const LIMITS = { log: 4000, actorSteps: 300, ended: 600, poolPoints: 900, notices: 40 };

export const emptyModel = (): Model => ({ seq: 0, t: 0, actors: {}, charts: {}, log: [], pools: { times: [], series: {} }, notices: {} });

/** "idle", "registered.waiting", "a.b,c.d" for parallel regions. */
export function stateText(value: unknown): string {
  const flat = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, sub]) => {
      const inner = flat(sub);
      return inner.length ? inner.map((i) => `${k}.${i}`) : [k];
    });
    return [];
  };
  return flat(value).join(',');
}

const pairKey = (p: PoolLevel) => `${[p.owner, p.peer].sort().join('–')} ${p.kind}`;
const push = <T>(list: T[], item: T, max: number) => { list.push(item); if (list.length > max) list.splice(0, list.length - max); };

function pruneEnded(m: Model): void {
  const ended = Object.values(m.actors).filter((a) => a.status !== 'active');
  if (ended.length <= LIMITS.ended) return;
  ended.sort((a, b) => a.last - b.last);
  for (const a of ended.slice(0, ended.length - LIMITS.ended)) delete m.actors[a.id];
}

function applyPools(m: Model, f: { t: number; pools: PoolLevel[] }): void {
  const levels = new Map<string, number>();
  for (const p of f.pools) if (p.owner < p.peer || !levels.has(pairKey(p))) levels.set(pairKey(p), p.available);
  const { times, series } = m.pools;
  for (const k of levels.keys()) series[k] ??= times.map(() => null);
  times.push(f.t);
  for (const [k, s] of Object.entries(series)) s.push(levels.get(k) ?? null);
  if (times.length > LIMITS.poolPoints) {
    const cut = times.length - LIMITS.poolPoints;
    times.splice(0, cut);
    for (const s of Object.values(series)) s.splice(0, cut);
  }
}

/** Fold one record into the model (in place; returns it). */
export function apply(m: Model, f: Feed): Model {
  m.seq = f.seq; m.t = Math.max(m.t, f.t);
  switch (f.k) {
    case 'machine': m.charts[f.machine] = f.chart; break;
    case 'actor': {
      const prev = m.actors[f.id];
      m.actors[f.id] = {
        id: f.id, pid: f.pid, sys: f.sys, name: f.name, machine: f.machine, parent: f.parent,
        value: f.value, state: stateText(f.value) || f.status, status: f.status, ctx: f.ctx,
        born: prev?.born ?? f.t, last: f.t, events: prev?.events ?? 0, steps: prev?.steps ?? [],
      };
      break;
    }
    case 'step': {
      const a = m.actors[f.id];
      if (!a) break;
      const to = stateText(f.value) || f.status;
      const step: Step = { seq: f.seq, t: f.t, actor: f.id, ev: f.ev, sender: f.sender, from: a.state, to, ...(f.body === undefined ? {} : { body: f.body }) };
      a.value = f.value; a.state = to; a.status = f.status; a.last = f.t; a.events++;
      if (f.ctx !== undefined) a.ctx = f.ctx;
      push(a.steps, step, LIMITS.actorSteps);
      push(m.log, step, LIMITS.log);
      // Promise and callback actors are only interesting while they run.
      if (f.status !== 'active' && !a.machine) delete m.actors[f.id];
      else if (f.status !== 'active') pruneEnded(m);
      break;
    }
    case 'network': m.network = f.view; break;
    case 'pools': applyPools(m, f); break;
    case 'notice': push(m.notices[f.request] ??= [], { t: f.t, type: f.type, body: f.body }, LIMITS.notices); break;
  }
  return m;
}

/** Newest live-or-ended actor of a machine in a process (the page's "follow" selection). */
export function newestActor(m: Model, machine: string, pid?: string): ActorRec | undefined {
  let best: ActorRec | undefined;
  for (const a of Object.values(m.actors)) {
    if (a.machine !== machine || (pid && a.pid !== pid)) continue;
    if (!best || a.born > best.born || (a.born === best.born && a.id > best.id)) best = a;
  }
  return best;
}

/** What the server sends a page. */
export type ServerMessage =
  | { type: 'hello'; network: string; base: Model; records: Feed[]; now: number }
  | { type: 'feed'; records: Feed[]; sentAt: number };
