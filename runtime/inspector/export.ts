// A machine's config as JSON that `createMachine` accepts again, with every function replaced by
// what it is: guards, actions, actors and delays by name with their parameters, inline ones named
// after their own source text (so two different inline guards never share a name), built-in actions
// (assign, sendTo, spawnChild, ...) as `xstate.<kind>` with their arguments, and expressions
// (context factories, invoke inputs, dynamic params) as `{ $expr: "<source>" }`.
// `implementations` lists every name the config uses or the machine declares, with its source where
// it is inline, so a reader can provide stubs (or real code) and start the machine.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

export type Kind = 'guards' | 'actions' | 'actors' | 'delays';
export interface Implementation { origin: 'declared' | 'inline' | 'builtin'; source?: string }
export type Implementations = Record<Kind, Record<string, Implementation>>;
export interface ExportedMachine { config: Record<string, unknown>; implementations: Implementations }

type Fn = ((...a: unknown[]) => unknown) & Record<string, unknown>;
const BUILTIN_FIELDS = new Set(['type', 'resolve', 'execute', 'retryResolve', 'check', 'length', 'name', 'prototype']);

/** Collapsed source text of a function (what it does, for people and for names). */
export function sourceOf(fn: unknown): string {
  return String(fn).replace(/\s+/g, ' ').trim();
}

/** The expression an arrow function returns, e.g. `event.output === "commit"`; else its source. */
function bodyOf(fn: unknown): string {
  const src = sourceOf(fn);
  const arrow = /^(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>\s*([\s\S]*)$/.exec(src);
  return (arrow ? arrow[1]! : src).replace(/^\((.*)\)$/, '$1');
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 6);

/** A readable, unique name for an inline function: its body, shortened with a hash when long. */
export function inlineName(prefix: string, fn: unknown): string {
  const body = bodyOf(fn);
  return body.length <= 64 ? `${prefix}${body}` : `${prefix}${body.slice(0, 52).trimEnd()}… #${hash(sourceOf(fn))}`;
}

const isFn = (v: unknown): v is Fn => typeof v === 'function';
const expr = (v: unknown): unknown => (isFn(v) ? { $expr: sourceOf(v) } : describeValue(v));

/** JSON description of a value that may hold functions (params, events, inputs). */
function describeValue(v: unknown): unknown {
  if (isFn(v)) return { $expr: sourceOf(v) };
  if (Array.isArray(v)) return v.map(describeValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeValue(x)]));
  return v;
}

class Exporter {
  readonly impl: Implementations = { guards: {}, actions: {}, actors: {}, delays: {} };

  constructor(machine: AnyStateMachine) {
    const declared = machine.implementations as Partial<Record<Kind, Record<string, unknown>>>;
    for (const kind of ['guards', 'actions', 'actors', 'delays'] as Kind[]) {
      for (const name of Object.keys(declared[kind] ?? {})) this.impl[kind][name] = { origin: 'declared' };
    }
  }

  private use(kind: Kind, name: string, origin: Implementation['origin'], source?: string): string {
    this.impl[kind][name] ??= source === undefined ? { origin } : { origin, source };
    return name;
  }

  guard(g: unknown): unknown {
    if (typeof g === 'string') return this.use('guards', g, 'declared');
    if (isFn(g)) {
      if (typeof g.check === 'function' && typeof g.type === 'string') {
        // and/or/not/stateIn: keep the combinator's name and its operands.
        const params: Record<string, unknown> = {};
        if (Array.isArray(g.guards)) params.guards = g.guards.map((x) => this.guard(x));
        if (g.stateValue !== undefined) params.stateValue = describeValue(g.stateValue);
        return { type: this.use('guards', g.type, 'builtin'), params };
      }
      return { type: this.use('guards', inlineName('', g), 'inline', sourceOf(g)) };
    }
    const o = g as { type: string; params?: unknown };
    this.use('guards', o.type, 'declared');
    return o.params === undefined ? { type: o.type } : { type: o.type, params: expr(o.params) };
  }

