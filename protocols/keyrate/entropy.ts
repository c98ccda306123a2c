// Small shared helpers for key-rate formulas.

/** Binary Shannon entropy h(x) = -x log2 x - (1-x) log2(1-x), with h(0)=h(1)=0, clamped to [0,1]. */
export function binaryEntropy(x: number): number {
  if (!(x > 0) || !(x < 1)) return 0;
  return -x * Math.log2(x) - (1 - x) * Math.log2(1 - x);
}

/** h restricted to the phase-error use: any rate >= 1/2 gives 1 (no secrecy from that part). */
export function entropyCapped(x: number): number {
  return x >= 0.5 ? 1 : binaryEntropy(x);
}
