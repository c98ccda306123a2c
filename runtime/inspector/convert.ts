// Inspection events (the @statelyai/inspect shape hosts stream on inspect.<processId>) -> the
// inspector's records: an `actor` record when an actor appears, one `step` per snapshot (with the
// event that caused it and its sender, paired from the preceding @xstate.event), a `machine` record
// the first time a machine's chart is seen. Contexts and events are summarised here (summarise.ts),
// so nothing the page receives carries key material; unchanged contexts are not sent again.
import { chartFromDefinition } from './chart.ts';
import type { Feed } from './model.ts';
import { summarise } from './summarise.ts';

export type Unstamped = Feed extends infer F ? F extends Feed ? Omit<F, 'seq'> : never : never;

export interface InspectionEventLike {
  type: string; sessionId: string; processId?: string; systemId?: string; createdAt?: string;
  name?: string; definition?: string; parentId?: string; snapshot?: unknown; event?: unknown; sourceId?: string;
}

interface Snap { value?: unknown; status?: string; context?: unknown }

const MAX_BODY = 600;

/** A small summary of an event's payload (bus events carry `body`), or nothing when it is large. */
function eventBody(event: unknown): unknown {
  if (!event || typeof event !== 'object') return undefined;
  const { type: _type, meta: _meta, ...rest } = event as Record<string, unknown>;
  if (Object.keys(rest).length === 0) return undefined;
  const s = summarise(rest);
  return JSON.stringify(s).length <= MAX_BODY ? s : { summary: `${Object.keys(rest).join(', ')} (large)` };
}

export class InspectionConverter {
  private charts = new Set<string>();
  private machineOf = new Map<string, string | undefined>();
  private pending = new Map<string, { ev: string; sender?: string; body?: unknown }>();
  private lastCtx = new Map<string, string>();

  convert(ev: InspectionEventLike, now = Date.now()): Unstamped[] {
    const t = Number(ev.createdAt) || now;
    const id = ev.sessionId;
    switch (ev.type) {
      case '@xstate.actor': return this.actor(ev, t);
      case '@xstate.event': {
        const e = ev.event as { type?: string } | undefined;
        this.pending.set(id, { ev: String(e?.type ?? '?'), sender: ev.sourceId, body: eventBody(e) });
        return [];
      }
      case '@xstate.snapshot': {
        const snap = (ev.snapshot ?? {}) as Snap;
        const e = ev.event as { type?: string } | undefined;
        const p = this.pending.get(id);
        const type = String(e?.type ?? p?.ev ?? '?');
        this.pending.delete(id);
        const step: Unstamped = { k: 'step', t, id, ev: type, value: snap.value, status: snap.status ?? 'active' };
        if (p && p.ev === type) { if (p.sender) step.sender = p.sender; if (p.body !== undefined) step.body = p.body; }
        const ctx = this.context(id, snap.context);
        if (ctx !== undefined) step.ctx = ctx;
        if (step.status !== 'active') this.forget(id);
        return [step];
      }
      default: return [];
    }
  }

  private actor(ev: InspectionEventLike, t: number): Unstamped[] {
    const out: Unstamped[] = [];
    const snap = (ev.snapshot ?? {}) as Snap;
    let machine: string | undefined;
    if (ev.definition) {
      const chart = chartFromDefinition(ev.definition);
      machine = chart?.machine;
      if (chart && !this.charts.has(chart.machine)) { this.charts.add(chart.machine); out.push({ k: 'machine', t, machine: chart.machine, chart }); }
    }
    this.machineOf.set(ev.sessionId, machine);
    this.lastCtx.delete(ev.sessionId);
    const ctx = this.context(ev.sessionId, snap.context) ?? summarise(snap.context ?? null);
    out.push({
      k: 'actor', t, id: ev.sessionId, pid: ev.processId ?? ev.sessionId.split('/')[0]!, sys: ev.systemId,
      name: ev.name ?? ev.sessionId, machine, parent: ev.parentId, value: snap.value, status: snap.status ?? 'active', ctx,
    });
    return out;
  }

  /** The summarised context when it changed since the last record of this actor, else undefined. */
  private context(id: string, context: unknown): unknown {
    if (context === undefined) return undefined;
    const s = summarise(context);
    const text = JSON.stringify(s);
    if (this.lastCtx.get(id) === text) return undefined;
    this.lastCtx.set(id, text);
    return s;
  }

  private forget(id: string): void {
    this.lastCtx.delete(id); this.machineOf.delete(id); this.pending.delete(id);
  }

  /** The same event for the Stately relay, with context and event summarised. */
  static sanitise(ev: InspectionEventLike): InspectionEventLike {
    const out: InspectionEventLike = { ...ev };
    if (ev.event !== undefined) out.event = summarise(ev.event);
    if (ev.snapshot && typeof ev.snapshot === 'object') {
      const s = ev.snapshot as Record<string, unknown>;
      out.snapshot = { ...summarise({ ...s, context: undefined }) as object, context: summarise(s.context ?? null) };
    }
    return out;
  }
}
