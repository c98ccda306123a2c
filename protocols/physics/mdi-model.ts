// Expected gains and error gains of MDI-QKD with phase-randomised weak coherent pulses and a
// polarization (or equivalent time-bin) Bell-state measurement: the channel model of
// Xu, Curty, Qi, Lo, "Practical aspects of measurement-device-independent quantum key
// distribution", NJP 15, 113007 (2013), Appendix B (Eqs. B5-B9; arXiv:1305.6965).
// The emulated optical layer samples from these probabilities and the key-rate engine predicts
// from them, so both agree by construction.
//
// Conventions (as in Xu 2013 App. B): etaA, etaB are the total transmittances from each source
// to the BSM *including* the detector efficiency; pDark is the dark-count probability per detector
// per gate (4 detectors); eMis is the misalignment error e_d of the optical system.
//
// HOM visibility (not in Xu 2013, documented here): the X-basis key relies on two-photon
// interference at the BSM beam splitter. Photons that are distinguishable (spectral, temporal or
// polarization mode mismatch) do not interfere, and for them the X-basis coincidences are
// uncorrelated with the prepared bits: error 1/2. With mode overlap V (the two-photon HOM
// visibility, V = 1 ideal), the interfering fraction V keeps the ideal behaviour with
// misalignment e_d and the fraction 1-V gives error e0 = 1/2. Because the X-basis formulas are
// linear in (e0 - e_d), this is the substitution
//     e_dX = V e_d + (1 - V)/2            (X basis only; Z needs no interference)
// in Xu 2013 Eq. B9 (E_X Q_X) and in the single-pair X error. The total X gain Q_X is unchanged
// (interference redistributes coincidences between the psi+ and psi- patterns but, averaged over
// the phase-randomised inputs, not their sum, which is why Q_X in Eq. B8 carries no e_d).

export interface MdiLink {
  /** Source A to BSM transmittance including detector efficiency. */
  etaA: number;
  /** Source B to BSM transmittance including detector efficiency. */
  etaB: number;
  /** Dark-count probability per detector per gate. */
  pDark: number;
  /** Misalignment error e_d (both bases). */
  eMis: number;
  /** Two-photon (HOM) interference visibility V in [0, 1]; default 1. */
  visibility?: number;
}

export interface MdiGains {
  /** Z basis: coincidence gain Q_Z = Q_C + Q_E (Xu 2013 Eq. B7). */
  qZ: number;
  /** Z basis: error gain E_Z Q_Z = e_d Q_C + (1 - e_d) Q_E (Eq. B7). */
  eZqZ: number;
  /** X basis gain Q_X (Eq. B8). */
  qX: number;
  /** X basis error gain E_X Q_X (Eq. B9, with e_d -> e_dX for the HOM visibility). */
  eXqX: number;
  /** Z basis "correct" part Q_C (Eq. B5). */
  qC: number;
  /** Z basis "error" part Q_E (Eq. B6). */
  qE: number;
}

const E0 = 0.5;

/**
 * I0(z) - 1 for the modified Bessel function of the first kind, order 0.
 * Power series I0(z) = sum_k (z^2/4)^k / (k!)^2 (Abramowitz–Stegun 9.6.12): all terms positive,
 * so it is accurate to rounding for every z where it is summed; starting at k = 1 keeps I0 - 1
 * exact for tiny z, which MDI needs (the X-basis interference term is 2 y^2 [I0(2x) - 1]).
 * For z > 500 (I0 > 1e215) the asymptotic polynomial of A&S 9.8.2 (|rel. error| < 1.9e-7) is used.
 */
export function besselI0m1(z: number): number {
  const a = Math.abs(z);
  if (a > 500) return besselI0(a) - 1;
  const q = (a * a) / 4;
  let term = q; // k = 1
  let sum = 0;
  for (let k = 1; k < 2000; k++) {
    if (k > 1) term *= q / (k * k);
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return sum;
}

/** Modified Bessel I0(z): series (A&S 9.6.12) for |z| <= 500, A&S 9.8.2 beyond. */
export function besselI0(z: number): number {
  const a = Math.abs(z);
  if (a <= 500) return 1 + besselI0m1(a);
  // A&S 9.8.2: x^(1/2) e^(-x) I0(x) = polynomial in t = 3.75/x, valid for x >= 3.75.
  const t = 3.75 / a;
  const p =
    0.39894228 +
    t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281 +
      t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))));
  return (p * Math.exp(a)) / Math.sqrt(a);
}

/** Sum_{k>=2} x^{2k} (1 - 4^{1-k}) / (k!)^2 = [I0(2x) - 1] - 4 [I0(x) - 1], without cancellation. */
function i0Combination(x: number): number {
  if (x > 5) return besselI0m1(2 * x) - 4 * besselI0m1(x);
  const x2 = x * x;
  let pow = x2; // x^{2k}/(k!)^2 at k = 1
  let sum = 0;
  for (let k = 2; k < 2000; k++) {
    pow *= x2 / (k * k);
    const t = pow * (1 - Math.pow(4, 1 - k));
    sum += t;
    if (t <= sum * 1e-17) break;
  }
  return sum;
}

/** 1 - (1 - pd) e^{-m}, computed without cancellation for small m and pd. */
function oneMinusNoClick(m: number, pd: number): number {
  return -Math.expm1(-m) + pd * Math.exp(-m);
}

