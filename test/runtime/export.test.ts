// `hetqn inspect --export`: every machine of the catalog round-trips through createMachine with the
// same states and transitions (compared on xstate's own resolved state-node trees), names every guard,
// action, actor and delay it uses in its implementations list, and starts with stub implementations
// in its initial state. Also the CLI writes one createMachine-ready file per machine.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActor, createMachine, fromPromise, type AnyStateMachine } from 'xstate';
import { machineCatalog } from '../../runtime/machine-catalog.ts';
import { exportMachine, type Implementations } from '../../runtime/inspector/export.ts';
import { spawnTs } from '../../runtime/launcher.ts';

type Node = AnyStateMachine['root'];
const GENERIC = new Set(['guard', 'anonymous', 'context', 'input', 'actions', 'entry', 'exit', '']);

const guardName = (g: unknown): string => (g === undefined ? '-' : typeof g === 'function' ? 'inline' : typeof g === 'string' ? g : (g as { type: string }).type);
const actionName = (a: unknown): string => {
  if (typeof a === 'string') return a;
  if (typeof a === 'function') return (a as unknown as { type?: string }).type?.startsWith('xstate.') ? (a as unknown as { type: string }).type : 'inline';
  return (a as { type: string }).type;
};

/** The resolved structure of a state node: what must survive the round trip. `inline` marks a
 *  function in the original, which the export must replace by some specific name. */
function shape(n: Node): unknown {
  const transitions = [...n.transitions.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([event, ts]) => [event, ts.map((t) => ({
    targets: (t.target ?? []).map((x) => x.id), guard: guardName(t.guard), reenter: t.reenter, actions: t.actions.map(actionName),
  }))]);
  return {
    id: n.id, type: n.type, initial: n.initial?.target.map((x) => x.id),
    entry: n.entry.map(actionName), exit: n.exit.map(actionName),
    always: (n.always ?? []).map((t) => ({ targets: (t.target ?? []).map((x) => x.id), guard: guardName(t.guard), actions: t.actions.map(actionName) })),
    after: n.after.map((t) => ({ delay: typeof t.delay === 'function' ? 'inline' : t.delay, targets: (t.target ?? []).map((x) => x.id), guard: guardName(t.guard) })),
    invoke: n.invoke.map((i) => ({ id: i.id, src: i.src })),
    transitions,
    states: Object.values(n.states).map(shape),
  };
}

/** Compare an original shape with the exported one: equal except that `inline` matches any specific name. */
function same(t: import('ava').ExecutionContext, orig: unknown, exp: unknown, where: string): void {
  if (orig === 'inline') {
    t.true(typeof exp === 'string' && !GENERIC.has(exp as string), `${where}: inline function exported as "${String(exp)}"`);
    return;
  }
  if (Array.isArray(orig)) {
    t.true(Array.isArray(exp) && exp.length === orig.length, `${where}: ${JSON.stringify(orig)} vs ${JSON.stringify(exp)}`);
    orig.forEach((o, i) => same(t, o, (exp as unknown[])[i], `${where}[${i}]`));
    return;
  }
  if (orig && typeof orig === 'object') {
    t.deepEqual(Object.keys(exp as object).sort(), Object.keys(orig).sort(), where);
    for (const [k, v] of Object.entries(orig)) same(t, v, (exp as Record<string, unknown>)[k], `${where}.${k}`);
    return;
  }
  t.is(exp, orig, where);
}

/** The initial state value, read off the original machine's resolved tree. */
function initialValue(n: Node): unknown {
  if (n.type === 'parallel') return Object.fromEntries(Object.entries(n.states).map(([k, c]) => [k, initialValue(c)]));
  if (n.type !== 'compound') return {};
  const target = n.initial!.target[0]!;
  const inner = initialValue(target);
  return target.type === 'compound' || target.type === 'parallel' ? { [target.key]: inner } : target.key;
}

