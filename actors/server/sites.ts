// Lookups over one network view that the planner needs per request: nodes by id, each node's
// site, the inter-site links, and the least loss between any two sites. A view is immutable
// (a new one arrives with every hypervisor change), so the index is built once per view object
// and shared by every plan made against it: at a thousand nodes, a linear search per lookup is
// what made planning slow.
import type { NodeId } from '../../protocols/types.ts';
import type { NetworkView, NodeView, ServerConverterView, SiteLinkView } from './orchestration-types.ts';

export interface ViewIndex {
  node: Map<NodeId, NodeView>;
  converter: Map<string, ServerConverterView>;
  link: Map<string, SiteLinkView>;
  /** The site a node, converter or beam splitter is at ('' in a single-server view). */
  siteOf: (x: { site?: string }) => string;
  /** Fibre loss of one strand of a link, dB (alpha * km + extra). */
  linkLossDb: (l: SiteLinkView) => number;
  /** Least loss between two sites' switches over the links, counting the cross-connect at every
   *  switch passed on the way; 0 for the same site, Infinity when not connected. */
  siteLossDb: (a: string, b: string) => number;
  /** The same over the link fibres alone (a lower bound for routing's A* search). */
  siteFibreLossDb: (a: string, b: string) => number;
}

const cache = new WeakMap<NetworkView, ViewIndex>();

export function viewIndex(view: NetworkView): ViewIndex {
  let ix = cache.get(view);
  if (!ix) cache.set(view, (ix = buildIndex(view)));
  return ix;
}

function buildIndex(view: NetworkView): ViewIndex {
  const alpha = view.fibreDbPerKm ?? 0.2;
  const first = view.sites?.[0]?.id ?? '';
  const siteOf = (x: { site?: string }) => (first === '' ? '' : x.site ?? first);
  const linkLossDb = (l: SiteLinkView) => alpha * l.km + (l.extraLossDb ?? 0);
  const ids = (view.sites ?? []).map((s) => s.id);
  const at = new Map(ids.map((id, i) => [id, i]));
  const portLoss = (id: string) => view.sites?.find((s) => s.id === id)?.portLossDb ?? view.server.portLossDb;
  // Floyd–Warshall over the sites (tens of them): one cross-connect (two ports) at the far switch per link.
  const shortest = (withPorts: boolean) => {
    const n = ids.length;
    const d = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : Infinity)));
    for (const l of view.links ?? []) {
      const i = at.get(l.a), j = at.get(l.b);
      if (i === undefined || j === undefined) continue;
      d[i]![j] = Math.min(d[i]![j]!, linkLossDb(l) + (withPorts ? 2 * portLoss(l.b) : 0));
      d[j]![i] = Math.min(d[j]![i]!, linkLossDb(l) + (withPorts ? 2 * portLoss(l.a) : 0));
    }
    for (let k = 0; k < n; k++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (d[i]![k]! + d[k]![j]! < d[i]![j]!) d[i]![j] = d[i]![k]! + d[k]![j]!;
    return (a: string, b: string) => {
      if (a === b) return 0;
      const i = at.get(a), j = at.get(b);
      return i === undefined || j === undefined ? Infinity : d[i]![j]!;
    };
  };
  const siteLossDb = shortest(true);
  return {
    node: new Map(view.nodes.map((x) => [x.id, x])),
    converter: new Map(view.server.converters.map((c) => [c.id, c])),
    link: new Map((view.links ?? []).map((l) => [l.id, l])),
    siteOf,
    linkLossDb,
    siteLossDb,
    siteFibreLossDb: shortest(false),
  };
}
