// ADAPTER, pending a function of the MDI model (mdi-model.ts): the gain of a pulse pair sent in
// DIFFERENT bases (Alice Z, Bob X or the reverse). The four-intensity protocol discards these
// pairs at sifting, but the relay announces them, so the sampler needs their rate to be exact
// about what the relay sees. REQUESTED FROM THE MDI ENGINEER: `mdiGainsMixedBasis(muZ, muX, link)`.
//
// Derivation in the method of Xu, Curty, Qi, Lo, NJP 15, 113007 (2013), App. B (threshold
// detectors, P(no click | mean lambda) = (1 - pd) e^{-lambda}; success = exactly one H and exactly
// one V detector click): the Z pulse (intensity A = eta_Z mu_Z at the beam splitter) is all in H;
// the X pulse (B = eta_X mu_X) puts B/2 in H and B/2 in V with a random phase theta relative to A.
// V detectors each see B/4, no interference: P(exactly one V) = 2 (1 - nV) nV, nV = (1-pd) e^{-B/4}.
// H detectors see (A + B/2 +- 2 sqrt(A B/2) cos theta)/2; averaging over theta,
// E[n_c] = E[n_d] = (1-pd) e^{-(A+B/2)/2} I0(sqrt(A B/2)) and n_c n_d = (1-pd)^2 e^{-(A+B/2)}, so
// P(exactly one H) = 2 (1-pd) e^{-(A+B/2)/2} I0(sqrt(A B / 2)) - 2 (1-pd)^2 e^{-(A+B/2)}.
// Mixed-basis bits are uncorrelated: error gain = Q / 2.
import { besselI0, type MdiLink } from './mdi-model.ts';

export function mdiMixedBasisGainAdapter(muZ: number, muX: number, etaZ: number, etaX: number, link: MdiLink): number {
  const pd = link.pDark;
  const A = etaZ * muZ, B = etaX * muX;
  const nV = (1 - pd) * Math.exp(-B / 4);
  const pV = 2 * (1 - nV) * nV;
  const h = A + B / 2;
  const pH = 2 * (1 - pd) * Math.exp(-h / 2) * besselI0(Math.sqrt((A * B) / 2)) - 2 * (1 - pd) * (1 - pd) * Math.exp(-h);
  return Math.max(0, pH * pV);
}
