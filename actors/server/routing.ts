// Routing control: least-loss light paths through the switch fabric. Vertices are the
// transmitter, every switch port (light entering the switch there, "in", or leaving it, "out")
// and the endpoint; edges are the node fibres, the cross-connects inside a switch (MEMS: any
// free port to any free port of the same switch), the strands between two sites' switches, and
// the server's DoF converters (in-port -> out-port, changing the DoF, paying their insertion
// loss). A transmitter with its own converter may leave in another DoF at no channel cost (the
// converter sits before its attenuator, docs/reference/physics-and-keyrates.md). Dijkstra over (vertex, DoF)
// gives the least-loss leg that arrives in an accepted DoF; the orchestration core combines
// legs and ranks them by key rate.
// A cross-connect only ever leads somewhere useful: to the target's fibre, a converter, the beam
// splitter, or a strand towards another site (the first free strand of each bundle: strands of
// a bundle are alike). Light into another node's fibre or a spare port goes nowhere, so those
// ports are not expanded; the result is the same path as over all ports, at a cost that does
// not grow with the number of nodes on the switch. A leg never uses a port twice.
import type { Dof, NodeId } from '../../protocols/types.ts';
import { fibreLossDb } from '../../protocols/physics/channel.ts';
import type { Conversion, Hop, NetworkView, NodeView, RouteLeg } from './orchestration-types.ts';
import { canConvert } from '../../protocols/qkd/dof.ts';
import { isFree, resourceId, type ResourceId, type ResourcePool } from './resources.ts';
import { connectionOf, portInfo, type FabricState, type PortInfo } from './switch-fabric.ts';
import { portIndex, portSite } from './port-index.ts';
import { viewIndex } from './sites.ts';
import { MinHeap } from './min-heap.ts';

export interface RoutingContext {
  view: NetworkView;
  fabric: FabricState;
  pool: ResourcePool;
  /** Ports and converters already taken by other legs of the plan being built. */
  usedPorts: ReadonlySet<number>;
  usedResources: ReadonlySet<ResourceId>;
  /** Ignore current reservations and cross-connects (structural feasibility). */
  ignoreOccupancy?: boolean;
}

export type LegTarget = { kind: 'node'; node: NodeId } | { kind: 'bs'; id: string };

export interface PlannedLeg extends RouteLeg {
  conversions: Conversion[];
  /** Ports of the leg (for resources). */
  ports: number[];
}

export function nodeLinkLossDb(view: NetworkView, n: NodeView): number {
  return fibreLossDb(n.linkKm, view.fibreDbPerKm ?? 0.2, n.extraLossDb ?? 0);
}

interface State {
  at: 'start' | 'in' | 'out' | 'end';
  /** The port (in/out states), -1 otherwise. */
  port: number;
  dof: Dof;
  /** Server converters already on this path (a converter carries one signal: no loops). */
  convs: readonly string[];
}
/** What a label's last hop was: ports as numbers, nodes and beam splitters by name (the Hop
 *  objects with their "port:n" strings are only made for the path that wins). */
interface Step {
  kind?: Hop['kind'];
  from?: number | string;
  to?: number | string;
  loss?: number;
  conversion?: Conversion;
  resource?: ResourceId;
}
interface Label {
  s: State;
  d: number;
  prev?: Label;
  step: Step;
}

const TIE_EPS = 1e-9;
/** Server conversions on one leg: any DoF reaches any other in two (converters map pol <-> x). */
const MAX_SERVER_CONVERSIONS = 2;
const AT = { start: 0, in: 1, out: 2, end: 3 } as const;
const DOF_INDEX: Record<Dof, number> = { pol: 0, tbp: 1, pha: 2 };
// States that differ only in which converters they used are one state (the cheaper path wins):
// keeping each set apart makes the search exponential in the number of converters of a network.
const stateKey = (s: State) => ((s.port + 1) * 4 + AT[s.at]) * 9 + DOF_INDEX[s.dof] * 3 + s.convs.length;

