// The BBM92 post-processing of one session, one half per D node (the E source is untrusted and
// runs no post-processing: it only emits pairs). Each half takes its own local view from the
// fabric (its click records) and ONE ClassicalChannel to the other D node:
//   D node a (reference side of EC/PA):  runBbm92Detector(channel, frames, { ...cfg, role: 'a', random })
//   D node b (correcting side):          runBbm92Detector(channel, frames, { ...cfg, role: 'b' })
// Stages: sift (sifting-bbm92.ts: b announces clicks and bases, a answers coincidences and bases,
// discloses its matching Z bits) -> QBER sample of the X key -> estimate (abort if no key even at
// the Shannon limit) -> Cascade -> verify -> final length (estimation-bbm92.ts) -> Toeplitz PA.
//   A->B bbm92.sample {offset, stride, count, bits}   systematic sample of the sifted X key (counted as leak;
//   B->A bbm92.sampleResult {errors}                   pipeline-core.ts sampleQber)
// Leak accounting (Lim 2014 Eq. (1)): lambda_EC = Cascade's parities + the sampled bits; the
// verification hash is the log2(2/eps_cor) term, not counted twice.
import type { Rng } from '../rng.ts';
import { DEFAULT_EPS, type SecurityParams } from '../keyrate/bb84-lim.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import type { ClassicalChannel } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import { type Bbm92Frame, siftBbm92Announcer, siftBbm92Responder } from './sifting-bbm92.ts';
import { estimateBbm92BeforeEc, estimateBbm92Final, type Bbm92EstimationConfig } from './estimation-bbm92.ts';
import { dropSample, type PartyResult, sampleQber, secureChannel, StageClock, tailCorrecting, tailReference, tallyFlips } from './pipeline-core.ts';
import { binaryEntropy } from '../keyrate/entropy.ts';
import { warmToeplitz } from './toeplitz.ts';
import { recordCount } from './slot-cursor.ts';

export interface Bbm92PartyConfig {
  pulses: number;
  /** The plan's source settings (lambda, qX): public, reported with the estimate. */
  params: Record<string, number>;
  role: 'a' | 'b';
  /** Role a's QRNG: sample offset, Cascade shuffles, verification and Toeplitz seeds. */
  random?: Rng;
  eps?: SecurityParams;
  cascadeVariant?: CascadeVariant;
  /** Wegman–Carter key bits (ignored when unauthenticated). */
  authKeys?: AuthKeySource;
  label: string;
  unauthenticated?: boolean;
  /** Size of the disclosed X-basis QBER sample (default min(n_X/100, 4000)). */
  sampleBits?: number;
}

export interface Bbm92SessionStats {
  detections: number;
  coincidences: number;
  /** Sifted key bits l_sift (matching X coincidences). */
  siftedBits: number;
  /** Z-basis bits disclosed for the phase-error test, and their error rate. */
  testBits: number;
  qberZ: number;
  /** X-key bits disclosed as QBER sample, and the estimate Cascade was set up with. */
  sampleBits: number;
  qberEstimate: number;
  /** QBER of the sifted key (errors Cascade corrected / l_sift). */
  qber: number;
  /** Cascade parities (the sample is added to the leak separately). */
  disclosedBits: number;
  /** Reconciliation efficiency f = disclosed / (l_sift h(QBER)). */
  f: number;
  verificationBits: number;
  phaseErrorBound: number;
  secretBits: number;
  cascadeRounds: number;
  authKeyBits: number;
}

export type Bbm92PartyResult = PartyResult<Bbm92SessionStats>;

const h2 = binaryEntropy;

/** One D node's half. Throws SessionAbort (no key) when estimation or verification fails. */
export async function runBbm92Detector(channel: ClassicalChannel, frames: readonly Bbm92Frame[], cfg: Bbm92PartyConfig): Promise<Bbm92PartyResult> {
  const clock = new StageClock();
  const initiator = cfg.role === 'a';
  const { ch, used } = secureChannel(channel, cfg.authKeys, { role: initiator ? 'initiator' : 'responder', label: cfg.label, unauthenticated: cfg.unauthenticated });
  warmToeplitz(recordCount(frames));
  try {
    const sift = initiator ? await siftBbm92Responder(ch, frames) : await siftBbm92Announcer(ch, frames);
    const sample = await sampleQber(ch, sift.key, { type: 'bbm92', who: 'runBbm92Detector', role: cfg.role, random: cfg.random, sampleBits: cfg.sampleBits });
    // The sample's bits are public: they leave the key (still counted as leak, as in MDI), so the
    // reconciled (imperfect) key holds none of them.
    const key = dropSample(sift.key, sample.offset, sample.stride, sample.count);
    clock.lap('sift');
    const est: Bbm92EstimationConfig = { pulses: cfg.pulses, params: cfg.params, eps: cfg.eps ?? DEFAULT_EPS };
    const pre = estimateBbm92BeforeEc(sift.counts, sample, est);
    clock.lap('estimate');
    const epsCor = est.eps!.epsCor;
    // X-key errors: those Cascade corrected in the kept bits plus those of the sample
    const finalEstimate = (leak: number, errs: number[]) => estimateBbm92Final(sift.counts, est, leak, errs[0] + sample.errors);
    const tail = initiator
      ? await tailReference(ch, key, cfg.random!, { variant: cfg.cascadeVariant ?? 'yanetal', qberEstimate: pre.qberEstimate, epsCor, finalEstimate, extraLeak: sample.count })
      : await tailCorrecting(ch, key, { epsCor, finalEstimate, extraLeak: sample.count, tallyErrors: (raw, fixed) => tallyFlips(raw, fixed, null, 1) });
    clock.finish(tail);
    const n = sift.key.length, q = n > 0 ? (tail.errors[0] + sample.errors) / n : 0;
    const c = sift.counts;
    return {
      key: tail.key, reconciled: tail.reconciled, estimate: tail.final, timings: clock.timings, cpuTimings: clock.cpu,
      stats: {
        detections: sift.detections, coincidences: sift.coincidences, siftedBits: n, testBits: sift.disclosedTestBits, qberZ: c.nZ > 0 ? c.mZ / c.nZ : 0,
        sampleBits: sample.count, qberEstimate: pre.qberEstimate, qber: q, disclosedBits: tail.disclosedBits,
        f: q > 0 ? tail.disclosedBits / (key.length * h2(q)) : Infinity, verificationBits: tail.verificationBits,
        phaseErrorBound: tail.final.phaseErrorBound, secretBits: tail.final.secretBits, cascadeRounds: tail.cascadeRounds, authKeyBits: used(),
      },
    };
  } catch (e) {
    channel.close?.(e instanceof Error ? e.message : String(e));
    throw e;
  }
}
