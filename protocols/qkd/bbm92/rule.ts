// BBM92 serves D–D with an untrusted E node as the entangled-pair source: each D node measures
// the source's photons in its DoF (converted at the source's or the server's converter).
import { convert, measurable, type Conversion, type NodeDescription, type Selection, type SelectionContext } from '../dof.ts';

export function selectBbm92(a: NodeDescription, b: NodeDescription, ctx: SelectionContext): Selection {
  const sources = (ctx.helpers ?? []).filter((h) => h.type === 'E');
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
    if (ok) return { ok: true, protocol: 'bbm92', family: 'bbm92', keyRate: 'bbm92', helper: 'E', helperName: e.name, measuredDof: e.dof, conversions, roles: { transmitters: [e.name], receivers: [a.name, b.name] } };
  }
  return { ok: false, reason: lastReason };
}
