// Sessions, tasks and QBA round trees, read off the actors of a model (coordinator and party
// contexts, task actors and their spawned round actors).
import type { ActorRec, Model } from '../model.ts';

type Obj = Record<string, any>;
const ctx = (a: ActorRec): Obj => (a.ctx && typeof a.ctx === 'object' ? a.ctx as Obj : {});

export interface SessionInfo {
  sessionId: string; a: string; b: string; protocol: string; relays: string[]; stage: string; active: boolean;
  coordinator: ActorRec; parties: ActorRec[]; born: number;
}

function relaysOf(relay: Obj | undefined): string[] {
  if (!relay) return [];
  if (Array.isArray(relay.nodes)) return relay.nodes as string[];
  return typeof relay.node === 'string' ? [relay.node] : [];
}

export function sessionsOf(m: Model): SessionInfo[] {
  const actors = Object.values(m.actors);
  const parties = new Map<string, ActorRec[]>();
  for (const a of actors) {
    if (a.machine !== 'party') continue;
    const sid = ctx(a).start?.sessionId as string | undefined;
    if (sid) parties.set(sid, [...(parties.get(sid) ?? []), a]);
  }
  const out: SessionInfo[] = [];
  for (const c of actors) {
    if (c.machine !== 'sessionCoordinator') continue;
    const plan = (ctx(c).plan ?? {}) as Obj;
    const sessionId = (plan.sessionId as string) ?? c.id;
    out.push({
      sessionId, a: plan.a ?? '?', b: plan.b ?? '?', protocol: plan.protocol ?? '?', relays: relaysOf(plan.relay),
      stage: c.state, active: c.status === 'active', coordinator: c,
      parties: (parties.get(sessionId) ?? []).sort((x, y) => x.pid.localeCompare(y.pid)), born: c.born,
    });
  }
  return out.sort((x, y) => Number(y.active) - Number(x.active) || y.born - x.born);
}

export interface TaskInfo { id: string; kind: string; state: string; active: boolean; actor: ActorRec; born: number }

const TASK_MACHINES: Record<string, string> = { signTask: 'sign', conferenceTask: 'conference', qbaTask: 'qba' };

export function tasksOf(m: Model): TaskInfo[] {
  return Object.values(m.actors).filter((a) => a.machine && TASK_MACHINES[a.machine])
    .map((a) => ({ id: a.id, kind: TASK_MACHINES[a.machine!]!, state: a.state, active: a.status === 'active', actor: a, born: a.born }))
    .sort((x, y) => Number(y.active) - Number(x.active) || y.born - x.born);
}

export interface RoundNode { actor: ActorRec; path: string; children: RoundNode[] }

/** The multicast-round actors spawned under a task actor, as the tree they form. */
export function roundTree(m: Model, taskId: string): RoundNode[] {
  const rounds = Object.values(m.actors).filter((a) => a.machine === 'qbaRound');
  const build = (parent: string): RoundNode[] => rounds.filter((r) => r.parent === parent)
    .map((r) => ({ actor: r, path: String(ctx(r).id ?? r.name), children: build(r.id) }))
    .sort((x, y) => x.path.localeCompare(y.path));
  return build(taskId);
}
