// Optimal decoy-BB84 settings: maximise the Lim 2014 finite-key rate l/N over
// (q_X, p_mu1, p_mu2, mu1, mu2) with mu3 fixed, as in Lim 2014 Sec. IV ("we numerically
// optimize the secret key rate R := l/N over the free parameters {q_x, p_mu1, p_mu2, mu1, mu2}").
// Two budgets: a fixed number of pulses N (what a session has), or a fixed X-basis block
// n_X (Lim's Fig. 1), in which case N = n_X / (expected X detections per pulse).
// The optimiser climbs the unfloored key length (terms.lRaw), so it gets a slope even where
// no key exists yet.

import type { KeyRateResult } from './types.ts';
import { maximise } from './optimise.ts';
import { bb84Predict, bb84PulsesForBlock, DEFAULT_EPS, type SecurityParams } from './bb84-lim.ts';
import type { Bb84Link, Bb84SourceParams } from '../physics/bb84-model.ts';

export interface Bb84OptimiseInput {
  link: Bb84Link;
  f: number;
  /** Pulses sent N (give this or blockSizeX). */
  pulses?: number;
  /** Fixed X-basis post-processing block n_X (Lim 2014 Fig. 1). */
  blockSizeX?: number;
  eps?: SecurityParams;
  /** Weakest intensity (Lim 2014: 2e-4). */
  mu3?: number;
  /** Bob's X-basis probability when his choice is passive (e.g. 0.5); omitted = same as Alice's. */
  qXBob?: number;
  /** Upper bound on the signal intensity (default 1). */
  mu1Max?: number;
  /** Warm start, e.g. from the parameter table. */
  start?: Partial<Bb84SourceParams>;
  maxEvals?: number;
}

const order = ['qX', 'pMu1', 'pMu2', 'mu1', 'mu2'] as const;

function sourceFrom(x: number[], mu3: number, qXBob?: number): Bb84SourceParams {
  const s: Bb84SourceParams = { qX: x[0], pMu1: x[1], pMu2: x[2], mu1: x[3], mu2: x[4], mu3 };
  if (qXBob !== undefined) s.qXBob = qXBob;
  return s;
}

function evaluate(input: Bb84OptimiseInput, source: Bb84SourceParams): KeyRateResult {
  const eps = input.eps ?? DEFAULT_EPS;
  const pulses = input.blockSizeX !== undefined ? bb84PulsesForBlock(input.blockSizeX, source, input.link) : input.pulses!;
  if (!Number.isFinite(pulses) || pulses <= 0) {
    return { protocol: 'bb84', pulses: 0, params: { ...source }, siftedBits: 0, qber: 0, phaseErrorBound: 0.5, leakEC: 0, secretBits: 0, secretBitsPerPulse: 0, terms: { lRaw: -1e30 }, reason: 'no detections' };
  }
  return bb84Predict({ link: input.link, source, pulses, f: input.f, eps });
}

/** Best finite-key decoy-BB84 settings for this link; returns the KeyRateResult at the optimum. */
export function bb84Optimise(input: Bb84OptimiseInput): KeyRateResult {
  if (input.pulses === undefined && input.blockSizeX === undefined) throw new RangeError('bb84Optimise: give pulses or blockSizeX');
  const mu3 = input.mu3 ?? 2e-4;
  const mu1Max = input.mu1Max ?? 1;
  const lo = [0.5, 0.02, 0.02, mu3 + 2e-3, mu3 + 1e-4];
  const hi = [0.999, 0.97, 0.97, mu1Max, mu1Max / 2];
  const objective = (x: number[]) => {
    const r = evaluate(input, sourceFrom(x, mu3, input.qXBob));
    const raw = r.terms.objective ?? r.terms.lRaw ?? -1e30;
    if (!(r.pulses > 0)) return -1e30;
    // With a fixed block a negative l/N would reward ever larger N (smaller intensities), so
    // below zero climb l itself in units of the block; above zero maximise the rate l/N.
    if (input.blockSizeX !== undefined && raw <= 0) return raw / input.blockSizeX - 1;
    return raw / r.pulses;
  };
  const s = input.start;
  const starts = [[0.85, 0.6, 0.3, 0.5, 0.15], [0.95, 0.7, 0.25, 0.4, 0.1], [0.5, 0.1, 0.35, 0.3, 0.1], [0.7, 0.3, 0.4, 0.5, 0.15]];
  if (s) starts.unshift(order.map((k, i) => (s[k] ?? starts[0][i]) as number));
  const best = maximise(objective, { lo, hi }, {
    starts,
    haltonStarts: 4,
    maxEvals: input.maxEvals ?? 3000,
    constraints: [
      x => x[1] + x[2] - 0.99, // p_mu3 >= 0.01
      x => x[4] + mu3 - x[3] + 1e-3, // mu1 > mu2 + mu3 (Lim 2014 Sec. II)
    ],
  });
  return evaluate(input, sourceFrom(best.x, mu3, input.qXBob));
}
