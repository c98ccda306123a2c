// Detection-event sampler for four-intensity MDI-QKD (Zhou, Yu, Wang, PRA 93, 042324 (2016)):
// each side sends s (Z basis), mu or nu (X basis) or the vacuum o; an untrusted relay (one D node,
// or the server's joint BSM with two D nodes) announces successful Bell-state measurements, psi+ or
// psi-. Events are the announced successes; every probability comes from the MDI model
// (mdiGains, Xu et al. NJP 15, 113007 (2013) App. B; the joint BSM through jointBsmToMdiLink)
// except the mixed-basis pairs, taken from a clearly named adapter (sampler-mdi-adapters.ts).
//
// Per slot pair (l, r): weight p^A_l p^B_r Q_lr; given success the announced Bell state is uniform
// (the model does not split Q by Bell state), Alice's bit is uniform, and Bob's bit is
//   bit_B = bit_A xor err xor flip(basis, bell),  err ~ Bernoulli(E_lr),
// where Bob flips for psi- in both bases and for psi+ in Z (Lo, Curty, Qi, PRL 108, 130503
// (2012)), so that after his flip the bits agree unless err. Vacuum takes the other side's basis
// (o-o counts as X, as the estimator's expected counts do); in mixed bases E = 1/2.
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { type MdiLink, mdiGains } from './mdi-model.ts';
import { mdiMixedBasisGainAdapter } from './sampler-mdi-adapters.ts';
import { type EventFrame, type SlotFrame, sampleEventFrames } from './sampler-core.ts';

/** Intensity codes of the MDI views: 0 s (Z), 1 mu (X), 2 nu (X), 3 o (vacuum). */
export const MDI_INTENSITIES = ['s', 'mu', 'nu', 'o'] as const;
export type MdiIntensityName = (typeof MDI_INTENSITIES)[number];
/** Bell states as the relay announces them. */
export const PSI_PLUS = 0;
export const PSI_MINUS = 1;

export interface MdiSide { s: number; mu: number; nu: number; pS: number; pMu: number; pNu: number }
export interface MdiSourceParams { a: MdiSide; b: MdiSide }

/** One source's local view: what it prepared in the announced slots. */
export interface MdiSourceFrame extends SlotFrame { readonly intensity: Uint8Array; readonly bit: Uint8Array }
/** The relay's announcements: Bell state of each successful slot. */
export interface MdiRelayFrame extends SlotFrame { readonly bell: Uint8Array }
/** Basis of an intensity code (0 Z, 1 X, 2 none for the vacuum). */
export const MDI_BASIS_OF = Uint8Array.from([0, 1, 1, 2]);

export function mdiBasisOfPair(l: number, r: number): 0 | 1 | 'mixed' {
  const a = MDI_BASIS_OF[l], b = MDI_BASIS_OF[r];
  if (a === 2 && b === 2) return 1;
  if (a === 2) return b as 0 | 1;
  if (b === 2) return a as 0 | 1;
  return a === b ? (a as 0 | 1) : 'mixed';
}

/** Does Bob flip his bit for this basis and Bell state (Lo, Curty, Qi 2012)? */
export function mdiBobFlips(basis: 0 | 1, bell: number): number {
  return basis === 0 ? 1 : bell === PSI_MINUS ? 1 : 0;
}

const sideIntensity = (p: MdiSide, k: number) => (k === 0 ? p.s : k === 1 ? p.mu : k === 2 ? p.nu : 0);
const sideProb = (p: MdiSide, k: number) => (k === 0 ? p.pS : k === 1 ? p.pMu : k === 2 ? p.pNu : 1 - p.pS - p.pMu - p.pNu);

export interface MdiOutcomeLaw {
  weights: Float64Array;
  intensityA: Uint8Array; intensityB: Uint8Array; bitA: Uint8Array; bitB: Uint8Array; bell: Uint8Array;
  pSuccess: number;
}

