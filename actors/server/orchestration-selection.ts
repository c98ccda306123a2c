// Adapter between the orchestration core and the protocols' node-type rules (protocols/qkd/
// registry.ts). The rules answer "which protocols, which kind of helper, is it possible at all"
// for a pair of node descriptions; the orchestration core then has each protocol enumerate its
// concrete helpers, routes and conversion points (protocols/qkd/<name>/plan.ts) and ranks them.
import type { Dof } from '../../protocols/types.ts';
import { canConvert as dofCanConvert, measurable as dofMeasurable, type NodeDescription } from '../../protocols/qkd/dof.ts';
import type { Channel, QkdProtocol } from '../../protocols/qkd/descriptor.ts';
import { protocolsFor } from '../../protocols/qkd/registry.ts';
import type { NetworkView, NodeView } from './orchestration-types.ts';

export type ProtocolChoiceResult =
  | { ok: true; protocols: QkdProtocol<Channel>[] }
  | { ok: false; reason: string };

export function describe(n: NodeView): NodeDescription {
  return { name: n.id, type: n.type, dof: n.dof, hasConverter: n.ownConverter, measures: measurable(n), bsm: !!n.bsm };
}

/** The protocols whose rule serves (a, b) given every helper in the view (up or not: feasibility,
 *  not availability); `wanted` narrows them to one by name. */
export function protocolsServing(a: NodeView, b: NodeView, view: NetworkView, wanted: string = 'auto'): ProtocolChoiceResult {
  if (a.id === b.id) return { ok: false, reason: `a node cannot share a key with itself (${a.id})` };
  const served = protocolsFor(a.type, b.type);
  if (served.length === 0) return { ok: false, reason: `no protocol for node types ${a.type}–${b.type}` };
  const asked = wanted === 'auto' ? served : served.filter((p) => p.name === wanted);
  if (asked.length === 0) return { ok: false, reason: `${wanted} is not possible between ${a.id} (${a.type}) and ${b.id} (${b.type}); the protocol table gives ${served.map((p) => p.name).join(' or ')}` };
  const helpers = view.nodes.filter((n) => n.id !== a.id && n.id !== b.id).map(describe);
  const ctx = { helpers, serverConverters: view.server.converters.length > 0 };
  const reasons: string[] = [];
  const ok = asked.filter((p) => {
    const sel = p.rule.select(describe(a), describe(b), ctx);
    if (!sel.ok) reasons.push(sel.reason);
    return sel.ok;
  });
  return ok.length > 0 ? { ok: true, protocols: ok } : { ok: false, reason: reasons.join('; ') };
}

/** Converters map pol <-> tbp and pol <-> pha (pol is the hub): the table's rule. */
export function canConvert(from: Dof, to: Dof): boolean {
  return dofCanConvert(from, to);
}

/** DoFs a D node can measure in. */
export function measurable(n: NodeView): Dof[] {
  return dofMeasurable(n);
}

/** Default detector count of a D node: four SPDs for a BSM relay, two (early/late) otherwise. */
export function detectorCount(n: NodeView): number {
  return n.detectors ?? (n.bsm ? 4 : 2);
}