/** Every name the exported config refers to, by kind (walked as a state-node tree). */
function referenced(config: unknown): Record<keyof Implementations, Set<string>> {
  const out = { guards: new Set<string>(), actions: new Set<string>(), actors: new Set<string>(), delays: new Set<string>() };
  type O = Record<string, any>;
  const list = (v: unknown): any[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const guard = (g: any): void => { if (g) { out.guards.add(typeof g === 'string' ? g : g.type); list(g.params?.guards).forEach(guard); } };
  const action = (a: any): void => {
    out.actions.add(typeof a === 'string' ? a : a.type);
    if (typeof a?.params?.src === 'string') out.actors.add(a.params.src);
  };
  const transition = (t: any): void => { for (const x of list(t)) if (x && typeof x === 'object') { guard(x.guard); list(x.actions).forEach(action); } };
  const node = (n: O): void => {
    list(n.entry).forEach(action); list(n.exit).forEach(action);
    Object.values(n.on ?? {}).forEach(transition);
    for (const [d, x] of Object.entries(n.after ?? {})) { if (!/^\d+$/.test(d)) out.delays.add(d); transition(x); }
    transition(n.always); transition(n.onDone);
    for (const i of list(n.invoke)) { out.actors.add(i.src); transition(i.onDone); transition(i.onError); transition(i.onSnapshot); }
    Object.values(n.states ?? {}).forEach((c) => node(c as O));
  };
  node(config as O);
  return out;
}

function stubs(impl: Implementations) {
  const never = fromPromise(() => new Promise<never>(() => {}));
  return {
    guards: Object.fromEntries(Object.keys(impl.guards).map((n) => [n, () => false])),
    actions: Object.fromEntries(Object.keys(impl.actions).map((n) => [n, () => {}])),
    actors: Object.fromEntries(Object.keys(impl.actors).map((n) => [n, never])),
    delays: Object.fromEntries(Object.keys(impl.delays).map((n) => [n, () => 3_600_000])),
  };
}

const machines = await Promise.all(machineCatalog.map((load) => load()));

test('the catalog holds every machine once', (t) => {
  t.is(new Set(machines.map((m) => m.id)).size, machines.length);
  t.true(machines.length >= 18);
});

for (const m of machines) {
  test(`${m.id}: export round-trips through createMachine and starts with stubs`, (t) => {
    const { config, implementations } = exportMachine(m);
    const text = JSON.stringify(config);
    t.notRegex(text, /"type":"(guard|context|input|anonymous)"/, 'no generic placeholder names');
    const again = createMachine(JSON.parse(text));
    same(t, shape(m.root), shape(again.root), m.id);

    // every referenced name is listed (with its source when inline); declared names are all listed
    const refs = referenced(config);
    for (const kind of ['guards', 'actions', 'actors', 'delays'] as const) {
      for (const name of refs[kind]) t.truthy(implementations[kind][name], `${m.id}: ${kind} "${name}" is listed`);
      for (const name of Object.keys((m.implementations as unknown as Record<string, Record<string, unknown>>)[kind] ?? {})) t.truthy(implementations[kind][name], `${m.id}: declared ${kind} "${name}"`);
      for (const [name, i] of Object.entries(implementations[kind])) if (i.origin === 'inline') t.truthy(i.source, `${m.id}: inline ${kind} "${name}" has its source`);
    }
    // context functions are described by their source, not a placeholder
    if (typeof m.config.context === 'function') t.regex((config.context as { $expr: string }).$expr, /=>/);

    const actor = createActor(again.provide(stubs(implementations) as never), { input: {} });
    let error: unknown;
    actor.subscribe({ error: (e) => { error = e; } });
    actor.start();
    t.is(error, undefined);
    t.is(actor.getSnapshot().status, 'active');
    t.deepEqual(actor.getSnapshot().value, initialValue(m.root));
    actor.stop();
  });
}

test('inline guards with different code get different names', (t) => {
  for (const m of machines) {
    const bySource = new Map<string, string>();
    for (const [name, i] of Object.entries(exportMachine(m).implementations.guards)) {
      if (i.origin !== 'inline') continue;
      t.false(bySource.has(i.source!), `${m.id}: "${name}" and "${bySource.get(i.source!)}" share a source`);
      bySource.set(i.source!, name);
    }
  }
});

test('a named guard keeps its parameters (the task coordinator picks the task kind)', (t) => {
  const m = machines.find((x) => x.id === 'taskCoordinator')!;
  const on = (exportMachine(m).config.states as Record<string, { on: Record<string, Array<{ guard: unknown }>> }>).serving.on['task.request'];
  t.deepEqual(on.map((x) => x.guard), ['sign', 'qba', 'conference'].map((kind) => ({ type: 'isKind', params: { kind } })));
});

test('hetqn inspect --export writes a createMachine-ready config and an implementations list per machine', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-export-'));
  const c = spawnTs('runtime/cli/main.ts', ['inspect', '--export', dir, '--json'], {});
  let stdout = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  const code = await new Promise((r) => c.once('exit', r));
  t.is(code, 0);
  const out = JSON.parse(stdout) as { exported: string[] };
  t.is(out.exported.length, machines.length * 2);
  for (const m of machines) {
    const config = JSON.parse(fs.readFileSync(path.join(dir, `${m.id}.json`), 'utf8'));
    const impl = JSON.parse(fs.readFileSync(path.join(dir, `${m.id}.implementations.json`), 'utf8')) as Implementations;
    const actor = createActor(createMachine(config).provide(stubs(impl) as never), { input: {} }).start();
    t.deepEqual(actor.getSnapshot().value, initialValue(m.root), m.id);
    actor.stop();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
