// Fibre channel: loss in dB <-> transmittance. Every link in hetqn is reduced to one
// transmittance eta_ch = 10^(-(alpha L + extra)/10) (Lim et al., PRA 89, 022307 (2014), Sec. IV:
// eta_ch = 10^(-0.2 L / 10)); extra covers connectors, switches, converters at the server.

/** Transmittance of `db` decibels of loss (db >= 0 means attenuation). */
export function dbToTransmittance(db: number): number {
  return Math.pow(10, -db / 10);
}

/** Loss in dB of a transmittance eta in (0, 1]; +Infinity for eta <= 0. */
export function transmittanceToDb(eta: number): number {
  if (!(eta > 0)) return Number.POSITIVE_INFINITY;
  return -10 * Math.log10(eta);
}

/** Fibre of `lengthKm` at `alphaDbPerKm` plus `extraLossDb` of components, as a transmittance. */
export function fibreTransmittance(lengthKm: number, alphaDbPerKm = 0.2, extraLossDb = 0): number {
  if (lengthKm < 0 || !Number.isFinite(lengthKm)) throw new RangeError(`fibreTransmittance: lengthKm must be >= 0, got ${lengthKm}`);
  return dbToTransmittance(alphaDbPerKm * lengthKm + extraLossDb);
}

/** Total loss in dB of a fibre plus extra component loss. */
export function fibreLossDb(lengthKm: number, alphaDbPerKm = 0.2, extraLossDb = 0): number {
  return alphaDbPerKm * lengthKm + extraLossDb;
}
