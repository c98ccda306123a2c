// Parameter and result types of sending-or-not-sending twin-field QKD (SNS-TF-QKD).
//
// Protocol (Wang, Yu & Hu, PRA 98, 062323 (2018), Sec. III "the protocol"; finite pulses:
// Jiang, Yu, Hu & Wang, Phys. Rev. Applied 12, 024061 (2019), arXiv:1904.00192, Sec. II):
// in every time window Alice and Bob each choose, independently, a Z window (probability pZ)
// or an X window. In a Z window a party sends a phase-randomised coherent pulse of intensity
// muZ with probability epsilon ("sending": bit 1 for Alice, 0 for Bob) or nothing. In an X
// window it sends vacuum, mu1 or mu2 (probabilities p0, p1, p2 = 1 - p0 - p1), the decoy
// windows. The untrusted relay (a D node: beam splitter and two detectors) announces
// "effective events" (exactly one detector clicked). Z-window effective events form the raw
// key; X windows where both sent mu1 with (announced) phases in the same slice estimate the
// phase-flip error of the untagged (single-photon) Z bits.

import type { KeyRateResult } from '../../keyrate/types.ts';

/** Source settings, one set for both senders (the plain, symmetric SNS protocol). */
export interface TfParams {
  /** Sending probability epsilon in a Z window. */
  epsilon: number;
  /** Z-window (signal) intensity mu_z. */
  muZ: number;
  /** Weak decoy mu1 (also the intensity of the phase-error windows), 0 < mu1 < mu2. */
  mu1: number;
  /** Strong decoy mu2. */
  mu2: number;
  /** Probability of a Z window. */
  pZ: number;
  /** In an X window: probability of vacuum. */
  p0: number;
  /** In an X window: probability of mu1 (mu2 gets 1 - p0 - p1). */
  p1: number;
}

/** The channel C--D--C: each sender's fibre into the relay's beam splitter and its two detectors. */
export interface TfLink {
  /** Sender A to relay detector: fibre x components x detector efficiency. */
  etaA: number;
  /** Sender B to relay detector, likewise. */
  etaB: number;
  /** Dark-count probability per detector per window. */
  pDark: number;
  /** Misalignment of the single-photon interference e_d: probability an interfering photon
   *  reaches the wrong detector (phase drift, polarisation, timing). */
  eMis: number;
  /** Width Delta of the phase slice (radians) used to post-select X1 windows; default 2 pi / 16. */
  phaseSlice?: number;
}

export interface TfSecurity {
  /** Failure probability xi of each Chernoff estimate (default 1e-10). */
  epsPE?: number;
  epsCor?: number;
  epsPA?: number;
  /** eps^ of the smooth min-entropy (Jiang 2019 key length). */
  epsSmooth?: number;
}

/** The result every SNS-TF key-rate function returns: the engine's KeyRateResult with protocol 'tf'. */
export type TfKeyRateResult = Omit<KeyRateResult, 'protocol'> & { protocol: 'tf' };
