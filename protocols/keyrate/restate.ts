// The same run's key restated at another error-correction leak. Every finite-key length of the
// engine is l = floor(A - leak_EC) with A independent of the leak (Lim et al. PRA 89, 022307
// (2014) Eq. (1); Jiang et al. PRA 103, 012402 (2021) for MDI; bbm92FromCounts), so with the same
// counts l' = l + leak - leak' (exact up to the floor, 0 when it would be negative). Used to put our
// rows at the published reconciliation efficiency: leak' = f_pub n h(e) (same n, same e_b).
import { binaryEntropy } from './entropy.ts';

export function keyAtLeak(secretBits: number, leak: number, leakNew: number): number {
  return Math.max(0, Math.floor(secretBits + leak - leakNew));
}

/** Leak of error correction at efficiency f on n bits at QBER e: f n h(e). */
export function leakAtEfficiency(f: number, siftedBits: number, qber: number): number {
  return f * siftedBits * binaryEntropy(qber);
}
