// The QKD run that fills a short pool lane: what `hetqn qkd A B --seconds T` would put `bits` bits into
// `owner`'s lane of its pool with `peer`. A session's key is split between the two ends' lanes (half
// each, infra/keypool/README.md "Lanes"), so it must yield twice the bits, plus 10 %, and at least
// FILL_MIN_BITS: what a small block yields scatters widely around its finite-key prediction (BB84 D-A runs
// predicted at 242 bits gave 32 and 262), a larger one much less. Secret keys: T from the finite-key prediction
// (planRequest sized "until k bits"); imperfect keys (the reconciled key, about l_sift less the <= 1 %
// QBER sample): T from the predicted sifted bits per second.
import type { NodeId } from '../../protocols/types.ts';
import { planRequest } from './orchestration.ts';
import type { NetworkView, Plan } from './orchestration-types.ts';
import { roundUp2 } from './orchestration-sizing.ts';
import { emptyPool } from './resources.ts';

export interface FillRun {
  a: NodeId; b: NodeId; kind: 'secret' | 'imperfect';
  /** Acquisition seconds (undefined when no run on this network can fill the lane: see `reason`). */
  seconds?: number;
  protocol?: string;
  /** Bits the run is predicted to yield (both lanes together). */
  predictedBits?: number;
  reason?: string;
  /** The command that runs it. */
  command?: string;
}

/** The smallest yield a fill run is sized for. */
export const FILL_MIN_BITS = 20_000;

export function fillRun(view: NetworkView, owner: NodeId, peer: NodeId, kind: 'secret' | 'imperfect', bits: number): FillRun {
  const target = Math.max(FILL_MIN_BITS, Math.ceil(2 * bits * 1.1));
  const base = { a: owner, b: peer, kind };
  const outcome = kind === 'secret'
    ? planRequest({ id: 'fill', kind: 'qkd', a: owner, b: peer, bits: target }, view, emptyPool())
    : planRequest({ id: 'fill', kind: 'qkd', a: owner, b: peer, seconds: 1, keyKind: 'imperfect' }, view, emptyPool());
  if (outcome.kind !== 'plan') return { ...base, reason: outcome.reason };
  const plan: Plan = outcome;
  const rate = view.rateHz ?? 1e9;
  const perSecond = kind === 'secret' ? 0 : plan.prediction.siftedBits / (plan.pulses / rate);
  if (kind === 'imperfect' && !(perSecond > 0)) return { ...base, reason: `${plan.protocol} ${owner}-${peer} predicts no sifted key` };
  const seconds = roundUp2(kind === 'secret' ? plan.pulses / rate : target / perSecond);
  const predictedBits = Math.floor(kind === 'secret' ? plan.prediction.secretBits : perSecond * seconds);
  return { ...base, seconds, protocol: plan.protocol, predictedBits, command: `hetqn qkd ${owner} ${peer} --seconds ${seconds}${kind === 'imperfect' ? ' --key-kind imperfect' : ''}` };
}