function portUsable(ctx: RoutingContext, p: PortInfo): boolean {
  if (ctx.usedPorts.has(p.port)) return false;
  if (ctx.ignoreOccupancy) return true;
  return isFree(ctx.pool, resourceId.port(p.port)) && connectionOf(ctx.fabric, p.port) === undefined;
}

function resourceUsable(ctx: RoutingContext, r: ResourceId): boolean {
  if (ctx.usedResources.has(r)) return false;
  return ctx.ignoreOccupancy === true || isFree(ctx.pool, r);
}

function onPath(l: Label | undefined, port: number): boolean {
  for (; l; l = l.prev) if (l.s.port === port) return true;
  return false;
}

/**
 * Least-loss leg from `from` to `target`, arriving in one of `accept`. `allowOwnConversion`:
 * the transmitter may use its own converter. Returns undefined when no free path exists.
 */
export function planLeg(ctx: RoutingContext, from: NodeView, target: LegTarget, accept: readonly Dof[], allowOwnConversion = true): PlannedLeg | undefined {
  const { view } = ctx;
  const vx = viewIndex(view);
  const px = portIndex(ctx.fabric.ports);
  const targetNode = target.kind === 'node' ? vx.node.get(target.node) : undefined;
  if (target.kind === 'node' && !targetNode) return undefined;
  const targetPorts = target.kind === 'node' ? px.nodePorts.get(target.node) ?? [] : (['in0', 'in1'] as const).flatMap((side) => px.bsPorts.get(target.id)?.[side] ?? []);

  // A*: the least fibre loss from a state's site to the target's is a lower bound of what is left
  // (consistent: every link costs at least its fibre). In one switch it is the same for every
  // state, so the search is plain Dijkstra there.
  const targetSite = targetNode ? vx.siteOf(targetNode) : targetPorts[0] ? portSite(targetPorts[0]) : '';
  const targetLoss = targetNode ? nodeLinkLossDb(view, targetNode) : 0;
  const fromLoss = nodeLinkLossDb(view, from);
  const toGo = (s: State): number => {
    if (s.at === 'end') return 0;
    if (s.at === 'start') return fromLoss + vx.siteFibreLossDb(vx.siteOf(from), targetSite) + targetLoss;
    return vx.siteFibreLossDb(portSite(portInfo(ctx.fabric, s.port)!), targetSite) + targetLoss;
  };
  const dist = new Map<number, number>();
  const done = new Set<number>();
  const open = new MinHeap<Label>();
  const push = (s: State, d: number, prev: Label | undefined, step: Step) => {
    const k = stateKey(s);
    if ((dist.get(k) ?? Infinity) <= d) return;
    const h = toGo(s);
    if (h === Infinity) return;
    dist.set(k, d);
    open.push({ s, d, ...(prev ? { prev } : {}), step }, d + h);
  };

  const start: State = { at: 'start', port: -1, dof: from.dof, convs: [] };
  push(start, 0, undefined, {});
  const ownConv = resourceId.nodeConverter(from.id);
  if (allowOwnConversion && from.ownConverter && resourceUsable(ctx, ownConv)) {
    const origin: Label = { s: start, d: 0, step: {} };
    for (const d of ['pol', 'tbp', 'pha'] as const)
      if (canConvert(from.dof, d)) {
        const conversion: Conversion = { node: from.id, from: from.dof, to: d, at: 'node', converter: ownConv, lossDb: 0 };
        // A conversion costs a tie-breaking epsilon so that, at equal loss, fewer conversions win.
        push({ ...start, dof: d }, TIE_EPS, origin, { conversion, resource: ownConv });
      }
  }

  const search: Search = { ctx, from, target, accept, targetLoss, targetPorts, push };
  let end: Label | undefined;
  for (let l = open.pop(); l; l = open.pop()) {
    const { s, d } = l;
    const k = stateKey(s);
    if (done.has(k) || d > (dist.get(k) ?? Infinity)) continue;
    done.add(k);
    if (s.at === 'end') {
      end = l;
      break;
    }
    if (s.at === 'start') {
      for (const p of px.nodePorts.get(from.id) ?? [])
        if (portUsable(ctx, p))
          push({ at: 'in', port: p.port, dof: s.dof, convs: s.convs }, d + fromLoss, l, { kind: 'fibre', from: from.id, to: p.port, loss: fromLoss });
    } else if (s.at === 'in') expandIn(search, l);
    else expandOut(search, l);
  }
  return end && legFrom(end, from, target);
}

