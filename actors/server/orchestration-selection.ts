// Adapter for the node-type x node-type protocol table (protocols/selection.ts, issue 3), plus
// the DoF-conversion rules the orchestration core needs. Until selection.ts lands, this file
// holds the table of physics-and-keyrates.md ("Node types, DoFs and the protocol table"):
//   C–D, E–D: prepare-and-measure (decoy BB84; heralded source for E)  -> no helper
//   C–C, C–E, E–E: MDI with an untrusted D node (or joint BSM of two D nodes)
//   D–D: entanglement-based BBM92 with an untrusted E node as source
import type { Dof, NodeType } from '../../protocols/types.ts';
import type { NodeView } from './orchestration-types.ts';

export type Family = 'pm' | 'mdi' | 'eb';

export type FamilyChoice =
  | { ok: true; family: Family; helper: 'none' | 'D' | 'E' }
  | { ok: false; reason: string };

export function protocolFamily(a: NodeType, b: NodeType): FamilyChoice {
  const pair = [a, b].sort().join('');
  switch (pair) {
    case 'CD':
    case 'DE':
      return { ok: true, family: 'pm', helper: 'none' };
    case 'CC':
    case 'CE':
    case 'EE':
      return { ok: true, family: 'mdi', helper: 'D' };
    case 'DD':
      return { ok: true, family: 'eb', helper: 'E' };
    default:
      return { ok: false, reason: `no protocol for node types ${a}–${b}` };
  }
}

/** The DoF converter maps pol <-> tbp (PBS + two delays + coupler, physics-and-keyrates.md) and
 *  likewise pol <-> pha; pol is the hub, so tbp <-> pha needs two converters and is not offered. */
export function canConvert(from: Dof, to: Dof): boolean {
  return from !== to && (from === 'pol' || to === 'pol');
}

/** DoFs a D node (or the joint pair) can measure in. */
export function measurable(n: NodeView): Dof[] {
  return n.measures ?? [n.dof];
}

/** Default detector count of a D node: four SPDs for a BSM relay, two (early/late) otherwise. */
export function detectorCount(n: NodeView): number {
  return n.detectors ?? (n.bsm ? 4 : 2);
}
