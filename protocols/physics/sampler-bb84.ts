// Detection-event sampler for decoy-state BB84 (three intensities, biased bases; Lim et al.,
// PRA 89, 022307 (2014)). Every probability comes from the BB84 model (bb84-model.ts) through
// the eavesdropper plug-in's branches (the honest link is the model's single branch).
//
// Per slot: Alice draws intensity k with p_k and basis X with qX, a uniform bit; Bob's receiver
// picks X with qXBob (passive or active); the fabric/Eve branch b has weight w_b(k); Bob clicks
// with R_b(k) (afterpulses included as the model defines them: R_k = D_k (1 + p_ap)); given a
// click in matching bases his bit differs with e_b(k) = errorGivenClick, in mismatched bases
// it is uniform. The joint outcome (k, basis_A, basis_B, branch, bit_A, bit_B) has weight
//   p_k q(basis_A) q_B(basis_B) w_b R_b / 4 * (matching ? (differ ? 2e : 2(1-e)) : 1),
// and sampler-core draws only the detected slots. Double clicks are not a separate outcome in
// the model (its D_k = 1 - (1-2p_dc) e^{-eta k} counts them as one click with a random bit).
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { type Bb84Link, type Bb84SourceParams, INTENSITIES, intensityProbs } from './bb84-model.ts';
import { type Bb84Eavesdropper, noEavesdropper } from './eavesdroppers.ts';
import { type EventFrame, type SlotFrame, sampleEventFrames } from './sampler-core.ts';

/** Basis codes in every BB84 view: X carries the key (Lim 2014), Z is the test basis. */
export const BASIS_X = 0;
export const BASIS_Z = 1;

/** Alice's local view: what she prepared in the detected slots. intensity: 0 mu1, 1 mu2, 2 mu3. */
export interface Bb84SourceFrame extends SlotFrame {
  readonly intensity: Uint8Array;
  readonly basis: Uint8Array;
  readonly bit: Uint8Array;
}

/** Bob's local view: his click records (basis of the detector pair that clicked, bit). */
export interface Bb84DetectorFrame extends SlotFrame {
  readonly basis: Uint8Array;
  readonly bit: Uint8Array;
}

/** What only the fabric knows (for tests and diagnostics; never given to a party). */
export interface Bb84FabricFrame extends SlotFrame {
  /** Index into the branch tags of the law (Eve's action on the pulse). */
  readonly branch: Uint16Array;
}

export interface Bb84Frames { source: Bb84SourceFrame; detector: Bb84DetectorFrame; fabric: Bb84FabricFrame }

export interface Bb84RunConfig {
  pulses: number;
  source: Bb84SourceParams;
  link: Bb84Link;
  eavesdropper?: Bb84Eavesdropper;
  seed: number | string;
  maxFrameEvents?: number;
}

/** The joint per-slot law and the tables that decode an outcome index into the views. */
export interface Bb84OutcomeLaw {
  weights: Float64Array;
  intensity: Uint8Array;
  basisA: Uint8Array;
  basisB: Uint8Array;
  bitA: Uint8Array;
  bitB: Uint8Array;
  branch: Uint16Array;
  branchTags: string[];
  /** P(detection) per slot. */
  pDetect: number;
}

export function bb84OutcomeLaw(src: Bb84SourceParams, link: Bb84Link, eve: Bb84Eavesdropper = noEavesdropper): Bb84OutcomeLaw {
  const pk = intensityProbs(src);
  const qB = src.qXBob ?? src.qX;
  const qa = [src.qX, 1 - src.qX], qb = [qB, 1 - qB];
  const w: number[] = [], inten: number[] = [], bA: number[] = [], bB: number[] = [], xA: number[] = [], xB: number[] = [], br: number[] = [];
  const tags: string[] = [];
  INTENSITIES.forEach((name, ki) => {
    const mu = src[name];
    for (const b of eve.branches(mu, link)) {
      let ti = tags.indexOf(b.tag);
      if (ti < 0) { ti = tags.length; tags.push(b.tag); }
      for (let a = 0; a < 2; a++) for (let c = 0; c < 2; c++) for (let x = 0; x < 2; x++) for (let y = 0; y < 2; y++) {
        const cond = a === c ? (x === y ? 1 - b.errorGivenClick : b.errorGivenClick) : 0.5;
        const weight = pk[name] * qa[a] * qb[c] * b.weight * b.click * 0.5 * cond;
        if (!(weight > 0)) continue;
        w.push(weight); inten.push(ki); bA.push(a); bB.push(c); xA.push(x); xB.push(y); br.push(ti);
      }
    }
  });
  const weights = Float64Array.from(w);
  return {
    weights, intensity: Uint8Array.from(inten), basisA: Uint8Array.from(bA), basisB: Uint8Array.from(bB),
    bitA: Uint8Array.from(xA), bitB: Uint8Array.from(xB), branch: Uint16Array.from(br), branchTags: tags,
    pDetect: weights.reduce((s, v) => s + v, 0),
  };
}

