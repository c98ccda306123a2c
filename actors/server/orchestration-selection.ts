// Adapter between the orchestration core and the protocol table (protocols/selection.ts).
// The table answers "which family, which kind of helper, is it possible at all" for a pair of
// node descriptions; the orchestration core then enumerates the concrete helpers, routes and
// conversion points itself (it knows which are free and what each costs in key rate).
import type { Dof } from '../../protocols/types.ts';
import { canConvert as tableCanConvert, selectProtocol, type NodeDescription, type ProtocolFamily } from '../../protocols/selection.ts';
import type { NetworkView, NodeView } from './orchestration-types.ts';

export type Family = 'pm' | 'mdi' | 'eb';

export type FamilyChoice =
  | { ok: true; family: Family; tableFamily: ProtocolFamily; helper: 'none' | 'D' | 'E' }
  | { ok: false; reason: string };

export function describe(n: NodeView): NodeDescription {
  return { name: n.id, type: n.type, dof: n.dof, hasConverter: n.ownConverter, measures: measurable(n), bsm: !!n.bsm };
}

const FAMILY: Record<ProtocolFamily, Family> = {
  bb84: 'pm',
  'bb84-heralded': 'pm',
  mdi: 'mdi',
  'mdi-hybrid': 'mdi',
  'mdi-heralded': 'mdi',
  bbm92: 'eb',
};

/** The table's answer for (a, b) given every helper in the view (up or not: feasibility, not availability). */
export function protocolFamily(a: NodeView, b: NodeView, view: NetworkView): FamilyChoice {
  const helpers = view.nodes.filter((n) => n.id !== a.id && n.id !== b.id).map(describe);
  const sel = selectProtocol(describe(a), describe(b), { helpers, serverConverters: view.server.converters.length > 0 });
  if (!sel.ok) return { ok: false, reason: sel.reason };
  return { ok: true, family: FAMILY[sel.family], tableFamily: sel.family, helper: sel.helper };
}

/** Converters map pol <-> tbp and pol <-> pha (pol is the hub): the table's rule. */
export function canConvert(from: Dof, to: Dof): boolean {
  return tableCanConvert(from, to);
}

/** DoFs a D node can measure in. */
export function measurable(n: NodeView): Dof[] {
  return n.measures ?? [n.dof];
}

/** Default detector count of a D node: four SPDs for a BSM relay, two (early/late) otherwise. */
export function detectorCount(n: NodeView): number {
  return n.detectors ?? (n.bsm ? 4 : 2);
}
