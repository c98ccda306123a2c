// Every pool a task will draw from, known before it starts (actors/tasks/README.md "Keys"): the
// initiator of each link withdraws by size from its own lane of the pair's pool, so a draw is
// (owner = initiator, peer, kind, bits). A task is admitted only when every draw fits the owner's
// lane as the pool statistics count it (no key material is read).
//   QDS run (signer S, forwarder F, verifier V, n): S-F and S-V 2n bits each of the variant's kind,
//     F-V AUTH_BITS_PER_LINK secret bits for the authenticated forwarding channel.
//   conference (sponsor S, L bits): S-P L + AUTH_BITS_PER_LINK secret bits per participant P.
//   QBA: the QDS runs of every multicast round (secret keys).
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { expandRounds, planChild, type RoundSpec } from '../../protocols/tasks/qba.ts';
import { AUTH_BITS_PER_LINK } from './qds-roles.ts';

export interface Draw { owner: NodeId; peer: NodeId; kind: PoolKind; bits: number }
export interface Shortage extends Draw { available: number; missing: number }

export function qdsDraws(c: { signer: NodeId; forwarder: NodeId; verifier: NodeId; variant: 'secret' | 'imperfect'; n: number }): Draw[] {
  return [
    { owner: c.signer, peer: c.forwarder, kind: c.variant, bits: 2 * c.n },
    { owner: c.signer, peer: c.verifier, kind: c.variant, bits: 2 * c.n },
    { owner: c.forwarder, peer: c.verifier, kind: 'secret', bits: AUTH_BITS_PER_LINK },
  ];
}

export function conferenceDraws(sponsor: NodeId, participants: readonly NodeId[], bits: number): Draw[] {
  return participants.map((peer) => ({ owner: sponsor, peer, kind: 'secret' as const, bits: bits + AUTH_BITS_PER_LINK }));
}

export function qbaDraws(root: RoundSpec, n: number): Draw[] {
  return expandRounds(planChild(root)).flatMap((round) =>
    round.runs.flatMap((r) => qdsDraws({ signer: round.signer, forwarder: r.forwarder, verifier: r.verifier, variant: 'secret', n })));
}

/** One draw per (owner, peer, kind), bits summed, in first-seen order. */
export function mergeDraws(draws: readonly Draw[]): Draw[] {
  const m = new Map<string, Draw>();
  for (const d of draws) {
    const k = `${d.owner}|${d.peer}|${d.kind}`;
    const e = m.get(k);
    if (e) e.bits += d.bits; else m.set(k, { ...d });
  }
  return [...m.values()];
}

/** The merged draws that exceed what their owner can withdraw (`available(owner, peer, kind)`). */
export async function shortages(draws: readonly Draw[], available: (owner: NodeId, peer: NodeId, kind: PoolKind) => Promise<number>): Promise<Shortage[]> {
  const out: Shortage[] = [];
  for (const d of mergeDraws(draws)) {
    const have = await available(d.owner, d.peer, d.kind);
    if (have < d.bits) out.push({ ...d, available: have, missing: d.bits - have });
  }
  return out;
}
