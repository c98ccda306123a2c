// Detection-event sampler for entanglement-based BBM92 with an SPDC source between two D nodes
// (Ma, Fung, Lo, PRA 76, 012307 (2007)). Events are coincidences (both sides click in the same
// slot), with the model's gain Q_lambda and QBER E_lambda (bbm92GainQber, protocols/keyrate/bbm92.ts).
// Each detector independently picks X with qX (active choice); matching bases disagree with
// E_lambda, mismatched bases are uniform. Single clicks without a partner are not sampled: the
// model defines only the coincidence statistics the protocol keeps.
// Views: each detector's own click records (slot, basis, bit); the source sees nothing per slot.
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { type Bbm92Link, bbm92GainQber } from '../keyrate/bbm92.ts';
import { type EventFrame, sampleEventFrames } from './sampler-core.ts';
import type { Bb84DetectorFrame } from './sampler-bb84.ts';

export interface Bbm92RunConfig { pulses: number; lambda: number; link: Bbm92Link; qX?: number; seed: number | string; maxFrameEvents?: number }
export interface Bbm92Frames { a: Bb84DetectorFrame; b: Bb84DetectorFrame }

/** Outcome j = basisA | basisB << 1 | bitA << 2 | bitB << 3 (basis 0 = X, as in the BB84 views). */
export function bbm92OutcomeLaw(lambda: number, link: Bbm92Link, qX = 0.5): { weights: Float64Array } {
  const { gain, qber } = bbm92GainQber(lambda, link);
  const q = [qX, 1 - qX];
  const w = new Float64Array(16);
  for (let j = 0; j < 16; j++) {
    const a = j & 1, b = (j >> 1) & 1, x = (j >> 2) & 1, y = (j >> 3) & 1;
    w[j] = gain * q[a] * q[b] * 0.5 * (a === b ? (x === y ? 1 - qber : qber) : 0.5);
  }
  return { weights: w };
}

function decode(f: EventFrame): Bbm92Frames {
  const n = f.outcome.length, o = f.outcome;
  const ba = new Uint8Array(n), bb = new Uint8Array(n), xa = new Uint8Array(n), xb = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const j = o[i]; ba[i] = j & 1; bb[i] = (j >> 1) & 1; xa[i] = (j >> 2) & 1; xb[i] = (j >> 3) & 1; }
  const s = { firstSlot: f.firstSlot, deltas: f.deltas };
  return { a: { ...s, basis: ba, bit: xa }, b: { ...s, basis: bb, bit: xb } };
}

export function* sampleBbm92Frames(cfg: Bbm92RunConfig, rng: Rng = createRng(cfg.seed)): Generator<Bbm92Frames> {
  const law = bbm92OutcomeLaw(cfg.lambda, cfg.link, cfg.qX);
  for (const f of sampleEventFrames(rng, cfg.pulses, law, { maxFrameEvents: cfg.maxFrameEvents })) yield decode(f);
}
