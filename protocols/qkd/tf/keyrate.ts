// SNS-TF-QKD key rate of a link for given source settings: finite key (Jiang, Yu, Hu & Wang,
// PR Applied 12, 024061 (2019)) or asymptotic (Wang, Yu & Hu, PRA 98, 062323 (2018)). The model's
// expected counts (channel.ts) go through the same estimator as observed counts (estimate.ts), as
// for MDI (protocols/keyrate/mdi.ts), so prediction and estimation agree by construction.

import type { TfKeyRateResult, TfLink, TfParams, TfSecurity } from './types.ts';
import { tfExpectedCounts } from './channel.ts';
import { tfEstimateFromCounts } from './estimate.ts';

export interface TfKeyRateInput {
  link: TfLink;
  params: TfParams;
  /** Time windows N (finite key). Ignored by the asymptotic rate, which is per window. */
  pulses?: number;
  /** Error-correction inefficiency (default 1.1, the value of the SNS papers' simulations). */
  f?: number;
  /** false: asymptotic rate (Eq. 5 of estimate.ts), true (default): finite key (Eq. 4). */
  finite?: boolean;
  security?: TfSecurity;
}

/** Key from the channel model: secretBits for N windows, secretBitsPerPulse per window. */
export function tfKeyRate(input: TfKeyRateInput): TfKeyRateResult {
  const finite = input.finite ?? true;
  const pulses = finite ? input.pulses ?? 1e12 : 1;
  const counts = tfExpectedCounts(input.link, input.params, pulses);
  return tfEstimateFromCounts(counts, input.params, { f: input.f ?? 1.1, finite }, input.security);
}

/** Asymptotic key per window (Wang-Yu-Hu 2018): tfKeyRate with finite = false. */
export function tfAsymptoticRate(link: TfLink, params: TfParams, f = 1.1): number {
  return tfKeyRate({ link, params, f, finite: false }).secretBitsPerPulse;
}
