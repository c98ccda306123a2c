// Cascade block-size schedules. p is the QBER estimate, n the key length; all sizes in bits.
// Sources (schedules as tabulated in Martinez-Mateo, Pacher, Peev, Ciurana, Martin,
// "Demystifying the information reconciliation protocol Cascade", QIC 15, 453 (2015), sec. 4,
// and in the cascade-cpp study that reproduced it):
//   original  Brassard & Salvail, EUROCRYPT '93: k1 = 0.73/p, k_i = 2 k_{i-1}, 4 passes.
//   yanetal   Yan et al. 2008 ("Cascade opt. (2)"): k1 = 0.80/p, k2 = 5 k1, k_i = n/2, 10 passes.
//   option7   "Cascade opt. (7)": k1 = 2^ceil(log2(1/p)), k2 = 4 k1, k_i = n/2, 14 passes.
//   option8   "Cascade opt. (8)": a = log2(1/p) - 1/2, k1 = 2^ceil(a), k2 = 2^ceil((a+12)/2),
//             k3 = 4096, k_i = n/2, 14 passes.
// Passes with k = n/2 are BICONF-like (a random half and its complement; Sugimoto & Yamazaki 2000).
import { binaryEntropy } from '../keyrate/entropy.ts';

export type CascadeVariant = 'original' | 'yanetal' | 'option7' | 'option8';
export const CASCADE_VARIANTS: readonly CascadeVariant[] = ['original', 'yanetal', 'option7', 'option8'];

const MIN_QBER = 1e-5; // as cascade-cpp: below this the schedules would make absurd blocks

/** Upper bound on the confirmation passes a peer may ask for (cascade.start is validated against it). */
export const MAX_CONFIRM_PASSES = 64;

export function cascadePasses(v: CascadeVariant): number {
  switch (v) {
    case 'original': return 4;
    case 'yanetal': return 10;
    case 'option7': case 'option8': return 14;
  }
}

/** Block size of pass `pass` (1-based), clamped to [1, n]. Passes after the schedule's
 *  (cascadePasses) are confirmation passes: the two halves of the key (BICONF, Sugimoto & Yamazaki 2000). */
export function cascadeBlockSize(v: CascadeVariant, pass: number, qber: number, n: number): number {
  const p = Math.max(qber, MIN_QBER);
  const half = Math.ceil(n / 2);
  if (pass > cascadePasses(v)) return Math.max(1, Math.min(n, half));
  let k: number;
  switch (v) {
    case 'original': k = Math.ceil(0.73 / p) * 2 ** (pass - 1); break;
    case 'yanetal': k = pass === 1 ? Math.ceil(0.8 / p) : pass === 2 ? 5 * Math.ceil(0.8 / p) : half; break;
    case 'option7': {
      const k1 = 2 ** Math.ceil(Math.log2(1 / p));
      k = pass === 1 ? k1 : pass === 2 ? 4 * k1 : half; break;
    }
    case 'option8': {
      const a = Math.log2(1 / p) - 0.5;
      k = pass === 1 ? 2 ** Math.ceil(a) : pass === 2 ? 2 ** Math.ceil((a + 12) / 2) : pass === 3 ? 4096 : half; break;
    }
  }
  return Math.max(1, Math.min(n, k));
}

/** Last pass of every group of passes run together. Consecutive passes whose blocks are huge
 *  (k >= n/4: the n/2 passes of yanetal/option7/option8) are independent random halvings, so
 *  with `concurrent` their parities go out at once and their binary searches share rounds
 *  (Bob's error-parity bookkeeping lets a correction found in one of them cascade into all the
 *  others in the same round). Measured: ~3x fewer rounds in those passes but f up by ~0.01,
 *  and most rounds at QBER >= 3 % are correction chains between passes 1 and 2 anyway, so
 *  it is off by default. Otherwise one pass per group. */
export function cascadePassGroups(v: CascadeVariant, qber: number, n: number, concurrent: boolean, confirmPasses = 0): number[] {
  const passes = cascadePasses(v) + confirmPasses, ends: number[] = [];
  const huge = (pass: number) => cascadeBlockSize(v, pass, qber, n) * 4 >= n;
  for (let pass = 1; pass <= passes; pass++) {
    if (concurrent && huge(pass) && pass < passes && huge(pass + 1)) continue;
    ends.push(pass);
  }
  return ends;
}

export { binaryEntropy };

/** Reconciliation efficiency f = disclosed / (n h(p)) (Demystifying Cascade, eq. (1)). */
export function reconciliationEfficiency(disclosedBits: number, n: number, qber: number): number {
  return disclosedBits / (n * binaryEntropy(qber));
}
