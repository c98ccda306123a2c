// A statechart drawn from its chart: elkjs lays out the nested states and the transitions (layered,
// hierarchy included), the SVG shows each state (invoked actors and in-state transitions inside it),
// each transition labelled "event [guard]"; the actor's current states are highlighted and its last
// transitions animated. Layouts are computed once per machine.
import { useEffect, useState } from 'preact/hooks';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api';
import type { Chart, ChartEdge, ChartState, Step } from '../model.ts';

const elk = new ELK();
const CHAR = 6.4, LINE = 14;

interface Box { id: string; x: number; y: number; w: number; h: number; s?: ChartState; depth: number; lines: string[] }
interface Route { edge: ChartEdge; d: string; lx?: number; ly?: number }
export interface Layout { width: number; height: number; boxes: Box[]; routes: Route[] }

const textW = (s: string) => s.length * CHAR;
const cut = (s: string, n = 44) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const anyId = (c: Chart) => `${c.machine}::any`;

function linesOf(s: ChartState): string[] {
  return [
    ...s.invokes.map((i) => `⟳ ${cut(i)}`),
    ...s.internal.slice(0, 4).map((l) => `↺ ${cut(l)}`),
    ...(s.internal.length > 4 ? [`↺ … ${s.internal.length - 4} more`] : []),
  ];
}

function elkNode(s: ChartState): ElkNode {
  const lines = linesOf(s);
  const title = s.key + (s.type === 'parallel' ? ' ∥' : '');
  if (s.children.length) {
    return {
      id: s.id, children: s.children.map(elkNode),
      layoutOptions: {
        'elk.padding': `[top=${24 + lines.length * LINE},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.max(textW(title), ...lines.map(textW)) + 28},40)`,
      },
    };
  }
  return { id: s.id, width: Math.max(84, textW(title) + 24, ...lines.map((l) => textW(l) + 20)), height: 28 + lines.length * LINE };
}

