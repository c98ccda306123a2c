// A statechart's drawable structure (states, nesting, transitions with event and guard labels,
// invoked actors) from a machine definition as it arrives in inspection events (the exported
// config, runtime/inspector/export.ts): xstate resolves it, so targets are what the machine uses.
import { createMachine, type AnyStateMachine } from 'xstate';
import type { Chart, ChartEdge, ChartState } from './model.ts';

type StateNode = AnyStateMachine['root'];
type Transition = { target?: ReadonlyArray<{ id: string }>; guard?: unknown; eventType: string };

const short = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function guardLabel(g: unknown): string {
  if (g === undefined) return '';
  const name = typeof g === 'string' ? g : typeof g === 'function' ? 'guard' : (g as { type: string }).type;
  const params = typeof g === 'object' && g && 'params' in g ? (g as { params?: unknown }).params : undefined;
  const p = params && typeof params === 'object' && !('$expr' in params) ? ` ${JSON.stringify(params)}` : '';
  return ` [${short(name + p)}]`;
}

function actionName(a: unknown): string {
  return typeof a === 'string' ? a : typeof a === 'function' ? ((a as { type?: string }).type ?? 'inline') : (a as { type: string }).type;
}

/** "session.ready", "done: receiveFrames", "after step", "always". */
function eventLabel(node: StateNode, descriptor: string): string {
  const invoke = (prefix: string) => {
    const id = descriptor.slice(prefix.length);
    const inv = node.invoke.find((i) => i.id === id);
    return inv ? inv.src as string : id;
  };
  if (descriptor.startsWith('xstate.done.actor.')) return `done: ${invoke('xstate.done.actor.')}`;
  if (descriptor.startsWith('xstate.error.actor.')) return `error: ${invoke('xstate.error.actor.')}`;
  if (descriptor.startsWith('xstate.done.state.')) return 'done';
  const after = node.after.find((t) => t.eventType === descriptor);
  if (after) return `after ${typeof after.delay === 'function' ? 'delay' : after.delay}`;
  return descriptor;
}

function chartOf(machine: AnyStateMachine): Chart {
  const edges: ChartEdge[] = [];
  const visit = (node: StateNode): ChartState => {
    const internal: string[] = [];
    const add = (t: Transition, event: string, text: string) => {
      const label = `${text}${guardLabel(t.guard)}`;
      if (!t.target?.length) { internal.push(label); return; }
      for (const target of t.target) edges.push({ id: `e${edges.length}`, source: node.id, target: target.id, event, label });
    };
    for (const [descriptor, list] of node.transitions) for (const t of list) add(t as Transition, descriptor, eventLabel(node, descriptor));
    for (const t of node.always ?? []) add(t as Transition, 'always', 'always');
    return {
      id: node.id, key: node.key, type: node.type,
      initial: node.initial?.target[0]?.id,
      invokes: node.invoke.map((i) => i.src as string),
      entry: node.entry.map(actionName), exit: node.exit.map(actionName),
      internal,
      children: Object.values(node.states).map(visit),
    };
  };
  return { machine: machine.id, root: visit(machine.root), edges };
}

const cache = new Map<string, Chart | null>();

/** The chart of a definition (JSON text), or undefined when it is not a state machine config. */
export function chartFromDefinition(definition: string): Chart | undefined {
  if (cache.has(definition)) return cache.get(definition) ?? undefined;
  let chart: Chart | null = null;
  try {
    const config = JSON.parse(definition) as { states?: unknown };
    if (config && typeof config === 'object' && config.states) chart = chartOf(createMachine(config as never));
  } catch { /* not a machine config */ }
  if (cache.size > 500) cache.clear();
  cache.set(definition, chart);
  return chart ?? undefined;
}
