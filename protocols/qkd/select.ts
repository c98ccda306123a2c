// The protocol table (docs/reference/physics-and-keyrates.md, "Node types, DoFs and the protocol
// table") as a pure function over node descriptions, from the registry's node-type rules:
//   C–D, E–D : prepare-and-measure; C: decoy BB84 (Lim 2014), E: heralded source, passive decoy
//   C–C      : MDI-QKD (weak coherent) via an untrusted D relay, or a joint BSM of two D nodes
//   C–E, E–E : MDI-QKD with hybrid / heralded sources via an untrusted D relay
//   D–D      : entanglement-based BBM92 with an untrusted E node as the pair source
// (each protocol's rule: protocols/qkd/<name>/rule.ts).
import type { NodeDescription, Selection, SelectionContext } from './dof.ts';
import { protocolsFor } from './registry.ts';

type Chosen = Extract<Selection, { ok: true }>;

/** Every protocol that can serve (a, b) (`wanted`: only that one), with its helper and DoF
 *  conversions, in registry order; or why none can. */
export function selectProtocols(a: NodeDescription, b: NodeDescription, ctx: SelectionContext = {}, wanted = 'auto'): { ok: true; selections: Chosen[] } | { ok: false; reason: string } {
  if (a.name === b.name) return { ok: false, reason: `a node cannot share a key with itself (${a.name})` };
  const served = protocolsFor(a.type, b.type);
  if (served.length === 0) return { ok: false, reason: `no protocol for node types ${a.type}–${b.type}` };
  const asked = wanted === 'auto' ? served : served.filter((p) => p.name === wanted);
  if (asked.length === 0) return { ok: false, reason: `${wanted} is not possible between ${a.name} (${a.type}) and ${b.name} (${b.type}); the protocol table gives ${served.map((p) => p.name).join(' or ')}` };
  const helpers = (ctx.helpers ?? []).filter((h) => h.name !== a.name && h.name !== b.name);
  const reasons: string[] = [];
  const selections: Chosen[] = [];
  for (const p of asked) {
    const s = p.rule.select(a, b, { ...ctx, helpers });
    if (s.ok) selections.push(s); else reasons.push(s.reason);
  }
  return selections.length > 0 ? { ok: true, selections } : { ok: false, reason: reasons.join('; ') };
}

/** The table's first answer for (a, b). */
export function selectProtocol(a: NodeDescription, b: NodeDescription, ctx: SelectionContext = {}): Selection {
  const s = selectProtocols(a, b, ctx);
  return s.ok ? s.selections[0]! : s;
}
