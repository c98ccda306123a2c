// Routing control: shortest-loss light paths on the fibre graph of a star network. Vertices
// are the transmitter, every switch port (seen from outside "in", or leaving the switch
// "out") and the endpoint; edges are the node fibres, the switch cross-connects (any free
// port to any free port: MEMS all-to-all), and the server's DoF converters (in-port -> out-port,
// changing the DoF, paying their insertion loss). A transmitter with its own converter may
// leave in another DoF at no channel cost (the converter sits before its attenuator,
// physics-and-keyrates.md). Dijkstra over (vertex, DoF) gives the least-loss leg that arrives
// in an accepted DoF; the orchestration core combines legs and ranks them by key rate.
import type { Dof, NodeId } from '../../protocols/types.ts';
import { fibreLossDb } from '../../protocols/physics/channel.ts';
import type { Conversion, Hop, NetworkView, NodeView, RouteLeg } from './orchestration-types.ts';
import { canConvert } from './orchestration-selection.ts';
import { isFree, resourceId, type ResourceId, type ResourcePool } from './resources.ts';
import { connectionOf, type FabricState, type PortInfo } from './switch-fabric.ts';

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

type Where = { at: 'start' } | { at: 'in'; port: number } | { at: 'out'; port: number } | { at: 'end' };
interface State {
  where: Where;
  dof: Dof;
  /** Server converters already on this path (a converter carries one signal: no loops). */
  convs?: string;
}
interface Step {
  hop?: Hop;
  conversion?: Conversion;
  xconnect?: [number, number];
  resource?: ResourceId;
}

const TIE_EPS = 1e-9;
const key = (s: State) => `${s.where.at}:${'port' in s.where ? s.where.port : ''}:${s.dof}:${s.convs ?? ''}`;

function portUsable(ctx: RoutingContext, p: PortInfo): boolean {
  if (ctx.usedPorts.has(p.port)) return false;
  if (ctx.ignoreOccupancy) return true;
  return isFree(ctx.pool, resourceId.port(p.port)) && connectionOf(ctx.fabric, p.port) === undefined;
}

function resourceUsable(ctx: RoutingContext, r: ResourceId): boolean {
  if (ctx.usedResources.has(r)) return false;
  return ctx.ignoreOccupancy === true || isFree(ctx.pool, r);
}

/**
 * Least-loss leg from `from` to `target`, arriving in one of `accept`. `allowOwnConversion`:
 * the transmitter may use its own converter. Returns undefined when no free path exists.
 */
