// xstate inspection events -> the JSON shape of @statelyai/inspect (StatelyInspectionEvent:
// type, sessionId, rootId, createdAt, id, _version, plus name/definition/parentId/snapshot for
// @xstate.actor, event/sourceId for @xstate.event, event/snapshot for @xstate.snapshot), so they
// can be relayed unchanged to anything speaking the createWebSocketInspector protocol.
// We add `processId` and `systemId` so a multi-process table can say where each actor lives, and
// qualify session ids with the process id (xstate's are only unique within one process).
import type { AnyActorRef, AnyStateMachine, InspectionEvent } from 'xstate';
import { exportedConfigJson } from './inspector/export.ts';

export const INSPECT_PROTOCOL_VERSION = '0.4.0';

export interface StatelyLikeEvent {
  type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';
  sessionId: string;
  rootId: string | undefined;
  createdAt: string;
  id: string;
  _version: string;
  processId: string;
  systemId?: string;
  [k: string]: unknown;
}

/** JSON-safe copy: drops functions, cuts cycles, summarises typed arrays and big values. */
export function jsonSafe(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = key === '' ? value : this[key];
    // Buffer has toJSON ({ type: 'Buffer', data: [...bytes] }): summarise the original instead.
    if (ArrayBuffer.isView(raw)) return { typedArray: raw.constructor.name, length: (raw as unknown as { length?: number }).length ?? raw.byteLength };
    if (typeof v === 'function') return undefined;
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object') {
      if (ArrayBuffer.isView(v)) return { typedArray: v.constructor.name, length: (v as unknown as { length?: number }).length ?? v.byteLength };
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
  return text === undefined ? null : JSON.parse(text);
}

/** The machine's config with every function named or described (runtime/inspector/export.ts). */
function definitionJson(ref: AnyActorRef): string {
  const logic = (ref as { logic?: AnyStateMachine }).logic;
  if (logic && typeof logic.config === 'object' && logic.root) {
    try { return exportedConfigJson(logic); } catch { /* a config the exporter cannot describe */ }
  }
  return JSON.stringify({ id: ref.id });
}

let counter = 0;
const nextId = () => `${Date.now().toString(36)}-${(++counter).toString(36)}`;

export function actorName(ref: AnyActorRef): string {
  const config = (ref as { logic?: { config?: { id?: string } } }).logic?.config;
  return ref.id === ref.sessionId && config?.id ? config.id : ref.id;
}

/** xstate session ids ("x:3") are only unique within a process: qualify them with the process id. */
export function qualify(processId: string, sessionId: string): string;
export function qualify(processId: string, sessionId: string | undefined): string | undefined;
export function qualify(processId: string, sessionId: string | undefined): string | undefined {
  return sessionId === undefined ? undefined : `${processId}/${sessionId}`;
}

export function convertInspectionEvent(ev: InspectionEvent, processId: string): StatelyLikeEvent | undefined {
  const ref = ev.actorRef as AnyActorRef;
  const q = (id: string | undefined) => qualify(processId, id);
  const base = {
    sessionId: q(ref.sessionId)!,
    rootId: q(ev.rootId),
    createdAt: Date.now().toString(),
    id: nextId(),
    _version: INSPECT_PROTOCOL_VERSION,
    processId,
    systemId: (ref as { systemId?: string }).systemId,
  };
  switch (ev.type) {
    case '@xstate.actor':
      return {
        ...base, type: '@xstate.actor', name: actorName(ref), definition: definitionJson(ref),
        parentId: q(ref._parent?.sessionId), snapshot: jsonSafe(ref.getSnapshot()),
      };
    case '@xstate.event':
      return { ...base, type: '@xstate.event', event: jsonSafe(ev.event), sourceId: q(ev.sourceRef?.sessionId) };
    case '@xstate.snapshot':
      return { ...base, type: '@xstate.snapshot', event: jsonSafe(ev.event), snapshot: jsonSafe(ev.snapshot) };
    default:
      return undefined;
  }
}

/** "idle", "registered.waiting", or "a.b,c.d" for parallel states; else the actor status. */
export function stateString(snapshot: unknown): string {
  const s = snapshot as { value?: unknown; status?: string } | undefined;
  if (!s) return 'unknown';
  const flat = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, sub]) => {
      const inner = flat(sub);
      return inner.length ? inner.map((i) => `${k}.${i}`) : [k];
    });
    return [];
  };
  const value = s.value === undefined ? [] : flat(s.value);
  const text = value.join(',') || s.status || 'unknown';
  return s.status && s.status !== 'active' ? `${text} (${s.status})` : text;
}
