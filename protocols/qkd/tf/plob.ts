// The repeaterless bound: the secret-key capacity of a pure-loss channel of transmittance eta,
// -log2(1 - eta) bits per channel use (Pirandola, Laurenza, Ottaviani & Banchi, Nat. Commun. 8,
// 15043 (2017), Eq. (19) "PLOB bound"; ~ 1.44 eta at high loss). Twin-field QKD beats it because
// its key scales with sqrt(eta) (each pulse crosses only half the channel).

/** PLOB bound -log2(1 - eta) for transmittance eta in [0, 1]. */
export function plobBound(eta: number): number {
  if (!(eta >= 0 && eta <= 1)) throw new RangeError(`plobBound: eta must be in [0, 1], got ${eta}`);
  if (eta === 1) return Number.POSITIVE_INFINITY;
  return -Math.log1p(-eta) / Math.LN2;
}

/** PLOB bound of a fibre of total length `lengthKm` (alpha dB/km, plus extra dB): the absolute bound, no detector. */
export function plobBoundFibre(lengthKm: number, alphaDbPerKm = 0.2, extraLossDb = 0): number {
  return plobBound(Math.pow(10, -(alphaDbPerKm * lengthKm + extraLossDb) / 10));
}
