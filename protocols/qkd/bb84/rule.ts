// Decoy BB84 serves C–D and E–D (prepare and measure; an E transmitter is a heralded source with
// passive decoys): the receiver must measure the transmitter's photons in a DoF it can decode.
import { convert, measurable, type NodeDescription, type Selection, type SelectionContext } from '../dof.ts';

export function selectBb84(a: NodeDescription, b: NodeDescription, ctx: SelectionContext): Selection {
  const tx = a.type === 'D' ? b : a, rx = a.type === 'D' ? a : b;
  let lastReason = '';
  for (const dof of [tx.dof, ...measurable(rx).filter((d) => d !== tx.dof)]) {
    if (!measurable(rx).includes(dof)) { lastReason = `${rx.name} cannot measure ${dof}`; continue; }
    const c = convert(tx, dof, ctx);
    if (typeof c === 'string') { lastReason = c; continue; }
    const family = tx.type === 'C' ? 'bb84' : 'bb84-heralded';
    return { ok: true, protocol: 'bb84', family, keyRate: family, helper: 'none', measuredDof: dof, conversions: c ? [c] : [], roles: { transmitters: [tx.name], receivers: [rx.name] } };
  }
  return { ok: false, reason: lastReason || `${rx.name} cannot measure ${tx.name}'s photons` };
}