const packedCache = new WeakMap<Bb84OutcomeLaw, Uint8Array>();
/** One byte per outcome: intensity | basisA << 2 | bitA << 3 | basisB << 4 | bitB << 5. */
function packedTable(law: Bb84OutcomeLaw): Uint8Array {
  let t = packedCache.get(law);
  if (!t) {
    t = new Uint8Array(law.weights.length);
    for (let j = 0; j < t.length; j++) t[j] = law.intensity[j] | (law.basisA[j] << 2) | (law.bitA[j] << 3) | (law.basisB[j] << 4) | (law.bitB[j] << 5);
    packedCache.set(law, t);
  }
  return t;
}

function decode(f: EventFrame, law: Bb84OutcomeLaw): Bb84Frames {
  const n = f.outcome.length, q = n >>> 2;
  // each column on its own buffer of whole 32-bit words: four slots are split per store
  const col = () => new Uint8Array(new ArrayBuffer((q + 1) * 4), 0, n);
  const inten = col(), bA = col(), xA = col(), bB = col(), xB = col();
  const wI = new Uint32Array(inten.buffer), wBA = new Uint32Array(bA.buffer), wXA = new Uint32Array(xA.buffer), wBB = new Uint32Array(bB.buffer), wXB = new Uint32Array(xB.buffer);
  const br = new Uint16Array(n);
  const o = f.outcome, packed = packedTable(law), tb = law.branch;
  for (let j = 0, i = 0; j < q; j++, i += 4) {
    const c = packed[o[i]] | (packed[o[i + 1]] << 8) | (packed[o[i + 2]] << 16) | (packed[o[i + 3]] << 24);
    wI[j] = c & 0x03030303; wBA[j] = (c >>> 2) & 0x01010101; wXA[j] = (c >>> 3) & 0x01010101; wBB[j] = (c >>> 4) & 0x01010101; wXB[j] = (c >>> 5) & 0x01010101;
  }
  for (let i = q * 4; i < n; i++) {
    const c = packed[o[i]];
    inten[i] = c & 3; bA[i] = (c >>> 2) & 1; xA[i] = (c >>> 3) & 1; bB[i] = (c >>> 4) & 1; xB[i] = (c >>> 5) & 1;
  }
  if (law.branchTags.length > 1) for (let i = 0; i < n; i++) br[i] = tb[o[i]]; // else all 0 (honest)
  const slots = { firstSlot: f.firstSlot, deltas: f.deltas };
  return {
    source: { ...slots, intensity: inten, basis: bA, bit: xA },
    detector: { ...slots, basis: bB, bit: xB },
    fabric: { ...slots, branch: br },
  };
}

/** Frames of a BB84 run, both local views per frame (the fabric routes each to its party). */
export function* sampleBb84Frames(cfg: Bb84RunConfig, rng: Rng = createRng(cfg.seed)): Generator<Bb84Frames> {
  const law = bb84OutcomeLaw(cfg.source, cfg.link, cfg.eavesdropper);
  for (const f of sampleEventFrames(rng, cfg.pulses, law, { maxFrameEvents: cfg.maxFrameEvents })) yield decode(f, law);
}

export interface Bb84Run {
  source: Bb84SourceFrame[];
  detector: Bb84DetectorFrame[];
  fabric: Bb84FabricFrame[];
  branchTags: string[];
  detections: number;
}

/** A whole BB84 run collected into per-party frame lists. */
export function sampleBb84Run(cfg: Bb84RunConfig): Bb84Run {
  const law = bb84OutcomeLaw(cfg.source, cfg.link, cfg.eavesdropper);
  const run: Bb84Run = { source: [], detector: [], fabric: [], branchTags: law.branchTags, detections: 0 };
  for (const f of sampleEventFrames(createRng(cfg.seed), cfg.pulses, law, { maxFrameEvents: cfg.maxFrameEvents })) {
    const v = decode(f, law);
    run.source.push(v.source); run.detector.push(v.detector); run.fabric.push(v.fabric);
    run.detections += f.outcome.length;
  }
  return run;
}
