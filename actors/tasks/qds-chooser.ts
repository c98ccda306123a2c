// The control plane's choice for a signature request when the user leaves it open (spec: "Two
// variants, chosen by the orchestration core"): the variant and the third party (verifier).
// Pure: it gets the pool levels the run would draw from and returns the plan; whether the pools
// then hold enough is the task pre-check's business (task-draws.ts), which names every short pool.
//  - variant: imperfect keys when a third party exists for which every draw of an imperfect-key run
//    fits (both of the signer's imperfect lanes hold 2n bits, and the receiver's secret lane with it
//    holds the authentication bits): they are cheaper to make and sign far more often; else secret;
//  - third party: among the other nodes, first those for which every draw fits, then the one whose
//    pool with the signer holds the most bits of the chosen kind (ties: name order), so repeated
//    signatures spread over the pools.
import type { NodeId } from '../../protocols/types.ts';
import { qdsStringLength, type QdsVariant } from '../../protocols/tasks/qds.ts';
import { AUTH_BITS_PER_LINK } from './qds-roles.ts';

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
  /** Secret bits the receiver (forwarder) can withdraw from its pool with each candidate third party
   *  (the authenticated forwarding channel); absent: not considered. */
  auth?: Readonly<Record<NodeId, number>>;
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
  const authFits = (v: NodeId) => !i.auth || (i.auth[v] ?? 0) >= AUTH_BITS_PER_LINK;
  const fitsWith = (v: QdsVariant, o: NodeId) => has(v, i.receiver) && has(v, o) && authFits(o);
  const variant: QdsVariant = i.variant ?? (others.some((o) => fitsWith('imperfect', o)) ? 'imperfect' : 'secret');
  const pool = i.available[variant];
  const verifier = i.thirdParty ?? [...others].sort((a, b) => Number(fitsWith(variant, b)) - Number(fitsWith(variant, a)) || (pool[b] ?? 0) - (pool[a] ?? 0) || a.localeCompare(b))[0]!;
  const bitsPerLink = need(variant);
  return { variant, forwarder: i.receiver, verifier, n: bitsPerLink / 2, bitsPerLink, chosen: { variant: !i.variant, thirdParty: !i.thirdParty } };
}
