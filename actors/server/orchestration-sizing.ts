// Sizing a run by the key-rate engine's finite-key prediction. The secret key of a finite block grows
// with the block size N at fixed channel and parameters (the statistical fluctuation terms of the
// finite-key bounds shrink like 1/sqrt(N): Lim et al., PRA 89, 022307 (2014), Eqs. (2)-(5) for decoy
// BB84; Zhou, Yu, Wang, PRA 93, 042324 (2016) with the key length of Jiang et al., PRA 103, 012402
// (2021) for four-intensity MDI; Ma, Fung, Lo, PRA 76, 012307 (2007) for BBM92), so the smallest N whose predicted
// key reaches a target is found by a monotone search: grow N fourfold until the target is reached,
// then bisect in log N to within 5 %, and round up to two significant digits.

/** Key bits the engine predicts for a run of `pulses` pulses. */
export type KeyAt = (pulses: number) => number;

export interface Sized { pulses: number; bits: number }

/** x rounded up to two significant digits. */
export const roundUp2 = (x: number): number => {
  const p = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / p - 1e-9) * p).toPrecision(2));
};

/** Smallest pulses in [from, max] with keyAt(pulses) >= target, or undefined when even `max` falls short. */
export function smallestPulses(keyAt: KeyAt, target: number, from: number, max: number): Sized | undefined {
  let lo = Math.max(1, from);
  if (keyAt(lo) >= target) return { pulses: lo, bits: keyAt(lo) };
  let hi = lo;
  do {
    lo = hi;
    hi = Math.min(max, hi * 4);
    if (keyAt(hi) >= target) break;
    if (hi >= max) return undefined;
  } while (hi < max);
  while (hi / lo > 1.05) {
    const mid = Math.sqrt(lo * hi);
    if (keyAt(mid) >= target) hi = mid; else lo = mid;
  }
  const pulses = Math.min(max, roundUp2(hi));
  const bits = keyAt(pulses);
  return bits >= target ? { pulses, bits } : { pulses: hi, bits: keyAt(hi) };
}
