// Adapter between the orchestration core and the protocols' node-type rules (protocols/qkd/
// registry.ts). The rules answer "which protocols, which kind of helper, is it possible at all"
// for a pair of node descriptions; the orchestration core then has each protocol enumerate its
// concrete helpers, routes and conversion points (protocols/qkd/<name>/plan.ts) and ranks them.
import type { Dof } from '../../protocols/types.ts';
import { measurable as dofMeasurable, type NodeDescription } from '../../protocols/qkd/dof.ts';
import type { Channel, QkdProtocol } from '../../protocols/qkd/descriptor.ts';
import { protocolNamed } from '../../protocols/qkd/registry.ts';
import { selectProtocols } from '../../protocols/qkd/select.ts';
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
  const helpers = view.nodes.filter((n) => n.id !== a.id && n.id !== b.id).map(describe);
  const s = selectProtocols(describe(a), describe(b), { helpers, serverConverters: view.server.converters.length > 0 }, wanted);
  return s.ok ? { ok: true, protocols: s.selections.map((x) => protocolNamed(x.protocol)!) } : s;
}

/** DoFs a D node can measure in. */
export function measurable(n: NodeView): Dof[] {
  return dofMeasurable(n);
}

/** Default detector count of a D node: four SPDs for a BSM relay, two (early/late) otherwise. */
export function detectorCount(n: NodeView): number {
  return n.detectors ?? (n.bsm ? 4 : 2);
}
