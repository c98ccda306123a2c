// The control plane's choice for a signature request when the user leaves it open (spec: "Two
// variants, chosen by the orchestration core"): the variant and the third party (verifier).
// Pure: it gets the signer's pool levels and returns the plan, or why no plan fits.
//  - variant: imperfect keys when both of the signer's links hold enough imperfect key (they are
//    cheaper to make and sign far more often), else secret keys;
//  - third party: among the other nodes, the one whose pool with the signer holds the most bits of
//    the chosen kind (ties: name order), so repeated signatures spread over the pools.
import type { NodeId } from '../../protocols/types.ts';
import { qdsStringLength, type QdsVariant } from '../../protocols/tasks/qds.ts';

export interface QdsChoiceInput {
  signer: NodeId;
  receiver: NodeId;
  thirdParty?: NodeId;
  variant?: QdsVariant;
  /** Nodes that may act as third party. */
  candidates: readonly NodeId[];
  messageBytes: number;
  eps?: number;
  imperfectBits?: number;
  /** Bits the signer can withdraw by size, per kind and peer. */
  available: Record<QdsVariant, Readonly<Record<NodeId, number>>>;
}

export interface QdsChoice { variant: QdsVariant; forwarder: NodeId; verifier: NodeId; n: number; bitsPerLink: number; chosen: { variant: boolean; thirdParty: boolean } }

export class NoQdsPlanError extends Error {}

export function chooseQds(i: QdsChoiceInput): QdsChoice {
  if (i.signer === i.receiver) throw new NoQdsPlanError('receiver: must differ from the signer');
  if (i.thirdParty && (i.thirdParty === i.signer || i.thirdParty === i.receiver)) throw new NoQdsPlanError('third-party: must differ from the signer and the receiver');
  const need = (v: QdsVariant) => 2 * qdsStringLength(v, { messageBytes: i.messageBytes, eps: i.eps, imperfectStringBits: i.imperfectBits });
  const others = i.thirdParty ? [i.thirdParty] : i.candidates.filter((c) => c !== i.signer && c !== i.receiver);
  if (others.length === 0) throw new NoQdsPlanError('third-party: no node left to act as third party');
  const has = (v: QdsVariant, peer: NodeId) => (i.available[v][peer] ?? 0) >= need(v);
  const fits = (v: QdsVariant) => has(v, i.receiver) && others.some((o) => has(v, o));
  const variant: QdsVariant = i.variant ?? (fits('imperfect') ? 'imperfect' : 'secret');
  const pool = i.available[variant];
  const verifier = i.thirdParty ?? [...others].sort((a, b) => (pool[b] ?? 0) - (pool[a] ?? 0) || a.localeCompare(b))[0]!;
  const bitsPerLink = need(variant);
  for (const peer of [i.receiver, verifier]) {
    if ((pool[peer] ?? 0) < bitsPerLink) throw new NoQdsPlanError(`not enough ${variant} key between ${i.signer} and ${peer}: ${pool[peer] ?? 0} bits, ${bitsPerLink} needed`);
  }
  return { variant, forwarder: i.receiver, verifier, n: bitsPerLink / 2, bitsPerLink, chosen: { variant: !i.variant, thirdParty: !i.thirdParty } };
}