interface Search {
  ctx: RoutingContext;
  from: NodeView;
  target: LegTarget;
  accept: readonly Dof[];
  targetLoss: number;
  targetPorts: readonly PortInfo[];
  push: (s: State, d: number, prev: Label, step: Step) => void;
}

/** Light entering the switch at `l.s.port`: cross-connect it to a useful port of the same switch. */
function expandIn({ ctx, targetPorts, push }: Search, l: Label): void {
  const px = portIndex(ctx.fabric.ports);
  const x = portInfo(ctx.fabric, l.s.port);
  if (!x) return;
  const site = portSite(x);
  const ys: PortInfo[] = [...targetPorts.filter((p) => portSite(p) === site), ...usableConverters(ctx, l, site)];
  for (const b of px.bundlesAt.get(site) ?? []) {
    const strand = b.strands.find(({ here, there }) => here.port !== x.port && portUsable(ctx, here) && portUsable(ctx, there) && !onPath(l, here.port) && !onPath(l, there.port));
    if (strand) ys.push(strand.here);
  }
  ys.sort((p, q) => p.port - q.port);
  for (const y of ys) {
    if (y.port === x.port || !portUsable(ctx, y) || onPath(l, y.port)) continue;
    const loss = x.lossDb + y.lossDb;
    push({ at: 'out', port: y.port, dof: l.s.dof, convs: l.s.convs }, l.d + loss, l, { kind: 'xconnect', from: x.port, to: y.port, loss });
  }
}

/** The 'in' ports of the converters at `site` the path may still use: of converters alike (same
 *  loss and misalignment) only the first free one, as of strands. */
function usableConverters(ctx: RoutingContext, l: Label, site: string): PortInfo[] {
  if (l.s.convs.length >= MAX_SERVER_CONVERSIONS) return [];
  const px = portIndex(ctx.fabric.ports);
  const vx = viewIndex(ctx.view);
  const seen = new Set<string>();
  const out: PortInfo[] = [];
  for (const p of px.converterInsAt.get(site) ?? []) {
    const id = (p.owner as { id: string }).id;
    const conv = vx.converter.get(id);
    const outPort = px.converterPorts.get(id)?.out;
    if (!conv || !outPort) continue;
    const kind = `${conv.lossDb}|${conv.misalignment ?? 0}`;
    if (seen.has(kind) || l.s.convs.includes(id)) continue;
    if (!portUsable(ctx, p) || !portUsable(ctx, outPort) || !resourceUsable(ctx, serverConverterId(id)) || onPath(l, p.port) || onPath(l, outPort.port)) continue;
    seen.add(kind);
    out.push(p);
  }
  return out;
}

const converterIds = new Map<string, ResourceId>();
const serverConverterId = (id: string): ResourceId => {
  let r = converterIds.get(id);
  if (r === undefined) converterIds.set(id, (r = resourceId.serverConverter(id)));
  return r;
};

