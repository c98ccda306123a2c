// Parameter estimation of four-intensity MDI-QKD on the observed counts: the key-rate engine's
// mdiEstimateFromCounts (Chernoff bounds with joint constraints, Zhou-Yu-Wang 2016 / Jiang 2021),
// run by both sources on the same sifted counts.
import { mdiEstimateFromCounts, type MdiCounts, type MdiParams, type MdiSecurity } from '../keyrate/mdi-finite.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import { SessionAbort } from './announce.ts';

export interface MdiEstimationConfig { params: MdiParams; security?: MdiSecurity }

/** Before EC: abort when even a zero EC leak leaves no key. */
export function estimateMdiBeforeEc(c: MdiCounts, cfg: MdiEstimationConfig): KeyRateResult {
  const r = mdiEstimateFromCounts({ ...c, m: { ...c.m, 's-s': 0 } }, cfg.params, { leakEC: 0 }, cfg.security);
  if (r.secretBits === 0) throw new SessionAbort('estimation', `no key: ${r.reason ?? 'zero length'} (phase-error bound ${r.phaseErrorBound.toFixed(4)})`);
  return r;
}

/** After EC: final length with the disclosed bits and the corrected Z-window errors. */
export function estimateMdiFinal(c: MdiCounts, cfg: MdiEstimationConfig, leakEC: number, zErrors: number): KeyRateResult {
  const r = mdiEstimateFromCounts({ ...c, m: { ...c.m, 's-s': zErrors } }, cfg.params, { leakEC }, cfg.security);
  if (r.secretBits === 0) throw new SessionAbort('estimation', `no key after error correction (leak ${leakEC} bits): ${r.reason ?? 'zero length'}`);
  return r;
}
