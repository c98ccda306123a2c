// What a referee asks of each MDI row: which two-photon (HOM) visibility would make our model
// reproduce the published l_sec, and is that physically plausible? The row's calibration (fitted
// extra loss and e_d, its parameters, mdi-reference.ts) is kept; only V, the two-photon mode
// overlap that sets the X-basis error e_dX = V e_d + (1 - V)/2 (mdi-model.ts), moves; the key is
// predicted at the PUBLISHED f on expected counts (predictMdiRow), so reconciliation does not enter.
//
// Plausibility: with phase-randomised weak coherent pulses the HOM dip is V/2, bounded by 1/2
// (the classical limit for WCPs). Independent, frequency-stabilised lasers with matched pulses
// reach dips within a few per cent of that bound, V ~ 0.90-0.99; V > 1 is impossible (the
// published key then needs something our estimator does not credit: the experiment's own decoy
// parameters and bounds); V below ~0.9 would be a poorly matched system, inconsistent with the
// published e_b of the same interference in the X basis.
import { predictMdiRow, type MdiReferenceRow, type MdiRowCalibration } from './mdi-reference.ts';

export type Plausibility = 'plausible' | 'edge' | 'impossible' | 'poor';

export interface VisibilityDiagnosis {
  /** V at which the row's predicted l_sec (published f) equals the published one; > 1 when even V = 1 falls short. */
  visibility: number;
  /** predicted / published l_sec at V = 1 (perfect mode overlap). */
  ratioAtPerfect: number;
  plausibility: Plausibility;
  why: string;
}

export function plausibilityOf(v: number): { plausibility: Plausibility; why: string } {
  if (v > 1) return { plausibility: 'impossible', why: 'needs more than perfect interference: our estimator credits less than the experiment\'s (its decoy settings and bounds are not published)' };
  if (v >= 0.99) return { plausibility: 'edge', why: `HOM dip ${(50 * v).toFixed(1)} % of the 50 % WCP bound: near-perfect mode matching, at the edge of independent lasers` };
  if (v >= 0.9) return { plausibility: 'plausible', why: `HOM dip ${(50 * v).toFixed(1)} % (WCP bound 50 %): typical of independent frequency-locked lasers` };
  return { plausibility: 'poor', why: `HOM dip ${(50 * v).toFixed(1)} %: poorer mode matching than the row's own X-basis error suggests` };
}

/** Bisection for the V that reproduces the published l_sec (the key grows with V). */
export function diagnoseVisibility(row: MdiReferenceRow, cal: MdiRowCalibration): VisibilityDiagnosis {
  const ratio = (v: number) => predictMdiRow(row, cal, v).ratio;
  const atOne = ratio(1);
  let v: number;
  if (atOne < 1) v = Number.POSITIVE_INFINITY;
  else {
    let lo = 0.5, hi = 1;
    if (ratio(lo) > 1) hi = lo;
    for (let i = 0; i < 40 && hi > lo; i++) { const mid = (lo + hi) / 2; if (ratio(mid) < 1) lo = mid; else hi = mid; }
    v = (lo + hi) / 2;
  }
  return { visibility: v, ratioAtPerfect: atOne, ...plausibilityOf(v) };
}
