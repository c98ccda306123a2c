// Protocol selection: the node-type x node-type table of reference/physics-and-keyrates.md
// ("Node types, DoFs and the protocol table"), as a pure function over node descriptions.
//   C–D, E–D : prepare-and-measure; C: decoy BB84 (Lim 2014), E: heralded source, passive decoy
//   C–C      : MDI-QKD (weak coherent) via an untrusted D relay, or a joint BSM of two D nodes
//   C–E, E–E : MDI-QKD with hybrid / heralded sources via an untrusted D relay
//   D–D      : entanglement-based BBM92 with an untrusted E node as the pair source
// DoF conversion: the DoF the photons must have where they are measured is the receiver's (P&M),
// the relay's (MDI) or each D node's (BBM92). A transmitter in another DoF converts with its
// own converter at the source, before the attenuator (free), else the server's converter
// (its loss is channel loss). Converters map pol <-> tbp and pol <-> pha (pol is the hub), so
// an MDI pair in different non-pol DoFs meets in pol; a same-DoF pair meets in its own DoF
// when the relay can measure it (Bob–Charlie tbp in the reference network).

import type { Dof, NodeType } from './types.ts';
import type { KeyRateProtocol } from './keyrate/types.ts';

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

export type ProtocolFamily = 'bb84' | 'bb84-heralded' | 'mdi' | 'mdi-hybrid' | 'mdi-heralded' | 'bbm92';

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
      family: ProtocolFamily;
      /** The KeyRateResult protocol that predicts its key. */
      keyRate: KeyRateProtocol;
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

function measurable(n: NodeDescription): Dof[] {
  return n.measures ?? [n.dof];
}

/** Conversion needed to bring `node`'s photons from its DoF to `to`, or an error reason. */
function convert(node: NodeDescription, to: Dof, ctx: SelectionContext): Conversion | null | string {
  if (node.dof === to) return null;
  if (!canConvert(node.dof, to)) return `${node.name}: no converter maps ${node.dof} to ${to} (converters map pol <-> tbp and pol <-> pha)`;
  if (node.hasConverter) return { node: node.name, from: node.dof, to, where: 'source' };
  if (ctx.serverConverters ?? true) return { node: node.name, from: node.dof, to, where: 'server' };
  return `${node.name} encodes in ${node.dof}, has no converter, and the server has none`;
}

/** Pick the DoF two transmitters meet in at a relay that measures `relayDofs`, preferring no conversion. */
function meetingDof(a: NodeDescription, b: NodeDescription, relayDofs: Dof[], ctx: SelectionContext): { dof: Dof; conversions: Conversion[] } | string {
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

/** Choose the protocol family, helper and DoF conversions for the pair (a, b). */
export function selectProtocol(a: NodeDescription, b: NodeDescription, ctx: SelectionContext = {}): Selection {
  if (a.name === b.name) return { ok: false, reason: `a node cannot share a key with itself (${a.name})` };
  const helpers = (ctx.helpers ?? []).filter(h => h.name !== a.name && h.name !== b.name);
  const pair = [a.type, b.type].sort().join('');

  // Prepare-and-measure: C–D, E–D.
  if (pair === 'CD' || pair === 'DE') {
    const tx = a.type === 'D' ? b : a, rx = a.type === 'D' ? a : b;
    let lastReason = '';
    for (const dof of [tx.dof, ...measurable(rx).filter(d => d !== tx.dof)]) {
      if (!measurable(rx).includes(dof)) { lastReason = `${rx.name} cannot measure ${dof}`; continue; }
      const c = convert(tx, dof, ctx);
      if (typeof c === 'string') { lastReason = c; continue; }
      return { ok: true, family: tx.type === 'C' ? 'bb84' : 'bb84-heralded', keyRate: tx.type === 'C' ? 'bb84' : 'bb84-heralded', helper: 'none', measuredDof: dof, conversions: c ? [c] : [], roles: { transmitters: [tx.name], receivers: [rx.name] } };
    }
    return { ok: false, reason: lastReason || `${rx.name} cannot measure ${tx.name}'s photons` };
  }

  // MDI: C–C, C–E, E–E through an untrusted D relay (or two D nodes as a joint BSM).
  if (pair === 'CC' || pair === 'CE' || pair === 'EE') {
    const family: ProtocolFamily = pair === 'CC' ? 'mdi' : pair === 'CE' ? 'mdi-hybrid' : 'mdi-heralded';
    const relays = helpers.filter(h => h.type === 'D');
    if (relays.length === 0) return { ok: false, reason: `${a.type}–${b.type} needs an untrusted D node as BSM relay, none available` };
    let lastReason = '';
    for (const r of relays.filter(h => h.bsm !== false)) {
      const m = meetingDof(a, b, measurable(r), ctx);
      if (typeof m === 'string') { lastReason = `${r.name}: ${m}`; continue; }
      return { ok: true, family, keyRate: 'mdi', helper: 'D', helperName: r.name, measuredDof: m.dof, conversions: m.conversions, roles: { transmitters: [a.name, b.name], receivers: [r.name] } };
    }
    // Joint BSM: the server's beam splitter + two D nodes (each an early/late detector pair), tbp.
    for (let i = 0; i < relays.length; i++) for (let j = i + 1; j < relays.length; j++) {
      const common = measurable(relays[i]).filter(d => measurable(relays[j]).includes(d));
      const m = meetingDof(a, b, common, ctx);
      if (typeof m === 'string') { lastReason = m; continue; }
      return { ok: true, family, keyRate: 'mdi', helper: 'D', jointBsm: [relays[i].name, relays[j].name], measuredDof: m.dof, conversions: m.conversions, roles: { transmitters: [a.name, b.name], receivers: [relays[i].name, relays[j].name] } };
    }
    return { ok: false, reason: lastReason || `no D relay can measure ${a.name} and ${b.name}` };
  }

  // Entanglement-based: D–D with an untrusted E source in between.
  if (pair === 'DD') {
    const sources = helpers.filter(h => h.type === 'E');
    if (sources.length === 0) return { ok: false, reason: 'D–D needs an untrusted E node as entangled-pair source, none available' };
    let lastReason = '';
    for (const e of sources) {
      const conversions: Conversion[] = [];
      let ok = true;
      for (const d of [a, b]) {
        const target = measurable(d).includes(e.dof) ? e.dof : d.dof;
        // the E node's photons toward d are converted by E's own converter or the server's
        const c = convert({ ...e, name: `${e.name}->${d.name}` }, target, ctx);
        if (typeof c === 'string') { lastReason = c; ok = false; break; }
        if (c) conversions.push(c);
      }
      if (ok) return { ok: true, family: 'bbm92', keyRate: 'bbm92', helper: 'E', helperName: e.name, measuredDof: e.dof, conversions, roles: { transmitters: [e.name], receivers: [a.name, b.name] } };
    }
    return { ok: false, reason: lastReason };
  }
  return { ok: false, reason: `no protocol for node types ${a.type}–${b.type}` };
}
