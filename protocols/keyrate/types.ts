// The result every key-rate function returns, as prediction (from device + channel
// parameters) or as estimation (from observed counts). The CLI prints it, the orchestration
// core ranks routes by it, the post-processing uses `secretBits` as the PA output length.

export interface KeyRateResult {
  /** The estimator: a registry protocol's name (protocols/qkd/registry.ts) or its sub-family (e.g. 'bb84-heralded'). */
  protocol: string;
  /** Pulses sent (N). */
  pulses: number;
  /** Chosen source parameters: intensities and probabilities by name (mu1, mu2, pMu1, qX, sA, ...). */
  params: Record<string, number>;
  /** Bits in the key basis after sifting (all intensities that enter the key), before EC and PA. */
  siftedBits: number;
  /** Bit error rate of the sifted key. */
  qber: number;
  /** Upper bound on the phase error rate of the single-photon (or single-pair) part. */
  phaseErrorBound: number;
  /** Bits leaked by error correction (predicted f n h(E), or the bits Cascade disclosed). */
  leakEC: number;
  /** Final secret key length l (0 when no key can be extracted). */
  secretBits: number;
  secretBitsPerPulse: number;
  /** Intermediate bounds (s0, s1, v1, s11, ...) for inspection and tests. */
  terms: Record<string, number>;
  /** Why no key, when secretBits is 0. */
  reason?: string;
}
