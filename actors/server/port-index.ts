// The switch ports grouped the way routing asks for them: a node's ports, a converter's two
// sides, a beam splitter's four, the converters at a site, and the inter-site bundles leaving a
// site (each strand as a pair of ports, one per end). Built once per ports array (immutable).
import type { NodeId } from '../../protocols/types.ts';
import type { PortInfo } from './switch-fabric.ts';

export interface TrunkBundle {
  link: string;
  /** The site at the other end. */
  to: string;
  /** Strands in fibre order: the port at this site and the one at the other end. */
  strands: Array<{ here: PortInfo; there: PortInfo }>;
}

export interface PortIndex {
  nodePorts: Map<NodeId, PortInfo[]>;
  converterPorts: Map<string, { in?: PortInfo; out?: PortInfo }>;
  bsPorts: Map<string, Partial<Record<'in0' | 'in1' | 'out0' | 'out1', PortInfo>>>;
  /** 'in' ports of the converters at each site. */
  converterInsAt: Map<string, PortInfo[]>;
  bundlesAt: Map<string, TrunkBundle[]>;
  /** The far end of a trunk strand's port. */
  partner: Map<number, PortInfo>;
}

const cache = new WeakMap<readonly PortInfo[], PortIndex>();

export const portSite = (p: PortInfo): string => p.site ?? '';

export function portIndex(ports: readonly PortInfo[]): PortIndex {
  let ix = cache.get(ports);
  if (!ix) cache.set(ports, (ix = build(ports)));
  return ix;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function build(ports: readonly PortInfo[]): PortIndex {
  const ix: PortIndex = { nodePorts: new Map(), converterPorts: new Map(), bsPorts: new Map(), converterInsAt: new Map(), bundlesAt: new Map(), partner: new Map() };
  const strands = new Map<string, { a?: PortInfo; b?: PortInfo }>();
  for (const p of ports) {
    const o = p.owner;
    if (o.kind === 'node') push(ix.nodePorts, o.node, p);
    else if (o.kind === 'converter') {
      ix.converterPorts.set(o.id, { ...ix.converterPorts.get(o.id), [o.side]: p });
      if (o.side === 'in') push(ix.converterInsAt, portSite(p), p);
    } else if (o.kind === 'bs') ix.bsPorts.set(o.id, { ...ix.bsPorts.get(o.id), [o.side]: p });
    else if (o.kind === 'trunk') {
      const k = `${o.link}#${o.fibre}`;
      strands.set(k, { ...strands.get(k), [o.end]: p });
    }
  }
  const bundles = new Map<string, TrunkBundle>();
  for (const [k, s] of strands) {
    if (!s.a || !s.b) continue;
    const link = k.slice(0, k.lastIndexOf('#'));
    for (const [here, there] of [[s.a, s.b], [s.b, s.a]] as const) {
      const key = `${link}@${portSite(here)}`;
      let b = bundles.get(key);
      if (!b) {
        bundles.set(key, (b = { link, to: portSite(there), strands: [] }));
        push(ix.bundlesAt, portSite(here), b);
      }
      b.strands.push({ here, there });
      ix.partner.set(here.port, there);
    }
  }
  return ix;
}