export function planLeg(ctx: RoutingContext, from: NodeView, target: LegTarget, accept: readonly Dof[], allowOwnConversion = true): PlannedLeg | undefined {
  const { view, fabric } = ctx;
  const ports = fabric.ports;
  const targetNode = target.kind === 'node' ? view.nodes.find((n) => n.id === target.node) : undefined;
  if (target.kind === 'node' && !targetNode) return undefined;

  const dist = new Map<string, number>();
  const prev = new Map<string, { from: string; step: Step }>();
  const states = new Map<string, State>();
  const open: Array<{ s: State; d: number }> = [];
  const push = (s: State, d: number, fromKey: string | undefined, step: Step) => {
    const k = key(s);
    if ((dist.get(k) ?? Infinity) <= d) return;
    dist.set(k, d);
    states.set(k, s);
    if (fromKey !== undefined) prev.set(k, { from: fromKey, step });
    open.push({ s, d });
  };

  push({ where: { at: 'start' }, dof: from.dof }, 0, undefined, {});
  const ownConv = resourceId.nodeConverter(from.id);
  if (allowOwnConversion && from.ownConverter && resourceUsable(ctx, ownConv))
    for (const d of ['pol', 'tbp', 'pha'] as const)
      if (canConvert(from.dof, d)) {
        const conversion: Conversion = { node: from.id, from: from.dof, to: d, at: 'node', converter: ownConv, lossDb: 0 };
        // A conversion costs a tie-breaking epsilon so that, at equal loss, fewer conversions win.
        push({ where: { at: 'start' }, dof: d }, TIE_EPS, key({ where: { at: 'start' }, dof: from.dof }), { conversion, resource: ownConv });
      }

  const fromLoss = nodeLinkLossDb(view, from);
  const targetLoss = targetNode ? nodeLinkLossDb(view, targetNode) : 0;
  let endKey: string | undefined;
  const done = new Set<string>();
  while (open.length > 0) {
    open.sort((x, y) => x.d - y.d);
    const { s, d } = open.shift()!;
    const k = key(s);
    if (done.has(k) || d > (dist.get(k) ?? Infinity)) continue;
    done.add(k);
    if (s.where.at === 'end') {
      endKey = k;
      break;
    }
    if (s.where.at === 'start') {
      for (const p of ports)
        if (p.owner.kind === 'node' && p.owner.node === from.id && portUsable(ctx, p))
          push({ where: { at: 'in', port: p.port }, dof: s.dof }, d + fromLoss, k, { hop: { kind: 'fibre', from: from.id, to: `port:${p.port}`, lossDb: fromLoss } });
    } else if (s.where.at === 'in') {
      const x = ports.find((p) => p.port === (s.where as { port: number }).port)!;
      for (const y of ports) {
        if (y.port === x.port || !portUsable(ctx, y)) continue;
        const loss = x.lossDb + y.lossDb;
        push({ where: { at: 'out', port: y.port }, dof: s.dof, ...(s.convs ? { convs: s.convs } : {}) }, d + loss, k, {
          hop: { kind: 'xconnect', from: `port:${x.port}`, to: `port:${y.port}`, lossDb: loss },
          xconnect: [x.port, y.port],
        });
      }
    } else if (s.where.at === 'out') {
      const y = ports.find((p) => p.port === (s.where as { port: number }).port)!;
      const o = y.owner;
      if (o.kind === 'node' && target.kind === 'node' && o.node === target.node && accept.includes(s.dof)) {
        push({ where: { at: 'end' }, dof: s.dof, ...(s.convs ? { convs: s.convs } : {}) }, d + targetLoss, k, { hop: { kind: 'fibre', from: `port:${y.port}`, to: target.node, lossDb: targetLoss } });
      } else if (o.kind === 'bs' && target.kind === 'bs' && o.id === target.id && o.side.startsWith('in') && accept.includes(s.dof)) {
        push({ where: { at: 'end' }, dof: s.dof, ...(s.convs ? { convs: s.convs } : {}) }, d, k, { hop: { kind: 'bs', from: `port:${y.port}`, to: `bs:${o.id}.${o.side}`, lossDb: 0 } });
      } else if (o.kind === 'converter' && o.side === 'in') {
        const conv = view.server.converters.find((c) => c.id === o.id);
        const r = resourceId.serverConverter(o.id);
        const outPort = ports.find((p) => p.owner.kind === 'converter' && p.owner.id === o.id && p.owner.side === 'out');
        const used = (s.convs ?? '').split(',').filter(Boolean);
        if (!conv || !outPort || used.includes(o.id) || !resourceUsable(ctx, r) || !portUsable(ctx, outPort)) continue;
        const convs = [...used, o.id].sort().join(',');
        for (const dd of ['pol', 'tbp', 'pha'] as const)
          if (canConvert(s.dof, dd))
            push({ where: { at: 'in', port: outPort.port }, dof: dd, convs }, d + conv.lossDb, k, {
              hop: { kind: 'converter', from: `port:${y.port}`, to: `port:${outPort.port}`, lossDb: conv.lossDb },
              conversion: { node: from.id, from: s.dof, to: dd, at: 'server', converter: r, lossDb: conv.lossDb },
              resource: r,
            });
      }
    }
  }
  if (endKey === undefined) return undefined;

  const steps: Step[] = [];
  for (let k: string | undefined = endKey; k !== undefined && prev.has(k); k = prev.get(k)!.from) steps.unshift(prev.get(k)!.step);
  const hops = steps.flatMap((s) => (s.hop ? [s.hop] : []));
  const crossConnects = steps.flatMap((s) => (s.xconnect ? [s.xconnect] : []));
  const conversions = steps.flatMap((s) => (s.conversion ? [s.conversion] : []));
  const converters = steps.flatMap((s) => (s.resource ? [s.resource] : []));
  const legPorts = [...new Set(crossConnects.flat())];
  const start = conversions.find((c) => c.at === 'node');
  return {
    from: from.id,
    to: target.kind === 'node' ? target.node : `bs:${target.id}`,
    hops,
    lossDb: hops.reduce((t, h) => t + h.lossDb, 0),
    dofOut: start ? start.to : from.dof,
    dofIn: states.get(endKey)!.dof,
    crossConnects,
    converters,
    conversions,
    ports: legPorts,
  };
}

/** The fixed part of a joint BSM: the beam splitter's output port `side` cross-connected to a D node's fibre. */
export function planBsOutput(ctx: RoutingContext, bsId: string, side: 'out0' | 'out1', node: NodeView): PlannedLeg | undefined {
  const ports = ctx.fabric.ports;
  const out = ports.find((p) => p.owner.kind === 'bs' && p.owner.id === bsId && p.owner.side === side);
  const dst = ports.find((p) => p.owner.kind === 'node' && p.owner.node === node.id && portUsable(ctx, p));
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
