// What the platform's reconciliation leaks, as the planner must predict it: a session's finite key
// subtracts the bits Cascade actually disclosed plus any disclosed QBER sample (pipeline-core.ts),
// not f_published n h(e). A prediction at another f than the session reconciles with is a
// different number (the published f = 1.13-1.18 against Cascade's ~1.05 moves an MDI key by
// a factor ~2: l_sec is a small difference of large terms).
//
// Cascade efficiency f = disclosed / (n h(QBER)) (Martinez-Mateo, Pacher, Peev, Ciurana, Martin,
// QIC 15, 453 (2015), eq. (1)) of the sessions' variant, yanetal (Yan et al. 2008: k1 = 0.80/p,
// k2 = 5 k1, then n/2, 10 passes), MEASURED on this code: keys of n bits with i.i.d. errors at
// rate p, Cascade's blocks set from a QBER estimate drawn like the pipelines' (a sample of
// min(n/100, 4000) bits). Regenerate with `npx tsx test/postprocessing/cascade-efficiency-gen.ts`.
// It is a device constant of the reconciliation, like a detector's efficiency; the published
// range of the schedule (f ~ 1.03-1.10, Martinez-Mateo 2015 Fig. 3) is checked in
// test/postprocessing/cascade-efficiency.test.ts.
import { binaryEntropy } from '../keyrate/entropy.ts';

export const CASCADE_YANETAL_EFFICIENCY = {
  log2n: [14, 16, 18, 20, 22],
  qber: [0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06],
  f: [
    [1.2906, 1.2114, 1.1676, 1.1599, 1.147, 1.1151, 1.09, 1.0827, 1.0826, 1.0803, 1.0799, 1.0824], // n = 2^14
    [1.1035, 1.0722, 1.0721, 1.0579, 1.0599, 1.061, 1.06, 1.0621, 1.0635, 1.0653, 1.0674, 1.069], // n = 2^16
    [1.0471, 1.0458, 1.0462, 1.048, 1.0475, 1.0522, 1.0518, 1.0533, 1.0595, 1.0634, 1.0624, 1.0663], // n = 2^18
    [1.0407, 1.039, 1.0436, 1.0452, 1.0443, 1.0513, 1.0507, 1.0536, 1.0594, 1.0641, 1.0615, 1.0653], // n = 2^20
    [1.0361, 1.0415, 1.0401, 1.0446, 1.045, 1.05, 1.0508, 1.0551, 1.0619, 1.0652, 1.0615, 1.0652], // n = 2^22
  ],
};

/**
 * Half-split (BICONF) passes the sessions run after yanetal's 10 (cascade.ts confirmPasses). The
 * schedule alone leaves an error pattern that is even in every block of every pass in 12 frames of
 * 4000 at 2^18 bits, 3.34 % and 1 of 400 at 2.6 Mbit (one: 12 errors, two 6-cycles across the
 * pass-1 and pass-2 blocks, even in all eight halvings); with 8 more passes 0 of 4000 (measured
 * with test/postprocessing/cascade-fer-gen.ts, CONFIRM=0 / 8, args 262144 0.0334 4000 s18, and
 * 2600000 0.0334 400 ferA, machine load 20-30). Verification catches such a frame (Tomamichel et
 * al. 2012, eps_cor) and the whole session is discarded. Each further uniformly random halving
 * leaves the pattern undetected with probability 1/2 (an odd number of its errors falls in one
 * half with probability 1/2), so 16 more passes divide the frame error rate by 2^16 (3e-3 -> ~5e-8)
 * for 2 parities each (plus a binary search, ~log2 n bits, in the rare frame where one finds an error).
 */
export const CONFIRM_PASSES = 16;

/** Default size of the disclosed QBER sample of a sifted key of n bits (pipeline-core.ts sampleQber). */
export function defaultQberSampleBits(n: number): number {
  return Math.min(Math.max(0, Math.floor(n)), Math.min(Math.floor(n / 100), 4000));
}

/** Index and weight of x in an increasing grid (clamped to its ends). */
function locate(grid: readonly number[], x: number): [number, number] {
  if (!(x > grid[0]!)) return [0, 0];
  const last = grid.length - 1;
  if (x >= grid[last]!) return [last - 1, 1];
  let i = 0;
  while (grid[i + 1]! < x) i++;
  return [i, (x - grid[i]!) / (grid[i + 1]! - grid[i]!)];
}

/** Expected Cascade (yanetal) efficiency at this QBER on a key of n bits: bilinear in (log2 n, QBER),
 *  clamped to the measured grid (beyond 2^22 bits f no longer changes, within 0.001). */
export function cascadeEfficiency(qber: number, n: number): number {
  const t = CASCADE_YANETAL_EFFICIENCY;
  const [i, u] = locate(t.log2n, Math.log2(Math.max(n, 1)));
  const [j, v] = locate(t.qber, qber);
  const row = (k: number) => t.f[k]![j]! * (1 - v) + t.f[k]![Math.min(j + 1, t.qber.length - 1)]! * v;
  return row(i) * (1 - u) + row(Math.min(i + 1, t.log2n.length - 1)) * u;
}

/** How the sifted key is reconciled: BB84 corrects the whole X key (its phase-error test bits come
 *  from Z); MDI and BBM92 first disclose a QBER sample of the key, drop it, and correct the rest. */
export type SampleDisclosure = 'none' | 'sample';

/** Expected leak of a session: Cascade's disclosed parities on the corrected bits (the measured
 *  schedule plus the confirmation passes' two parities each) plus the sample. */
export function expectedLeak(siftedBits: number, qber: number, disclosure: SampleDisclosure): number {
  if (!(siftedBits > 0)) return 0;
  const sample = disclosure === 'sample' ? defaultQberSampleBits(siftedBits) : 0;
  const corrected = siftedBits - sample;
  return cascadeEfficiency(qber, corrected) * corrected * binaryEntropy(qber) + 2 * CONFIRM_PASSES + sample;
}

/** The same leak as an f on the whole sifted key, leak / (n h(e)), for engines that take an f. */
export function effectiveEfficiency(siftedBits: number, qber: number, disclosure: SampleDisclosure): number {
  const ideal = siftedBits * binaryEntropy(qber);
  return ideal > 0 ? expectedLeak(siftedBits, qber, disclosure) / ideal : cascadeEfficiency(qber, siftedBits);
}
