// Per-pulse detection model of a prepare-and-measure BB84 link with phase-randomised weak
// coherent pulses of mean photon number k, exactly as Lim, Curty, Walenta, Xu, Zbinden,
// PRA 89, 022307 (2014), Sec. IV ("dedicated fibre"):
//   D_k = 1 - (1 - 2 p_dc) exp(-eta_sys k),   eta_sys = eta_ch * eta_Bob
//   R_k = D_k (1 + p_ap)                          (detection rate incl. afterpulses)
//   e_k = p_dc + e_mis [1 - exp(-eta_sys k)] + p_ap D_k / 2   (bit-error probability per pulse)
// eta_sys, not eta_ch, inside the misalignment term: the printed text of Sec. IV has eta_ch, but
// then misalignment errors per detection are e_mis / eta_Bob (5 % QBER with the paper's
// e_mis = 0.005, eta_Bob = 0.1), and with 5 % QBER no key exists at n_X = 1e4 at any distance,
// contradicting the paper's own Fig. 1 (keys to 135 km). With eta_sys, e_mis is the
// probability that a detected photon lands in the wrong detector, which is its stated meaning
// ("error rate due to optical errors") and what reproduces Fig. 1 (test/keyrate/bb84-lim.test.ts).
// The emulated optical layer samples counts from these same functions, so the prediction
// and the emulation agree by construction. Keep the exported names stable.

export interface Bb84Link {
  /** Channel transmittance between source output and receiver input (fibre + components). */
  etaCh: number;
  /** Receiver efficiency (detector efficiency times receiver optics), eta_Bob in Lim 2014. */
  etaDet: number;
  /** Dark-count probability per detector per gate. */
  pDark: number;
  /** Afterpulse probability. */
  pAfterpulse: number;
  /** Optical misalignment error e_mis (probability a photon lands in the wrong detector). */
  eMis: number;
}

/** eta_sys = eta_ch * eta_Bob (Lim 2014 Sec. IV). */
export function bb84EtaSys(link: Bb84Link): number {
  return link.etaCh * link.etaDet;
}

/** D_k: detection probability per pulse excluding afterpulses (two detectors, each p_dc). */
export function bb84DetectionProbNoAfterpulse(k: number, link: Bb84Link): number {
  return 1 - (1 - 2 * link.pDark) * Math.exp(-bb84EtaSys(link) * k);
}

/** R_k = D_k (1 + p_ap): probability per pulse that Bob registers a click (Lim 2014 Sec. IV). */
export function bb84DetectionProb(k: number, link: Bb84Link): number {
  return bb84DetectionProbNoAfterpulse(k, link) * (1 + link.pAfterpulse);
}

/** e_k = p_dc + e_mis (1 - e^{-eta_sys k}) + p_ap D_k / 2: probability per pulse of a click
 *  with a wrong bit, in matching bases (Lim 2014 Sec. IV, with eta_sys: see the file comment). */
export function bb84ErrorProb(k: number, link: Bb84Link): number {
  const dk = bb84DetectionProbNoAfterpulse(k, link);
  return link.pDark + link.eMis * (1 - Math.exp(-bb84EtaSys(link) * k)) + (link.pAfterpulse * dk) / 2;
}

/** Conditional bit-error rate given a click, e_k / R_k (what a sampler draws errors with). */
export function bb84ErrorRateGivenDetection(k: number, link: Bb84Link): number {
  const r = bb84DetectionProb(k, link);
  return r > 0 ? Math.min(0.5, bb84ErrorProb(k, link) / r) : 0.5;
}

/** Source settings of three-intensity decoy BB84 (Lim 2014 Sec. II). mu3 may be 0 (vacuum). */
export interface Bb84SourceParams {
  /** Probability that Alice (and Bob) choose the X (key) basis. */
  qX: number;
  mu1: number;
  mu2: number;
  mu3: number;
  pMu1: number;
  pMu2: number;
  /** Probability that Bob measures in X; defaults to qX (active choice). A passive 50:50
   *  receiver sets 0.5 here whatever Alice's bias. */
  qXBob?: number;
}

export type Intensity = 'mu1' | 'mu2' | 'mu3';
export const INTENSITIES: readonly Intensity[] = ['mu1', 'mu2', 'mu3'];

/** Expected per-intensity statistics in matching bases for N pulses (means of binomials). */
export interface Bb84ExpectedCounts {
  /** n_{X,k}: detections with both in X, per intensity. */
  nX: Record<Intensity, number>;
  /** m_{X,k}: bit errors among them. */
  mX: Record<Intensity, number>;
  nZ: Record<Intensity, number>;
  mZ: Record<Intensity, number>;
}

export function intensityProbs(p: Bb84SourceParams): Record<Intensity, number> {
  return { mu1: p.pMu1, mu2: p.pMu2, mu3: 1 - p.pMu1 - p.pMu2 };
}

/** Probability per pulse of each (basis pair, intensity) cell, for a sampler: Alice picks the
 *  basis with qX and intensity with p_k; Bob picks X with qXBob. Returns the probability that
 *  the pulse is in X-X (or Z-Z) with intensity k AND clicks, and that it clicks with an error. */
export function bb84CellProbs(p: Bb84SourceParams, link: Bb84Link): { detX: Record<Intensity, number>; errX: Record<Intensity, number>; detZ: Record<Intensity, number>; errZ: Record<Intensity, number> } {
  const pk = intensityProbs(p);
  const qb = p.qXBob ?? p.qX;
  const xx = p.qX * qb;
  const zz = (1 - p.qX) * (1 - qb);
  const detX = {} as Record<Intensity, number>, errX = {} as Record<Intensity, number>;
  const detZ = {} as Record<Intensity, number>, errZ = {} as Record<Intensity, number>;
  for (const i of INTENSITIES) {
    const k = p[i];
    const r = bb84DetectionProb(k, link), e = bb84ErrorProb(k, link);
    detX[i] = xx * pk[i] * r; errX[i] = xx * pk[i] * e;
    detZ[i] = zz * pk[i] * r; errZ[i] = zz * pk[i] * e;
  }
  return { detX, errX, detZ, errZ };
}

/** Expected counts for N pulses: n_{X,k} = N q_X q_X^Bob p_k R_k, m_{X,k} = N q_X q_X^Bob p_k e_k. */
export function bb84ExpectedCounts(p: Bb84SourceParams, link: Bb84Link, pulses: number): Bb84ExpectedCounts {
  const c = bb84CellProbs(p, link);
  const scale = (r: Record<Intensity, number>) => ({ mu1: r.mu1 * pulses, mu2: r.mu2 * pulses, mu3: r.mu3 * pulses });
  return { nX: scale(c.detX), mX: scale(c.errX), nZ: scale(c.detZ), mZ: scale(c.errZ) };
}
