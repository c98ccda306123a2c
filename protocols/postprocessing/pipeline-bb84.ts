// The decoy-BB84 post-processing of one session, one half per party. Each half takes its own
// local view from the fabric and ONE ClassicalChannel to its peer (wrapped in Wegman–Carter
// authentication here), so the session actors can run the halves in separate processes:
//   Alice (source):   runBb84Source(channel, sourceFrames, cfg)
//   Bob (detector):   runBb84Detector(channel, detectorFrames, cfg)
// Stages: sift -> estimate (abort if the phase-error bound leaves no key) -> Cascade ->
// verify -> final estimate with the bits Cascade disclosed -> Toeplitz PA to that length.
// Leak accounting (Lim et al. 2014 Eq. 1): lambda_EC = Cascade's disclosed parities; the
// verification hash is the log2(2/eps_cor) term of Eq. 1, so it is not counted twice.
import type { Rng } from '../rng.ts';
import { DEFAULT_EPS, type SecurityParams } from '../keyrate/bb84-lim.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import type { Bb84SourceParams } from '../physics/bb84-model.ts';
import type { Bb84DetectorFrame, Bb84SourceFrame } from '../physics/sampler-bb84.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import type { ClassicalChannel } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import { estimateBb84BeforeEc, estimateBb84Final, type Bb84EstimationConfig } from './estimation-bb84.ts';
import { siftBb84Detector, siftBb84Source, type Bb84SiftResult } from './sifting-bb84.ts';
import { warmToeplitz } from './toeplitz.ts';
import { recordCount } from './slot-cursor.ts';
import { type PartyResult, secureChannel, type Stage, StageClock, STAGES, tailCorrecting, tailReference, tallyFlips, type TailResult } from './pipeline-core.ts';
import { binaryEntropy } from '../keyrate/entropy.ts';

export { type Stage, STAGES };

export interface Bb84PartyConfig {
  /** Pulses of the run (public). */
  pulses: number;
  /** The source settings (public: loaded by the orchestration core for both sides). */
  source: Bb84SourceParams;
  eps?: SecurityParams;
  cascadeVariant?: CascadeVariant;
  /** Wegman–Carter key bits (pre-shared key now, the pair's pool later). */
  authKeys: AuthKeySource;
  /** Channel label both ends agree on (the session id). */
  label: string;
  /** Skip authentication (benchmarks of the bare protocol only). */
  unauthenticated?: boolean;
}

export interface Bb84SourceConfig extends Bb84PartyConfig {
  /** Alice's QRNG: Cascade shuffle seeds, verification seed, Toeplitz seed. */
  random: Rng;
}

export interface Bb84SessionStats {
  detections: number;
  /** Sifted key bits l_sift (matching X clicks, all intensities). */
  siftedBits: number;
  /** Z-basis bits disclosed for the phase-error test. */
  testBits: number;
  /** QBER of the sifted key (errors Cascade corrected / l_sift). */
  qber: number;
  /** QBER estimate used to set Cascade's blocks (disclosed Z bits). */
  qberEstimate: number;
  /** Parity bits Cascade disclosed (lambda_EC). */
  disclosedBits: number;
  /** Reconciliation efficiency f = disclosed / (l_sift h(QBER)). */
  f: number;
  verificationBits: number;
  phaseErrorBound: number;
  /** Final secret key length l_sec. */
  secretBits: number;
  authKeyBits: number;
  cascadeRounds: number;
}

export type Bb84PartyResult = PartyResult<Bb84SessionStats>;

const h2 = binaryEntropy;

const secure = (ch: ClassicalChannel, cfg: Bb84PartyConfig, role: 'initiator' | 'responder') =>
  secureChannel(ch, cfg.authKeys, { role, label: cfg.label, unauthenticated: cfg.unauthenticated });

function estimationConfig(cfg: Bb84PartyConfig): Bb84EstimationConfig {
  return { source: cfg.source, eps: cfg.eps ?? DEFAULT_EPS };
}

function stats(s: Bb84SiftResult, qberEstimate: number, casc: { disclosedBits: number; rounds: number }, errors: number, verificationBits: number, est: KeyRateResult, authKeyBits: number): Bb84SessionStats {
  const n = s.key.length, q = n > 0 ? errors / n : 0;
  return {
    detections: s.detections, siftedBits: n, testBits: s.disclosedTestBits, qber: q, qberEstimate,
    disclosedBits: casc.disclosedBits, f: q > 0 ? casc.disclosedBits / (n * h2(q)) : Infinity,
    verificationBits, phaseErrorBound: est.phaseErrorBound, secretBits: est.secretBits, authKeyBits, cascadeRounds: casc.rounds,
  };
}

/** Alice's half. Throws SessionAbort (no key) when estimation or verification fails. */
export async function runBb84Source(channel: ClassicalChannel, frames: readonly Bb84SourceFrame[], cfg: Bb84SourceConfig): Promise<Bb84PartyResult> {
  const clock = new StageClock();
  const { ch, used } = secure(channel, cfg, 'initiator');
  warmToeplitz(recordCount(frames));
  try {
    const sift = await siftBb84Source(ch, frames);
    clock.lap('sift');
    const est = estimationConfig(cfg);
    const pre = estimateBb84BeforeEc(sift.counts, cfg.pulses, est);
    clock.lap('estimate');
    const tail = await tailReference(ch, sift.key, cfg.random, {
      variant: cfg.cascadeVariant ?? 'yanetal', qberEstimate: pre.qberEstimate, epsCor: est.eps!.epsCor,
      finalEstimate: (leak, mX) => estimateBb84Final(sift.counts, cfg.pulses, est, leak, mX),
    });
    return finish(sift, pre.qberEstimate, tail, clock, used());
  } catch (e) {
    channel.close?.(e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** Bob's half. */
export async function runBb84Detector(channel: ClassicalChannel, frames: readonly Bb84DetectorFrame[], cfg: Bb84PartyConfig): Promise<Bb84PartyResult> {
  const clock = new StageClock();
  const { ch, used } = secure(channel, cfg, 'responder');
  warmToeplitz(recordCount(frames));
  try {
    const sift = await siftBb84Detector(ch, frames);
    clock.lap('sift');
    const est = estimationConfig(cfg);
    const pre = estimateBb84BeforeEc(sift.counts, cfg.pulses, est);
    clock.lap('estimate');
    const tail = await tailCorrecting(ch, sift.key, {
      epsCor: est.eps!.epsCor,
      finalEstimate: (leak, mX) => estimateBb84Final(sift.counts, cfg.pulses, est, leak, mX),
      // X-basis errors per intensity: the bits Cascade flipped, tallied by each bit's intensity
      tallyErrors: (raw, fixed) => tallyFlips(raw, fixed, sift.keyIntensity, 3),
    });
    return finish(sift, pre.qberEstimate, tail, clock, used());
  } catch (e) {
    channel.close?.(e instanceof Error ? e.message : String(e));
    throw e;
  }
}

function finish(sift: Bb84SiftResult, qberEstimate: number, tail: TailResult, clock: StageClock, authKeyBits: number): Bb84PartyResult {
  clock.finish(tail);
  const errors = tail.errors.reduce((a, b) => a + b, 0);
  return {
    key: tail.key, reconciled: tail.reconciled, estimate: tail.final, timings: clock.timings, cpuTimings: clock.cpu,
    stats: stats(sift, qberEstimate, { disclosedBits: tail.disclosedBits, rounds: tail.cascadeRounds }, errors, tail.verificationBits, tail.final, authKeyBits),
  };
}
