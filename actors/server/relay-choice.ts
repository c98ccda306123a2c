// Relay choice at scale. A metropolitan network has hundreds of D relays and E sources; the
// orchestration core routes and predicts only the nearest few that are idle (NEAREST_HELPERS),
// nearest meaning the least optimistic loss of both ends' light to the helper (fibres and
// inter-site links, no component loss, no conversion). Among those, predicted key rate decides.
// A joint BSM needs the server's beam splitter and two D nodes on its switch: the beam splitters
// of the nearest JOINT_SITES sites, each with its JOINT_DETECTORS nearest D nodes.
import type { NodeView, NetworkView, RouteLeg } from './orchestration-types.ts';
import { nodeLinkLossDb } from './routing.ts';
import { viewIndex } from './sites.ts';
import type { ResourceId, ResourcePool } from './resources.ts';
import { portInfo, type FabricState } from './switch-fabric.ts';
import { portIndex } from './port-index.ts';

/** Idle helpers (relays or sources) whose candidates are routed and predicted per request. */
export const NEAREST_HELPERS = 3;
/** Feasible candidates examined at most (busy ones included), so a saturated network costs the same. */
export const MAX_EXAMINED = 16;
export const JOINT_SITES = 2;
export const JOINT_DETECTORS = 4;

/** Least loss from node x's transmitter to the switch of `site`. */
export function approachLossDb(view: NetworkView, x: NodeView, site: string): number {
  const vx = viewIndex(view);
  return nodeLinkLossDb(view, x) + vx.siteLossDb(vx.siteOf(x), site);
}

/** Optimistic losses of a pair's two legs through helper h (MDI: a and b to the relay; BBM92: the
 *  source to a and b), the longer first. */
export function helperLegsDb(view: NetworkView, a: NodeView, b: NodeView, h: NodeView): [number, number] {
  const site = viewIndex(view).siteOf(h);
  const own = nodeLinkLossDb(view, h);
  const la = approachLossDb(view, a, site) + own, lb = approachLossDb(view, b, site) + own;
  return la >= lb ? [la, lb] : [lb, la];
}

/** Helpers nearest first: the shorter longest leg (the weak leg limits MDI and BBM92 alike: its
 *  signal against the detectors' dark counts), then the shorter other one; ties keep view order. */
export function nearestFirst(view: NetworkView, a: NodeView, b: NodeView, helpers: readonly NodeView[]): NodeView[] {
  return helpers
    .map((h, i) => ({ h, i, d: helperLegsDb(view, a, b, h) }))
    .sort((x, y) => x.d[0] - y.d[0] || x.d[1] - y.d[1] || x.i - y.i)
    .map((x) => x.h);
}

/** Idle helpers of one site taken into the shortlist: a site's relays differ by a few hundred
 *  metres of fibre, so two of them stand for all, and the next site's get a look. */
export const IDLE_PER_SITE = 2;

/** Helpers given candidates at all: the nearest, until twice NEAREST_HELPERS idle ones (some may
 *  not reach a common DoF) or MAX_EXAMINED in all. Beyond them a metro network's hundreds of
 *  relays are not looked at. */
export function shortlist(view: NetworkView, nearest: readonly NodeView[], idle: (h: NodeView) => boolean): NodeView[] {
  const vx = viewIndex(view);
  const out: NodeView[] = [];
  const perSite = new Map<string, number>();
  let free = 0;
  for (const h of nearest) {
    if (free >= 2 * NEAREST_HELPERS || out.length >= MAX_EXAMINED) break;
    if (!idle(h)) {
      out.push(h);
      continue;
    }
    const site = vx.siteOf(h);
    if ((perSite.get(site) ?? 0) >= IDLE_PER_SITE) continue;
    perSite.set(site, (perSite.get(site) ?? 0) + 1);
    out.push(h);
    free++;
  }
  return out;
}

/** Joint-BSM combinations (two D nodes on a beam splitter's switch), in view order of the D nodes. */
export function jointCombinations(view: NetworkView, a: NodeView, b: NodeView, dNodes: readonly NodeView[]): Array<{ g: NodeView; h: NodeView; bs: NetworkView['server']['beamSplitters'][number] }> {
  const vx = viewIndex(view);
  const sites = [...new Set(view.server.beamSplitters.map((bs) => vx.siteOf(bs)))]
    .map((site) => ({ site, d: approachLossDb(view, a, site) + approachLossDb(view, b, site) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, JOINT_SITES)
    .map((x) => x.site);
  const out: Array<{ g: NodeView; h: NodeView; bs: NetworkView['server']['beamSplitters'][number] }> = [];
  const nearAt = new Map(sites.map((site) => {
    const here = dNodes.filter((n) => vx.siteOf(n) === site);
    const keep = new Set([...here].sort((x, y) => x.linkKm - y.linkKm).slice(0, JOINT_DETECTORS));
    return [site, here.filter((n) => keep.has(n))] as const;
  }));
  const ds = dNodes.filter((n) => sites.includes(vx.siteOf(n)) && nearAt.get(vx.siteOf(n))!.includes(n));
  for (let i = 0; i < ds.length; i++)
    for (let j = i + 1; j < ds.length; j++) {
      const g = ds[i]!, h = ds[j]!;
      if (vx.siteOf(g) !== vx.siteOf(h)) continue;
      for (const bs of view.server.beamSplitters) if (vx.siteOf(bs) === vx.siteOf(g)) out.push({ g, h, bs });
    }
  return out;
}

/** Structural routes (ignoring occupancy) depend only on the view and the switch layout: kept per
 *  (view, ports) for every candidate label of a pair, so re-planning a queued request costs no routing. */
const structural = new WeakMap<NetworkView, WeakMap<object, Map<string, RouteLeg[] | null>>>();
const STRUCTURAL_ENTRIES = 50_000;

export function structuralRoute<L extends RouteLeg>(view: NetworkView, ports: object, key: string, route: () => L[] | undefined): L[] | undefined {
  let byPorts = structural.get(view);
  if (!byPorts) structural.set(view, (byPorts = new WeakMap()));
  let m = byPorts.get(ports);
  if (!m) byPorts.set(ports, (m = new Map()));
  if (m.has(key)) return (m.get(key) as L[] | null) ?? undefined;
  const legs = route();
  if (m.size >= STRUCTURAL_ENTRIES) m.clear();
  m.set(key, legs ?? null);
  return legs;
}

/** Held hardware that light paths share: server converters, beam splitters, and the switch ports
 *  of inter-site strands, converters and beam splitters (a node's own ports go with its devices). */
export function sharedHardwareHeld(pool: ResourcePool, fabric: FabricState): ResourceId[] {
  const px = portIndex(fabric.ports);
  const shared = (port: number) => {
    const o = portInfo(fabric, port)?.owner;
    return o !== undefined && o.kind !== 'node' && o.kind !== 'spare';
  };
  return Object.keys(pool.holders).filter((r) => r.startsWith('converter:server/') || r.startsWith('bs:server/') || (r.startsWith('port:') && (px.partner.has(Number(r.slice(5))) || shared(Number(r.slice(5))))));
}