/** Light leaving the switch at `l.s.port`: into the target, a converter, or a strand to another site. */
function expandOut({ ctx, from, target, accept, targetLoss, push }: Search, l: Label): void {
  const { s, d } = l;
  const y = portInfo(ctx.fabric, s.port)!;
  const o = y.owner;
  if (o.kind === 'node' && target.kind === 'node' && o.node === target.node && accept.includes(s.dof)) {
    push({ at: 'end', port: -1, dof: s.dof, convs: s.convs }, d + targetLoss, l, { kind: 'fibre', from: y.port, to: target.node, loss: targetLoss });
  } else if (o.kind === 'bs' && target.kind === 'bs' && o.id === target.id && o.side.startsWith('in') && accept.includes(s.dof)) {
    push({ at: 'end', port: -1, dof: s.dof, convs: s.convs }, d, l, { kind: 'bs', from: y.port, to: `bs:${o.id}.${o.side}`, loss: 0 });
  } else if (o.kind === 'converter' && o.side === 'in') {
    const conv = viewIndex(ctx.view).converter.get(o.id);
    const r = serverConverterId(o.id);
    const outPort = portIndex(ctx.fabric.ports).converterPorts.get(o.id)?.out;
    const used = s.convs;
    if (!conv || !outPort || used.includes(o.id) || used.length >= MAX_SERVER_CONVERSIONS || !resourceUsable(ctx, r) || !portUsable(ctx, outPort) || onPath(l, outPort.port)) return;
    const convs = [...used, o.id];
    for (const dd of ['pol', 'tbp', 'pha'] as const)
      if (canConvert(s.dof, dd))
        push({ at: 'in', port: outPort.port, dof: dd, convs }, d + conv.lossDb, l, {
          kind: 'converter', from: y.port, to: outPort.port, loss: conv.lossDb,
          conversion: { node: from.id, from: s.dof, to: dd, at: 'server', converter: r, lossDb: conv.lossDb },
          resource: r,
        });
  } else if (o.kind === 'trunk') {
    const there = portIndex(ctx.fabric.ports).partner.get(y.port);
    const link = viewIndex(ctx.view).link.get(o.link);
    if (!there || !link || !portUsable(ctx, there) || onPath(l, there.port)) return;
    const loss = viewIndex(ctx.view).linkLossDb(link);
    push({ at: 'in', port: there.port, dof: s.dof, convs: s.convs }, d + loss, l, { kind: 'trunk', from: y.port, to: there.port, loss });
  }
}

/** The leg a search ended with, read back along its labels. */
function legFrom(end: Label, from: NodeView, target: LegTarget): PlannedLeg {
  const steps: Step[] = [];
  for (let l: Label | undefined = end; l?.prev; l = l.prev) steps.unshift(l.step);
  const end_ = (x: number | string | undefined) => (typeof x === 'number' ? `port:${x}` : x!);
  const hops: Hop[] = steps.flatMap((s) => (s.kind ? [{ kind: s.kind, from: end_(s.from), to: end_(s.to), lossDb: s.loss! }] : []));
  const crossConnects = steps.flatMap((s): Array<[number, number]> => (s.kind === 'xconnect' ? [[s.from as number, s.to as number]] : []));
  const conversions = steps.flatMap((s) => (s.conversion ? [s.conversion] : []));
  const converters = steps.flatMap((s) => (s.resource ? [s.resource] : []));
  const start = conversions.find((c) => c.at === 'node');
  return {
    from: from.id,
    to: target.kind === 'node' ? target.node : `bs:${target.id}`,
    hops,
    lossDb: hops.reduce((t, h) => t + h.lossDb, 0),
    dofOut: start ? start.to : from.dof,
    dofIn: end.s.dof,
    crossConnects,
    converters,
    conversions,
    ports: [...new Set(crossConnects.flat())],
  };
}

/** The fixed part of a joint BSM: the beam splitter's output port `side` cross-connected to a D node's fibre. */
export function planBsOutput(ctx: RoutingContext, bsId: string, side: 'out0' | 'out1', node: NodeView): PlannedLeg | undefined {
  const px = portIndex(ctx.fabric.ports);
  const out = px.bsPorts.get(bsId)?.[side];
  // The D node's fibre must land on the beam splitter's own switch.
  const dst = out && (px.nodePorts.get(node.id) ?? []).find((p) => portSite(p) === portSite(out) && portUsable(ctx, p));
  if (!out || !dst || !portUsable(ctx, out)) return undefined;
  const xLoss = out.lossDb + dst.lossDb;
  const fLoss = nodeLinkLossDb(ctx.view, node);
  return {
    from: `bs:${bsId}`,
    to: node.id,
    hops: [
      { kind: 'xconnect', from: `port:${out.port}`, to: `port:${dst.port}`, lossDb: xLoss },
      { kind: 'fibre', from: `port:${dst.port}`, to: node.id, lossDb: fLoss },
    ],
    lossDb: xLoss + fLoss,
    dofOut: node.dof,
    dofIn: node.dof,
    crossConnects: [[out.port, dst.port]],
    converters: [],
    conversions: [],
    ports: [out.port, dst.port],
  };
}
