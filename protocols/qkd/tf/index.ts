// Sending-or-not-sending twin-field QKD (SNS-TF-QKD): the public API of this protocol folder.
// Pure code, no I/O. Wang, Yu & Hu, PRA 98, 062323 (2018) (protocol, asymptotic rate); Jiang, Yu,
// Hu & Wang, PR Applied 12, 024061 (2019), arXiv:1904.00192 (finite pulses); PLOB bound:
// Pirandola et al., Nat. Commun. 8, 15043 (2017).

export type { TfParams, TfLink, TfSecurity, TfKeyRateResult } from './types.ts';
export { tfLinkFromFibres, balanceArms, tfExpectedCounts, tfRates, effectiveRate, x1Rates, type TfFibreLink, type TfCounts, type TfRates } from './channel.ts';
export { tfEstimateFromCounts, tfDecoyBounds, checkTfParams, type TfObserved, type TfDecoyBounds, type TfEstimateInput } from './estimate.ts';
export { tfKeyRate, tfAsymptoticRate, type TfKeyRateInput } from './keyrate.ts';
export { tfOptimise, tfObjective, DEFAULT_TF_PARAMS, type TfOptimiseInput } from './optimise.ts';
export { plobBound, plobBoundFibre } from './plob.ts';
export { tfAtDistance, tfKeyRateVsDistance, tfMaxDistanceKm, tfPlobCrossingKm, type TfDistanceInput, type TfDistanceRow } from './distance.ts';

/** What a registry descriptor needs to say about this protocol (the lead plugs it in). */
export const TF_INFO = {
  id: 'tf',
  title: 'Sending-or-not-sending twin-field QKD',
  /** Node-type rule: two senders (C) through one untrusted relay (D: beam splitter + two detectors). */
  nodes: { senders: 'C', relay: 'D' },
  /** The senders' sources must be phase-stabilised (single-photon interference in the X1 windows). */
  requires: ['phase-stabilised sources', 'relay with 50:50 beam splitter and two single-photon detectors'],
  references: [
    'X.-B. Wang, Z.-W. Yu, X.-L. Hu, PRA 98, 062323 (2018)',
    'C. Jiang, Z.-W. Yu, X.-L. Hu, X.-B. Wang, Phys. Rev. Applied 12, 024061 (2019), arXiv:1904.00192',
    'S. Pirandola, R. Laurenza, C. Ottaviani, L. Banchi, Nat. Commun. 8, 15043 (2017)',
  ],
} as const;