  action(a: unknown): unknown {
    if (typeof a === 'string') return this.use('actions', a, 'declared');
    if (isFn(a)) {
      if (typeof a.type === 'string' && a.type.startsWith('xstate.')) return { type: this.use('actions', a.type, 'builtin'), params: this.builtinParams(a) };
      return { type: this.use('actions', inlineName('inline: ', a), 'inline', sourceOf(a)) };
    }
    const o = a as { type: string; params?: unknown };
    this.use('actions', o.type, 'declared');
    return o.params === undefined ? { type: o.type } : { type: o.type, params: expr(o.params) };
  }

  /** assign's assignments, sendTo's target and event, spawnChild's src/id/input, enqueueActions' body... */
  private builtinParams(a: Fn): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) {
      if (BUILTIN_FIELDS.has(k) || v === undefined) continue;
      if (k === 'src' && typeof v === 'string') out.src = this.use('actors', v, 'declared');
      else if (k === 'actions' && Array.isArray(v)) out.actions = v.map((x) => this.action(x));
      else out[k] = k === 'collect' ? { $expr: sourceOf(v) } : expr(v);
    }
    return out;
  }

  private actions(v: unknown): unknown {
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.map((a) => this.action(a)) : this.action(v);
  }

  transition(t: unknown): unknown {
    if (t === undefined || typeof t === 'string') return t;
    if (Array.isArray(t)) return t.map((x) => this.transition(x));
    if (isFn(t)) throw new Error(`transition functions cannot be exported: ${sourceOf(t).slice(0, 80)}`);
    const o = t as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (k === 'guard') out.guard = this.guard(v);
      else if (k === 'actions') out.actions = this.actions(v);
      else out[k] = describeValue(v);
    }
    return out;
  }

  private transitionMap(m: unknown): Record<string, unknown> {
    return Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([k, v]) => [k, this.transition(v)]));
  }

  private invoke(inv: Record<string, unknown>, stateId: string, index: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(inv)) {
      if (k === 'src') out.src = typeof v === 'string' ? this.use('actors', v, 'declared') : this.inlineActor(v, stateId, index);
      else if (k === 'onDone' || k === 'onError' || k === 'onSnapshot') out[k] = this.transition(v);
      else out[k] = expr(v);
    }
    return out;
  }

  /** An actor logic written inline in the config: xstate names it `xstate.invoke.<invoke id>`. */
  private inlineActor(logic: unknown, stateId: string, index: number): string {
    const cfg = (logic as { config?: unknown }).config;
    return this.use('actors', `xstate.invoke.${stateId}:invocation[${index}]`, 'inline', cfg === undefined ? undefined : sourceOf(cfg));
  }

  private delays(after: Record<string, unknown>): Record<string, unknown> {
    for (const k of Object.keys(after)) if (!/^\d+$/.test(k)) this.use('delays', k, 'declared');
    return this.transitionMap(after);
  }

  stateNode(cfg: Record<string, unknown>, id: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cfg)) {
      if (v === undefined) continue;
      switch (k) {
        case 'states':
          out.states = Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>)
            .map(([key, child]) => [key, this.stateNode(child, `${id}.${key}`)]));
          break;
        case 'on': out.on = this.transitionMap(v); break;
        case 'after': out.after = this.delays(v as Record<string, unknown>); break;
        case 'always': case 'onDone': out[k] = this.transition(v); break;
        case 'entry': case 'exit': out[k] = this.actions(v); break;
        case 'invoke': {
          const list = Array.isArray(v) ? v : [v];
          const done = list.map((inv, i) => this.invoke(inv as Record<string, unknown>, (cfg.id as string | undefined) ?? id, i));
          out.invoke = Array.isArray(v) ? done : done[0];
          break;
        }
        case 'initial': out.initial = isFn(v) ? expr(v) : describeValue(v); break;
        default: out[k] = expr(v);
      }
    }
    return out;
  }
}

/** Export one machine: its config as createMachine-ready JSON and the implementations it needs. */
export function exportMachine(machine: AnyStateMachine): ExportedMachine {
  const e = new Exporter(machine);
  const config = e.stateNode(machine.config as Record<string, unknown>, machine.id);
  return { config: JSON.parse(JSON.stringify(config)), implementations: e.impl };
}

const cache = new WeakMap<object, string>();

/** The exported config as JSON text, computed once per machine (for inspection events). */
export function exportedConfigJson(machine: AnyStateMachine): string {
  let text = cache.get(machine);
  if (text === undefined) {
    text = JSON.stringify(exportMachine(machine).config);
    cache.set(machine, text);
  }
  return text;
}