/** X-basis misalignment including imperfect HOM interference (see header). */
export function xMisalignment(link: MdiLink): number {
  const v = link.visibility ?? 1;
  return v * link.eMis + (1 - v) * E0;
}

/**
 * Gains and error gains when Alice sends intensity muA and Bob muB (both in the same basis),
 * Xu et al. NJP 15, 113007 (2013), Appendix B, Eqs. B5-B9:
 *   mu' = etaA muA + etaB muB, x = sqrt(etaA muA etaB muB)/2, y = (1-pd) e^{-mu'/4}
 *   Q_C = 2(1-pd)^2 e^{-mu'/2} [1-(1-pd)e^{-etaA muA/2}] [1-(1-pd)e^{-etaB muB/2}]
 *   Q_E = 2 pd (1-pd)^2 e^{-mu'/2} [I0(2x) - (1-pd) e^{-mu'/2}]
 *   Q_X = 2 y^2 [1 + 2y^2 - 4y I0(x) + I0(2x)]
 *   E_X Q_X = e0 Q_X - 2 (e0 - e_d) y^2 [I0(2x) - 1]
 * The bracket of Q_X is rearranged exactly as 2(1-y)^2 + 4(1-y)[I0(x)-1] + ([I0(2x)-1] - 4[I0(x)-1])
 * so that it stays accurate at the tiny gains of long links (it is O(1e-12) at 60 dB).
 */
export function mdiGains(muA: number, muB: number, link: MdiLink): MdiGains {
  const { etaA, etaB, pDark: pd, eMis } = link;
  const a = etaA * muA;
  const b = etaB * muB;
  const muP = a + b;
  const x = Math.sqrt(a * b) / 2;
  const onePd2 = (1 - pd) * (1 - pd);

  const qC = 2 * onePd2 * Math.exp(-muP / 2) * oneMinusNoClick(a / 2, pd) * oneMinusNoClick(b / 2, pd);
  const qE = 2 * pd * onePd2 * Math.exp(-muP / 2) * (besselI0m1(2 * x) + oneMinusNoClick(muP / 2, pd));
  const qZ = qC + qE;
  const eZqZ = eMis * qC + (1 - eMis) * qE;

  const y = (1 - pd) * Math.exp(-muP / 4);
  const oneMinusY = oneMinusNoClick(muP / 4, pd);
  const bracket = 2 * oneMinusY * oneMinusY + 4 * oneMinusY * besselI0m1(x) + i0Combination(x);
  const qX = 2 * y * y * bracket;
  const eDX = xMisalignment(link);
  const eXqX = E0 * qX - 2 * (E0 - eDX) * y * y * besselI0m1(2 * x);

  return { qZ, eZqZ, qX, eXqX, qC, qE };
}

/**
 * Yield of single-photon pairs (one photon from each side), Xu 2013 App. B (Eq. B10, with
 * Y0 = pd as in the paper):
 *   Y11 = (1-pd)^2 [etaA etaB / 2 + (2 etaA + 2 etaB - 3 etaA etaB) pd + 4 (1-etaA)(1-etaB) pd^2]
 */
export function mdiY11(link: MdiLink): number {
  const { etaA: ea, etaB: eb, pDark: pd } = link;
  return (1 - pd) * (1 - pd) * (ea * eb / 2 + (2 * ea + 2 * eb - 3 * ea * eb) * pd + 4 * (1 - ea) * (1 - eb) * pd * pd);
}

/**
 * X-basis error rate of single-photon pairs, Xu 2013 App. B (Eq. B11):
 *   e11X Y11 = e0 Y11 - (e0 - e_d)(1-pd)^2 etaA etaB / 2,   with e_d -> e_dX (HOM visibility).
 * In the asymptotic limit this is the phase-error rate of the Z-basis key.
 */
export function mdiE11X(link: MdiLink): number {
  const y11 = mdiY11(link);
  if (y11 <= 0) return E0;
  const { etaA: ea, etaB: eb, pDark: pd } = link;
  return E0 - ((E0 - xMisalignment(link)) * (1 - pd) * (1 - pd) * ea * eb) / 2 / y11;
}

export interface MdiFibreLink {
  /** Fibre from A to the BSM, km. */
  lengthAKm: number;
  /** Fibre from B to the BSM, km. */
  lengthBKm: number;
  /** Detection efficiency of the BSM's detectors (all four alike). */
  etaDet: number;
  pDark: number;
  eMis: number;
  visibility?: number;
  /** Fibre attenuation, dB/km (default 0.2). */
  alphaDbPerKm?: number;
  /** Extra component loss on each side (connectors, switches, converter at the server), dB. */
  extraLossADb?: number;
  extraLossBDb?: number;
}

/** A single-relay MDI link from fibre lengths: eta = 10^(-(alpha L + extra)/10) * eta_det (Xu 2013 App. B). */
export function mdiLinkFromFibres(f: MdiFibreLink): MdiLink {
  const alpha = f.alphaDbPerKm ?? 0.2;
  const t = (km: number, extra: number) => Math.pow(10, -(alpha * km + extra) / 10);
  return {
    etaA: t(f.lengthAKm, f.extraLossADb ?? 0) * f.etaDet,
    etaB: t(f.lengthBKm, f.extraLossBDb ?? 0) * f.etaDet,
    pDark: f.pDark,
    eMis: f.eMis,
    ...(f.visibility !== undefined ? { visibility: f.visibility } : {}),
  };
}
