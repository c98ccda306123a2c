// Parameter estimation of BBM92 on the OBSERVED counts. Both D nodes hold the same counts after
// sifting and the QBER sample and run this same deterministic code, so they reach the same
// decisions without further messages. The length is the key-rate engine's bbm92FromCounts
// (finite-size choice documented in protocols/keyrate/bbm92.ts: phase error of the X key from the
// disclosed Z coincidences by random sampling, Lim et al., PRA 89, 022307 (2014) Eq. (5) gamma,
// then Lim 2014 Eq. (1)); nothing is recomputed here.
import { bbm92FromCounts, type Bbm92Counts } from '../keyrate/bbm92.ts';
import { binaryEntropy } from '../keyrate/entropy.ts';
import { DEFAULT_EPS, type SecurityParams } from '../keyrate/bb84-lim.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import { SessionAbort } from './announce.ts';

export interface Bbm92EstimationConfig {
  pulses: number;
  /** The plan's source settings (lambda, qX), reported with the result. */
  params: Record<string, number>;
  eps?: SecurityParams;
}

export interface Bbm92PreEstimate {
  /** Length with only the disclosed sample as leak: an upper bound on the final one. */
  bound: KeyRateResult;
  /** X-basis QBER estimate for error correction (the disclosed X sample; E_Z without one). */
  qberEstimate: number;
}

const fmt = (x: number) => x.toFixed(4);

/**
 * Before error correction: abort now when no key is possible, either with no EC leak at all
 * (phase-error bound too high) or with the least leak any EC can achieve, the Shannon limit
 * n_X h(E_X) (Slepian-Wolf), at the sampled X-basis QBER: this stops an intercept-resend attack
 * (E ~ 25 %) before Cascade spends the channel on it.
 */
export function estimateBbm92BeforeEc(c: Bbm92Counts, sample: { count: number; errors: number }, cfg: Bbm92EstimationConfig): Bbm92PreEstimate {
  const eps = cfg.eps ?? DEFAULT_EPS;
  const eZ = c.nZ > 0 ? c.mZ / c.nZ : 0.5;
  const bound = bbm92FromCounts(c, sample.count, cfg.pulses, cfg.params, eps);
  const qberEstimate = sample.count > 0 ? sample.errors / sample.count : eZ;
  const what = `(n_X ${c.nX}, n_Z ${c.nZ}, Z-basis QBER ${fmt(eZ)}, X-sample QBER ${fmt(qberEstimate)}, phase-error bound ${fmt(bound.phaseErrorBound)})`;
  if (bound.secretBits === 0) throw new SessionAbort('estimation', `no key: ${bound.reason ?? 'zero length'} ${what}`);
  if (!(qberEstimate < 0.5)) throw new SessionAbort('estimation', `X-basis QBER ${fmt(qberEstimate)} leaves nothing to correct ${what}`);
  const shannon = bbm92FromCounts(c, sample.count + c.nX * binaryEntropy(qberEstimate), cfg.pulses, cfg.params, eps);
  if (shannon.secretBits === 0) throw new SessionAbort('estimation', `no key even at the Shannon limit of error correction ${what}`);
  return { bound, qberEstimate };
}

/** After error correction: the final length with the bits actually disclosed and the X errors corrected. */
export function estimateBbm92Final(c: Bbm92Counts, cfg: Bbm92EstimationConfig, leakEC: number, mX: number): KeyRateResult {
  const r = bbm92FromCounts({ ...c, mX }, leakEC, cfg.pulses, cfg.params, cfg.eps ?? DEFAULT_EPS);
  if (r.secretBits === 0) throw new SessionAbort('estimation', `no key after error correction (leak ${Math.round(leakEC)} bits): ${r.reason ?? 'zero length'}`);
  return r;
}
