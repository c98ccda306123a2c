// Parameter estimation of decoy BB84 on the OBSERVED (sifted) statistics: both parties hold the
// same per-intensity counts after sifting and run this same deterministic code on them, so they
// reach the same decisions without further messages. The bounds are the key-rate engine's
// (bb84EstimateFromCounts, Lim et al. 2014 Eqs. 1-5); nothing is recomputed here.
import { type Bb84Counts, bb84EstimateFromCounts, DEFAULT_EPS, type SecurityParams } from '../keyrate/bb84-lim.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import type { Bb84SourceParams } from '../physics/bb84-model.ts';
import { SessionAbort } from './announce.ts';
import type { Bb84SiftCounts } from './sifting-bb84.ts';

export interface Bb84EstimationConfig {
  source: Bb84SourceParams;
  eps?: SecurityParams;
}

const rec = (a: readonly number[]) => ({ mu1: a[0], mu2: a[1], mu3: a[2] });

/** The engine's count record from sifting tallies; mX (X errors) is known only after EC. */
export function bb84CountsFromSift(c: Bb84SiftCounts, pulses: number, mX: readonly number[] = [0, 0, 0]): Bb84Counts {
  return { nX: rec(c.nX), mX: rec(mX), nZ: rec(c.nZ), mZ: rec(c.mZ), pulses };
}

export interface Bb84PreEstimate {
  /** Engine result with no EC leak: the most key the phase-error bound allows. */
  bound: KeyRateResult;
  /** QBER estimate for error correction: the Z-basis error rate of the disclosed test bits. */
  qberEstimate: number;
}

/**
 * Before error correction: is any key possible at all? With leakEC = 0 the engine's length is an
 * upper bound on the final one; if it is 0 (typically s_X1 = 0 or phi_X >= 1/2) abort now.
 */
export function estimateBb84BeforeEc(c: Bb84SiftCounts, pulses: number, cfg: Bb84EstimationConfig): Bb84PreEstimate {
  const bound = bb84EstimateFromCounts(bb84CountsFromSift(c, pulses), { source: cfg.source, leakEC: 0 }, cfg.eps ?? DEFAULT_EPS);
  const nZ = c.nZ[0] + c.nZ[1] + c.nZ[2], mZ = c.mZ[0] + c.mZ[1] + c.mZ[2];
  const qberEstimate = nZ > 0 ? mZ / nZ : 0.5;
  if (bound.secretBits === 0) {
    throw new SessionAbort('estimation', `no key: ${bound.reason ?? 'zero length'} (phase-error bound ${bound.phaseErrorBound.toFixed(4)}, Z-basis QBER ${qberEstimate.toFixed(4)}, s_X1 ${Math.round(bound.terms.sX1 ?? 0)})`);
  }
  if (!(qberEstimate < 0.5)) throw new SessionAbort('estimation', `Z-basis QBER ${qberEstimate} leaves nothing to correct`);
  return { bound, qberEstimate };
}

/** After error correction: the final length with the bits the reconciliation actually disclosed. */
export function estimateBb84Final(c: Bb84SiftCounts, pulses: number, cfg: Bb84EstimationConfig, leakEC: number, mX: readonly number[]): KeyRateResult {
  const r = bb84EstimateFromCounts(bb84CountsFromSift(c, pulses, mX), { source: cfg.source, leakEC }, cfg.eps ?? DEFAULT_EPS);
  if (r.secretBits === 0) throw new SessionAbort('estimation', `no key after error correction (leak ${leakEC} bits): ${r.reason ?? 'zero length'}`);
  return r;
}
