// Eavesdroppers as fabric plug-ins for prepare-and-measure (BB84) links. The fabric stands for
// nature: an eavesdropper changes what happens to a pulse between Alice and Bob, and so what Bob
// detects; the protocol notices it (or not) only through its own statistics.
//
// A plug-in splits the pulses of one intensity into branches (what Eve did to the pulse), each
// with the probability that Bob clicks and his bit-error rate given a click in matching bases.
// The honest link is the single branch taken from the BB84 model (protocols/physics/bb84-model.ts).
import {
  type Bb84Link, bb84DetectionProb, bb84DetectionProbNoAfterpulse, bb84ErrorRateGivenDetection,
} from './bb84-model.ts';

export interface Bb84Branch {
  /** Name of the branch (what the fabric did), e.g. 'honest', 'intercepted', 'pns-2'. */
  tag: string;
  /** Fraction of the pulses of this intensity that take this branch (branches sum to 1). */
  weight: number;
  /** P(Bob clicks | branch). */
  click: number;
  /** P(Bob's bit != Alice's bit | click, branch, matching bases). Mismatched bases give 1/2. */
  errorGivenClick: number;
}

export interface Bb84Eavesdropper {
  readonly name: string;
  /** Branches of a pulse of mean photon number mu sent over `link`. */
  branches(mu: number, link: Bb84Link): Bb84Branch[];
}

/** The honest branch, straight from the model. */
export function honestBranch(mu: number, link: Bb84Link): Bb84Branch {
  return { tag: 'honest', weight: 1, click: bb84DetectionProb(mu, link), errorGivenClick: bb84ErrorRateGivenDetection(mu, link) };
}

export const noEavesdropper: Bb84Eavesdropper = { name: 'none', branches: (mu, link) => [honestBranch(mu, link)] };

/**
 * Intercept-resend on a fraction of the pulses (Bennett & Brassard 1984; the 25 % QBER of
 * Bennett, Bessette, Brassard, Salvail, Smolin, J. Cryptology 5, 3 (1992), Sec. 2): Eve measures
 * each attacked pulse in a uniformly random basis and re-prepares her result at the same
 * intensity into an equivalent channel, so Bob's click probability is unchanged. In the half of
 * the cases where her basis is wrong, the re-prepared state is unbiased in Alice's basis and
 * Bob's bit is uniform; otherwise Bob sees the honest error rate e:
 *   QBER on attacked pulses = e/2 + 1/4.
 */
export function interceptResend(fraction: number): Bb84Eavesdropper {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`interceptResend: fraction must be in [0, 1], got ${fraction}`);
  return {
    name: `intercept-resend(${fraction})`,
    branches(mu, link) {
      const h = honestBranch(mu, link);
      const out: Bb84Branch[] = [];
      if (fraction < 1) out.push({ ...h, weight: 1 - fraction });
      if (fraction > 0) out.push({ tag: 'intercepted', weight: fraction, click: h.click, errorGivenClick: 0.5 * h.errorGivenClick + 0.25 });
      return out;
    },
  };
}

/** Poisson photon-number distribution of a phase-randomised coherent pulse of mean mu
 *  (Lo, Ma, Chen, PRL 94, 230504 (2005), Eq. 1): P(n) = e^-mu mu^n / n!. */
export function poissonPhotonProb(n: number, mu: number): number {
  let p = Math.exp(-mu);
  for (let i = 1; i <= n; i++) p *= mu / i;
  return p;
}

/**
 * Adapter composed from the BB84 model: Bob's click probability and error rate for an m-photon
 * Fock state reaching his receiver directly (no fibre loss). The model's no-photon click is
 * D_0 = 1 - (1 - 2 p_dc) (bb84DetectionProbNoAfterpulse(0)); each photon is detected with
 * eta_det, so no click has probability (1 - D_0)(1 - eta_det)^m, and afterpulses scale the rate by
 * (1 + p_ap) as in the model. Errors: dark/afterpulse clicks are random (1/2), photon clicks err
 * with e_mis (Lim et al. 2014 Sec. IV error model, written for a Fock state).
 * NEEDED FROM THE PHYSICS ENGINEER: a Fock-state variant of bb84DetectionProb/bb84ErrorProb.
 */
export function bb84FockAdapter(m: number, link: Bb84Link): { click: number; errorGivenClick: number } {
  const d0 = bb84DetectionProbNoAfterpulse(0, link);
  const photon = 1 - Math.pow(1 - link.etaDet, m);
  const dNoAp = 1 - (1 - d0) * (1 - photon);
  const click = dNoAp * (1 + link.pAfterpulse);
  if (click <= 0) return { click: 0, errorGivenClick: 0.5 };
  const err = d0 / 2 + link.eMis * photon * (1 - d0) + (link.pAfterpulse * dNoAp) / 2;
  return { click, errorGivenClick: Math.min(0.5, err / click) };
}

export interface PnsOptions {
  /** Fraction of single-photon pulses Eve blocks (1: all, the textbook attack). */
  blockSingles?: number;
  /** Photon numbers above this are lumped into the last branch (default 12). */
  maxPhotons?: number;
}

/**
 * Photon-number-splitting attack (Brassard, Lütkenhaus, Mor, Sanders, PRL 85, 1330 (2000)):
 * Eve measures the photon number of each pulse non-destructively; she blocks single-photon pulses
 * (a fraction blockSingles of them), and of every multi-photon pulse keeps one photon in a
 * quantum memory and sends the other n-1 to Bob over a lossless channel, so she learns the bit
 * after basis reconciliation without causing errors. The blocked singles and the lossless
 * forwarding change the yields per intensity differently from an honest lossy fibre: the decoy
 * estimate of the single-photon yield collapses, which is how the protocol detects her.
 */
export function photonNumberSplitting(opts: PnsOptions = {}): Bb84Eavesdropper {
  const block = opts.blockSingles ?? 1;
  const nMax = opts.maxPhotons ?? 12;
  if (!(block >= 0 && block <= 1)) throw new RangeError(`photonNumberSplitting: blockSingles must be in [0, 1], got ${block}`);
  return {
    name: `pns(block=${block})`,
    branches(mu, link) {
      const out: Bb84Branch[] = [];
      const dark = honestBranch(0, link);
      let rest = 1;
      const p0 = poissonPhotonProb(0, mu), p1 = poissonPhotonProb(1, mu);
      out.push({ tag: 'pns-0', weight: p0, click: dark.click, errorGivenClick: dark.errorGivenClick });
      // single photons that pass go through the honest lossy channel (a Fock state with eta_ch)
      const singleHonest = bb84FockAdapter(1, { ...link, etaDet: link.etaDet * link.etaCh });
      if (block > 0) out.push({ tag: 'pns-1-blocked', weight: p1 * block, click: dark.click, errorGivenClick: dark.errorGivenClick });
      if (block < 1) out.push({ tag: 'pns-1-passed', weight: p1 * (1 - block), click: singleHonest.click, errorGivenClick: singleHonest.errorGivenClick });
      rest -= p0 + p1;
      for (let n = 2; n <= nMax && rest > 0; n++) {
        const w = n === nMax ? rest : poissonPhotonProb(n, mu);
        const f = bb84FockAdapter(n - 1, link);
        out.push({ tag: `pns-${n}`, weight: Math.max(0, Math.min(w, rest)), click: f.click, errorGivenClick: f.errorGivenClick });
        rest -= w;
      }
      return out.filter((b) => b.weight > 0);
    },
  };
}
