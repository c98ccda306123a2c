// Device models of hetqn nodes and their composition into the per-pulse link models the key-rate
// engine and the emulated optical layer share (Bb84Link, and the per-side MDI efficiencies).
// Physics: docs/reference/physics-and-keyrates.md ("Node types, DoFs", "Channel and detector model").
//
// DoF converter (pol a|H>+b e^{i th}|V>  <->  tbp a|e>+b e^{i th}|l>): the passive version (PBS +
// two delays + coupler) throws away half the amplitude, 3 dB; the active version avoids it but
// has the insertion loss of its electro-optic parts. Its imperfections (PBS extinction ratio,
// interferometer visibility, delay mismatch) appear as extra misalignment. Where it sits matters:
//  - at the source, BEFORE the attenuator: free, the source sets a higher intensity before the
//    final attenuation, so only the misalignment remains;
//  - at the server: channel loss, eta_ch is multiplied by the converter's transmittance.
// composeBb84Link / composeMdiSides make this difference visible to the optimiser.

import type { Dof } from '../types.ts';
import { dbToTransmittance, fibreTransmittance } from './channel.ts';
import type { Bb84Link } from './bb84-model.ts';

/** Phase-randomised weak-coherent (laser) source with intensity modulator and attenuator. */
export interface WeakCoherentSource {
  kind: 'wcp';
  repRateHz: number;
  /** Intensities mu1 > mu2 > mu3 (mean photon numbers after the attenuator), if fixed. */
  intensities?: { mu1: number; mu2: number; mu3: number };
  /** Probabilities of mu1, mu2 (mu3 gets the rest). */
  probabilities?: { pMu1: number; pMu2: number };
}

/** Heralded SPDC source: thermal pair statistics with mean pair number lambda per pulse
 *  (Ma, Fung, Lo, PRA 76, 012307 (2007), Eq. (1)); the heralding arm has its own detector. */
export interface SpdcSource {
  kind: 'spdc';
  repRateHz: number;
  /** Mean photon-pair number per pulse (lambda = half the "brightness" mu of Ma et al.). */
  lambda?: number;
  /** Efficiency of the local heralding detector (incl. coupling). */
  heraldEfficiency: number;
  /** Dark-count probability per gate of the heralding detector. */
  heraldDark: number;
}

export type Source = WeakCoherentSource | SpdcSource;

/** State encoder of one DoF with its intrinsic misalignment (error of a perfectly transmitted photon). */
export interface Encoder { dof: Dof; kind: string; misalignment: number }

/** Encoders of the reference network (docs/reference/reference-network.md); misalignments are typical values
 *  for such interferometers (a fit to published QBERs refines them per link). */
export const REFERENCE_ENCODERS: Record<Dof, Encoder> = {
  pol: { dof: 'pol', kind: 'Sagnac loop + PM', misalignment: 0.003 },
  tbp: { dof: 'tbp', kind: 'AMZI (500 ps) + PM + IM', misalignment: 0.004 },
  pha: { dof: 'pha', kind: 'AMZI (500 ps) + PM', misalignment: 0.004 },
};

export interface DofConverter {
  kind: 'passive' | 'active';
  /** Total insertion loss in dB (passive: 3 dB + excess). */
  lossDb: number;
  /** Extra misalignment from extinction ratio, interferometer visibility, delay mismatch. */
  misalignment: number;
}

export function passiveConverter(excessLossDb = 0.3, misalignment = 0.002): DofConverter {
  return { kind: 'passive', lossDb: 10 * Math.log10(2) + excessLossDb, misalignment };
}

export function activeConverter(insertionLossDb = 1.5, misalignment = 0.003): DofConverter {
  return { kind: 'active', lossDb: insertionLossDb, misalignment };
}

export interface Fibre { lengthKm: number; alphaDbPerKm?: number; extraLossDb?: number }

/** Gated InGaAs single-photon detector. */
export interface GatedSpd {
  efficiency: number;
  /** Dark-count probability per gate. */
  darkPerGate: number;
  afterpulse: number;
  gateHz?: number;
}

export const REFERENCE_SPD: GatedSpd = { efficiency: 0.2, darkPerGate: 1e-6, afterpulse: 0, gateHz: 1e9 };

/** Where a needed DoF conversion happens. */
export type ConverterPlacement = 'none' | 'source' | 'server';

/** Two independent bit-flip processes with probabilities a and b: total flip probability. */
export function combineErrors(a: number, b: number): number {
  return a * (1 - b) + b * (1 - a);
}

export interface TransmitterSide {
  encoder: Encoder;
  /** Converter used for this link, and where it sits. */
  converter?: DofConverter;
  placement?: ConverterPlacement;
}

export interface ReceiverSide {
  detector: GatedSpd;
  /** Receiver optics loss in dB (basis splitter, filters), outside the detector efficiency. */
  receiverLossDb?: number;
  /** Intrinsic misalignment of the measurement apparatus. */
  misalignment?: number;
}

/** Transmittance of the converter as seen by the channel: 1 at the source, its loss at the server. */
export function converterChannelTransmittance(converter: DofConverter | undefined, placement: ConverterPlacement | undefined): number {
  if (!converter || placement !== 'server') return 1;
  return dbToTransmittance(converter.lossDb);
}

/** Compose transmitter, fibre (+ component loss) and receiver into the Lim 2014 link model. */
export function composeBb84Link(tx: TransmitterSide, fibre: Fibre, rx: ReceiverSide): Bb84Link {
  const conv = tx.placement && tx.placement !== 'none' ? tx.converter : undefined;
  const etaCh = fibreTransmittance(fibre.lengthKm, fibre.alphaDbPerKm ?? 0.2, fibre.extraLossDb ?? 0) * converterChannelTransmittance(conv, tx.placement);
  let eMis = combineErrors(tx.encoder.misalignment, rx.misalignment ?? 0);
  if (conv) eMis = combineErrors(eMis, conv.misalignment);
  return {
    etaCh,
    etaDet: rx.detector.efficiency * dbToTransmittance(rx.receiverLossDb ?? 0),
    pDark: rx.detector.darkPerGate,
    pAfterpulse: rx.detector.afterpulse,
    eMis,
  };
}

/** Per-side quantities the MDI model needs (Xu, Curty, Qi, Lo, NJP 15, 113007 (2013), App. B):
 *  eta_a, eta_b include fibre, server-side converter loss and detector efficiency. */
export interface MdiSides { etaA: number; etaB: number; pDark: number; eMis: number }

export function composeMdiSides(a: TransmitterSide, fibreA: Fibre, b: TransmitterSide, fibreB: Fibre, relay: ReceiverSide): MdiSides {
  const la = composeBb84Link(a, fibreA, { ...relay, misalignment: 0 });
  const lb = composeBb84Link(b, fibreB, { ...relay, misalignment: 0 });
  // e_d of the MDI model: misalignment of the two encoders' frames (each with its converter)
  // plus the relay's own, as independent flips.
  return { etaA: la.etaCh * la.etaDet, etaB: lb.etaCh * lb.etaDet, pDark: relay.detector.darkPerGate, eMis: combineErrors(combineErrors(la.eMis, lb.eMis), relay.misalignment ?? 0) };
}