/** Gain and error gain of the pair (l, r) from the model (mixed bases from the adapter). */
export function mdiPairGain(params: MdiSourceParams, link: MdiLink, l: number, r: number): { q: number; eq: number } {
  const ma = sideIntensity(params.a, l), mb = sideIntensity(params.b, r);
  const basis = mdiBasisOfPair(l, r);
  if (basis === 'mixed') {
    const q = l === 0 ? mdiMixedBasisGainAdapter(ma, mb, link.etaA, link.etaB, link) : mdiMixedBasisGainAdapter(mb, ma, link.etaB, link.etaA, link);
    return { q, eq: q / 2 };
  }
  const g = mdiGains(ma, mb, link);
  return basis === 0 ? { q: g.qZ, eq: g.eZqZ } : { q: g.qX, eq: g.eXqX };
}

export function mdiOutcomeLaw(params: MdiSourceParams, link: MdiLink): MdiOutcomeLaw {
  const w: number[] = [], ia: number[] = [], ib: number[] = [], xa: number[] = [], xb: number[] = [], be: number[] = [];
  for (let l = 0; l < 4; l++) for (let r = 0; r < 4; r++) {
    const pl = sideProb(params.a, l) * sideProb(params.b, r);
    if (!(pl > 0)) continue;
    const { q, eq } = mdiPairGain(params, link, l, r);
    if (!(q > 0)) continue;
    const e = Math.min(1, Math.max(0, eq / q));
    const basis = mdiBasisOfPair(l, r);
    for (let bell = 0; bell < 2; bell++) for (let x = 0; x < 2; x++) for (let err = 0; err < 2; err++) {
      const pe = err ? e : 1 - e;
      const weight = pl * q * 0.25 * pe;
      if (!(weight > 0)) continue;
      const flip = basis === 'mixed' ? 0 : mdiBobFlips(basis, bell);
      w.push(weight); ia.push(l); ib.push(r); xa.push(x); xb.push(x ^ err ^ flip); be.push(bell);
    }
  }
  const weights = Float64Array.from(w);
  return {
    weights, intensityA: Uint8Array.from(ia), intensityB: Uint8Array.from(ib), bitA: Uint8Array.from(xa), bitB: Uint8Array.from(xb),
    bell: Uint8Array.from(be), pSuccess: weights.reduce((s, v) => s + v, 0),
  };
}

export interface MdiFrames { a: MdiSourceFrame; b: MdiSourceFrame; relay: MdiRelayFrame }

export interface MdiRunConfig {
  pulses: number;
  params: MdiSourceParams;
  link: MdiLink;
  seed: number | string;
  maxFrameEvents?: number;
}

function decodeMdi(f: EventFrame, law: MdiOutcomeLaw): MdiFrames {
  const n = f.outcome.length, o = f.outcome;
  const ia = new Uint8Array(n), ib = new Uint8Array(n), xa = new Uint8Array(n), xb = new Uint8Array(n), be = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = o[i];
    ia[i] = law.intensityA[j]; ib[i] = law.intensityB[j]; xa[i] = law.bitA[j]; xb[i] = law.bitB[j]; be[i] = law.bell[j];
  }
  const slots = { firstSlot: f.firstSlot, deltas: f.deltas };
  return { a: { ...slots, intensity: ia, bit: xa }, b: { ...slots, intensity: ib, bit: xb }, relay: { ...slots, bell: be } };
}

/** Frames of an MDI run with a single BSM relay: one view per source and the relay's. */
export function* sampleMdiFrames(cfg: MdiRunConfig, rng: Rng = createRng(cfg.seed)): Generator<MdiFrames> {
  const law = mdiOutcomeLaw(cfg.params, cfg.link);
  for (const f of sampleEventFrames(rng, cfg.pulses, law, { maxFrameEvents: cfg.maxFrameEvents })) yield decodeMdi(f, law);
}

export interface MdiRun { a: MdiSourceFrame[]; b: MdiSourceFrame[]; relay: MdiRelayFrame[]; successes: number }

export function sampleMdiRun(cfg: MdiRunConfig): MdiRun {
  const run: MdiRun = { a: [], b: [], relay: [], successes: 0 };
  for (const f of sampleMdiFrames(cfg)) { run.a.push(f.a); run.b.push(f.b); run.relay.push(f.relay); run.successes += f.a.bit.length; }
  return run;
}
