// MDI-QKD serves C–C (weak coherent), C–E (hybrid) and E–E (heralded) through an untrusted D relay
// with a BSM, or a joint BSM of two D nodes behind the server's beam splitter.
import { measurable, meetingDof, type NodeDescription, type Selection, type SelectionContext } from '../dof.ts';

export function selectMdi(a: NodeDescription, b: NodeDescription, ctx: SelectionContext): Selection {
  const pair = [a.type, b.type].sort().join('');
  const family = pair === 'CC' ? 'mdi' : pair === 'CE' ? 'mdi-hybrid' : 'mdi-heralded';
  const relays = (ctx.helpers ?? []).filter((h) => h.type === 'D');
  if (relays.length === 0) return { ok: false, reason: `${a.type}–${b.type} needs an untrusted D node as BSM relay, none available` };
  let lastReason = '';
  for (const r of relays.filter((h) => h.bsm !== false)) {
    const m = meetingDof(a, b, measurable(r), ctx);
    if (typeof m === 'string') { lastReason = `${r.name}: ${m}`; continue; }
    return { ok: true, protocol: 'mdi', family, keyRate: 'mdi', helper: 'D', helperName: r.name, measuredDof: m.dof, conversions: m.conversions, roles: { transmitters: [a.name, b.name], receivers: [r.name] } };
  }
  // Joint BSM: the server's beam splitter + two D nodes (each an early/late detector pair).
  for (let i = 0; i < relays.length; i++) for (let j = i + 1; j < relays.length; j++) {
    const common = measurable(relays[i]!).filter((d) => measurable(relays[j]!).includes(d));
    const m = meetingDof(a, b, common, ctx);
    if (typeof m === 'string') { lastReason = m; continue; }
    return { ok: true, protocol: 'mdi', family, keyRate: 'mdi', helper: 'D', jointBsm: [relays[i]!.name, relays[j]!.name], measuredDof: m.dof, conversions: m.conversions, roles: { transmitters: [a.name, b.name], receivers: [relays[i]!.name, relays[j]!.name] } };
  }
  return { ok: false, reason: lastReason || `no D relay can measure ${a.name} and ${b.name}` };
}
