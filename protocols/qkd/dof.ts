// The node descriptions the protocol rules reason about, and the DoF rules they share
// (docs/reference/physics-and-keyrates.md, "Node types, DoFs and the protocol table").
// DoF conversion: the DoF the photons must have where they are measured is the receiver's (P&M),
// the relay's (MDI) or each D node's (BBM92). A transmitter in another DoF converts with its
// own converter at the source, before the attenuator (free), else the server's converter
// (its loss is channel loss). Converters map pol <-> tbp and pol <-> pha (pol is the hub), so
// an MDI pair in different non-pol DoFs meets in pol; a same-DoF pair meets in its own DoF
// when the relay can measure it (Bob–Charlie tbp in the reference network).
import type { Dof, NodeType } from '../types.ts';

export interface NodeDescription {
  name: string;
  type: NodeType;
  dof: Dof;
  /** The node owns a DoF converter (placed before its attenuator). */
  hasConverter?: boolean;
  /** DoFs a D node can measure in (e.g. David: pol, and tbp by gating early/late bins). */
  measures?: Dof[];
  /** D node can perform a Bell-state measurement (4 detectors). */
  bsm?: boolean;
}

export interface SelectionContext {
  /** Nodes that may serve as untrusted helpers (D relays, E sources), excluding the pair. */
  helpers?: NodeDescription[];
  /** The server owns DoF converters it can insert into a path (default true). */
  serverConverters?: boolean;
}

export interface Conversion {
  node: string;
  from: Dof;
  to: Dof;
  /** 'source': the node's own converter before its attenuator (no channel loss);
   *  'server': the server's converter, whose loss is channel loss. */
  where: 'source' | 'server';
}

export type Selection =
  | {
      ok: true;
      /** The registry protocol that serves the pair. */
      protocol: string;
      /** Its sub-family for this pair (e.g. 'mdi-hybrid' for C–E), for reports. */
      family: string;
      /** The KeyRateResult protocol that predicts its key. */
      keyRate: string;
      /** Helper needed: none, a D relay (or two D nodes for a joint BSM), or an E source. */
      helper: 'none' | 'D' | 'E';
      /** Chosen helper (first suitable in ctx.helpers), or the alternatives for a joint BSM. */
      helperName?: string;
      jointBsm?: [string, string];
      /** DoF in which the measurement happens. */
      measuredDof: Dof;
      conversions: Conversion[];
      /** Which node sends, which measures (P&M), or the two ends (MDI, BBM92). */
      roles: { transmitters: string[]; receivers: string[] };
    }
  | { ok: false; reason: string };

export function canConvert(from: Dof, to: Dof): boolean {
  return from !== to && (from === 'pol' || to === 'pol');
}

export function measurable(n: { dof: Dof; measures?: Dof[] }): Dof[] {
  return n.measures ?? [n.dof];
}

/** Conversion needed to bring `node`'s photons from its DoF to `to`, or an error reason. */
export function convert(node: NodeDescription, to: Dof, ctx: SelectionContext): Conversion | null | string {
  if (node.dof === to) return null;
  if (!canConvert(node.dof, to)) return `${node.name}: no converter maps ${node.dof} to ${to} (converters map pol <-> tbp and pol <-> pha)`;
  if (node.hasConverter) return { node: node.name, from: node.dof, to, where: 'source' };
  if (ctx.serverConverters ?? true) return { node: node.name, from: node.dof, to, where: 'server' };
  return `${node.name} encodes in ${node.dof}, has no converter, and the server has none`;
}

/** Pick the DoF two transmitters meet in at a relay that measures `relayDofs`, preferring no conversion. */
export function meetingDof(a: NodeDescription, b: NodeDescription, relayDofs: Dof[], ctx: SelectionContext): { dof: Dof; conversions: Conversion[] } | string {
  const candidates: Dof[] = [];
  if (a.dof === b.dof) candidates.push(a.dof);
  candidates.push('pol', 'tbp', 'pha');
  let lastReason = 'no common DoF';
  let best: { dof: Dof; conversions: Conversion[]; cost: number } | undefined;
  for (const dof of candidates) {
    if (!relayDofs.includes(dof)) { lastReason = `relay cannot measure ${dof}`; continue; }
    const ca = convert(a, dof, ctx), cb = convert(b, dof, ctx);
    if (typeof ca === 'string') { lastReason = ca; continue; }
    if (typeof cb === 'string') { lastReason = cb; continue; }
    const conversions = [ca, cb].filter((c): c is Conversion => c !== null);
    // cost: server conversions cost loss, source conversions only misalignment
    const cost = conversions.reduce((s, c) => s + (c.where === 'server' ? 10 : 1), 0);
    if (!best || cost < best.cost) best = { dof, conversions, cost };
  }
  return best ? { dof: best.dof, conversions: best.conversions } : lastReason;
}