async function layoutOf(chart: Chart): Promise<Layout> {
  const hasAny = chart.edges.some((e) => e.source === chart.root.id);
  const children = chart.root.children.map(elkNode);
  if (hasAny) children.unshift({ id: anyId(chart), width: 96, height: 26 });
  const edges: ElkExtendedEdge[] = chart.edges.map((e) => ({
    id: e.id, sources: [e.source === chart.root.id ? anyId(chart) : e.source], targets: [e.target],
    labels: [{ text: cut(e.label, 56), width: textW(cut(e.label, 56)) + 6, height: 12 }],
  }));
  const g: ElkNode = await elk.layout({
    id: 'root', children, edges,
    layoutOptions: {
      'elk.algorithm': 'layered', 'elk.direction': 'DOWN', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36', 'elk.spacing.nodeNode': '28', 'elk.spacing.edgeLabel': '4',
      'elk.json.edgeCoords': 'ROOT', 'elk.json.shapeCoords': 'ROOT', 'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
  } as ElkNode);
  const states = new Map<string, ChartState>();
  const index = (s: ChartState) => { states.set(s.id, s); s.children.forEach(index); };
  index(chart.root);
  const boxes: Box[] = [];
  const walk = (n: ElkNode, depth: number) => {
    const s = states.get(n.id);
    boxes.push({ id: n.id, x: n.x ?? 0, y: n.y ?? 0, w: n.width ?? 0, h: n.height ?? 0, s, depth, lines: s ? linesOf(s) : [] });
    for (const c of n.children ?? []) walk(c, depth + 1);
  };
  for (const c of g.children ?? []) walk(c, 0);
  const byId = new Map(chart.edges.map((e) => [e.id, e]));
  const routes: Route[] = (g.edges ?? []).map((e) => {
    const sec = (e as ElkExtendedEdge).sections?.[0];
    const pts = sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
    const label = (e as ElkExtendedEdge).labels?.[0];
    return { edge: byId.get(e.id)!, d: pts.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '), lx: label?.x, ly: label?.y };
  });
  return { width: g.width ?? 400, height: g.height ?? 300, boxes, routes };
}

const layouts = new Map<string, Promise<Layout>>();
export function useLayout(chart: Chart | undefined): Layout | undefined {
  const [layout, setLayout] = useState<Layout | undefined>();
  useEffect(() => {
    setLayout(undefined);
    if (!chart) return;
    let live = true;
    const key = chart.machine;
    if (!layouts.has(key)) layouts.set(key, layoutOf(chart));
    layouts.get(key)!.then((l) => { if (live) setLayout(l); }, (e) => console.error('layout failed', e));
    return () => { live = false; };
  }, [chart?.machine]);
  return layout;
}

/** State ids active in a state text ("a.b,c" -> machine.a, machine.a.b, machine.c). */
export function idsOf(machine: string, text: string): Set<string> {
  const out = new Set<string>();
  for (const path of text.split(',')) {
    let id = machine;
    for (const k of path.split('.')) { if (!k) continue; id = `${id}.${k}`; out.add(id); }
  }
  return out;
}

/** The chart edges a step most likely took: from a state it left to a state it entered, on its event. */
export function edgesOfStep(chart: Chart, step: Step): ChartEdge[] {
  if (step.from === step.to) return [];
  const from = idsOf(chart.machine, step.from);
  const to = idsOf(chart.machine, step.to);
  from.add(chart.root.id);
  const onEvent = chart.edges.filter((e) => from.has(e.source) && to.has(e.target) && e.event === step.ev);
  if (onEvent.length) return onEvent.slice(0, 1);
  // Eventless hops taken in the same step ("always"), or delayed ones.
  return chart.edges.filter((e) => from.has(e.source) && to.has(e.target) && (e.event === 'always' || e.event.startsWith('xstate.after'))).slice(0, 1);
}

export function Diagram({ chart, state, steps }: { chart: Chart; state: string; steps: Step[] }) {
  const layout = useLayout(chart);
  if (!layout) return <p class="empty" data-diagram="pending">laying out {chart.machine}…</p>;
  const active = idsOf(chart.machine, state);
  const recent = new Map<string, number>();
  const moves = steps.filter((s) => s.from !== s.to).slice(-3).reverse();
  moves.forEach((s, i) => { for (const e of edgesOfStep(chart, s)) if (!recent.has(e.id)) recent.set(e.id, i); });
  const lastSeq = moves[0]?.seq ?? 0;
  return (
    <svg class="diagram" viewBox={`0 0 ${layout.width} ${layout.height}`} style={{ maxWidth: `${layout.width}px` }}
      data-machine={chart.machine} data-current={state}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker>
        <marker id="arrow-hot" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="hot" /></marker>
      </defs>
      {layout.boxes.map((b) => {
        const isActive = active.has(b.id);
        const cls = `st ${b.s?.type ?? 'any'} ${isActive ? 'active' : ''}`;
        const parentInitial = b.s && layout.boxes.some((p) => p.s?.initial === b.id);
        return (
          <g key={b.id} class={cls} data-state-id={b.s ? b.id : undefined} data-active={isActive ? 'true' : undefined}>
            <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={b.s?.children.length ? 8 : 12} />
            {b.s?.type === 'final' && <rect class="inner" x={b.x + 3} y={b.y + 3} width={b.w - 6} height={b.h - 6} rx={9} />}
            {(parentInitial || chart.root.initial === b.id) && <circle class="initial" cx={b.x - 5} cy={b.y + 12} r={4} />}
            <text x={b.x + (b.s?.children.length ? 10 : b.w / 2)} y={b.y + 17} class={b.s?.children.length ? 'title left' : 'title'}>{b.s ? b.s.key : '∗ any state'}{b.s?.type === 'parallel' ? ' ∥' : ''}</text>
            {b.lines.map((l, i) => <text key={i} x={b.x + 10} y={b.y + 31 + i * LINE} class="line">{l}</text>)}
          </g>
        );
      })}
      {layout.routes.map((r) => {
        const hot = recent.get(r.edge.id);
        return (
          <g key={hot === undefined ? r.edge.id : `${r.edge.id}-${lastSeq}`} class={hot === undefined ? 'tr' : `tr recent recent-${hot}`} data-edge={r.edge.id} data-event={r.edge.event}>
            <path d={r.d} marker-end={hot === undefined ? 'url(#arrow)' : 'url(#arrow-hot)'} />
            {r.lx !== undefined && <text x={r.lx + 3} y={(r.ly ?? 0) + 9} class="label">{cut(r.edge.label, 56)}</text>}
          </g>
        );
      })}
    </svg>
  );
}
