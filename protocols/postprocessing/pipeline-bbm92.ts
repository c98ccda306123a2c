// The BBM92 post-processing of one session, one half per D node (the E source is untrusted and
// runs no post-processing: it only emits pairs). Each half takes its own local view from the
// fabric (its click records) and ONE ClassicalChannel to the other D node:
//   D node a (reference side of EC/PA):  runBbm92Detector(channel, frames, { ...cfg, role: 'a', random })
//   D node b (correcting side):          runBbm92Detector(channel, frames, { ...cfg, role: 'b' })
// Stages: sift (sifting-bbm92.ts: b announces clicks and bases, a answers coincidences and bases,
// discloses its matching Z bits) -> QBER sample of the X key -> estimate (abort if no key even at
// the Shannon limit) -> Cascade -> verify -> final length (estimation-bbm92.ts) -> Toeplitz PA.
//   A->B bbm92.sample {offset, stride, count, bits}   systematic sample of the sifted X key (counted as leak)
//   B->A bbm92.sampleResult {errors}
// Leak accounting (Lim 2014 Eq. (1)): lambda_EC = Cascade's parities + the sampled bits; the
// verification hash is the log2(2/eps_cor) term, not counted twice.
import type { BitString } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { DEFAULT_EPS, type SecurityParams } from '../keyrate/bb84-lim.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import { authenticatedChannel } from './authenticated-channel.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { type ClassicalChannel, expectMessage } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import { fieldOf, isNat, isU32, packFlags, SessionAbort, unpackFlags } from './announce.ts';
import { type Bbm92Frame, siftBbm92Announcer, siftBbm92Responder } from './sifting-bbm92.ts';
import { estimateBbm92BeforeEc, estimateBbm92Final, type Bbm92EstimationConfig } from './estimation-bbm92.ts';
import { Laps, tailCorrecting, tailReference, tallyFlips } from './pipeline-core.ts';
import { binaryEntropy } from '../keyrate/entropy.ts';

export const BBM92_STAGES = ['sift', 'estimate', 'cascade', 'verify', 'pa'] as const;
export type Bbm92Stage = (typeof BBM92_STAGES)[number];

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

export interface Bbm92PartyResult {
  key: BitString;
  /** The verified error-corrected key (input of PA). */
  reconciled: BitString;
  estimate: KeyRateResult;
  stats: Bbm92SessionStats;
  timings: Record<Bbm92Stage, number>;
  cpuTimings: Record<Bbm92Stage, number>;
}

const h2 = binaryEntropy;
const bitAt = (k: BitString, j: number) => (k.words[j >>> 5] >>> (j & 31)) & 1;

/** The QBER sample of the sifted key: a systematic sample from a random offset (role a draws it). */
async function sampleQber(ch: ClassicalChannel, key: BitString, cfg: Bbm92PartyConfig): Promise<{ count: number; errors: number }> {
  const n = key.length;
  if (cfg.role === 'a') {
    if (!cfg.random) throw new RangeError('runBbm92Detector: role a needs a random source');
    const count = Math.min(n, cfg.sampleBits ?? Math.min(Math.floor(n / 100), 4000));
    const stride = count > 0 ? Math.floor(n / count) : 1, offset = count > 0 ? cfg.random.nextInt(stride) : 0;
    const bits = new Uint8Array(count);
    for (let i = 0; i < count; i++) bits[i] = bitAt(key, offset + i * stride);
    await ch.send({ type: 'bbm92.sample', offset, stride, count, bits: packFlags(bits) });
    const errors = fieldOf<number>(await expectMessage(ch, 'bbm92.sampleResult'), 'errors', (v) => isNat(v) && (v as number) <= count, 'an error count');
    return { count, errors };
  }
  const m = await expectMessage(ch, 'bbm92.sample');
  const count = fieldOf<number>(m, 'count', (v) => isNat(v) && (v as number) <= n, 'a sample size');
  const stride = fieldOf<number>(m, 'stride', (v) => isNat(v) && (v as number) >= 1, 'a stride');
  const offset = fieldOf<number>(m, 'offset', (v) => isNat(v) && (v as number) < stride, 'an offset');
  if (count > 0 && offset + (count - 1) * stride >= n) throw new SessionAbort('sift', 'bbm92.sample: positions outside the key');
  const theirs = unpackFlags(fieldOf<Uint32Array>(m, 'bits', isU32, 'a Uint32Array'), count);
  let errors = 0;
  for (let i = 0; i < count; i++) errors += theirs[i] ^ bitAt(key, offset + i * stride);
  await ch.send({ type: 'bbm92.sampleResult', errors });
  return { count, errors };
}

/** One D node's half. Throws SessionAbort (no key) when estimation or verification fails. */
export async function runBbm92Detector(channel: ClassicalChannel, frames: readonly Bbm92Frame[], cfg: Bbm92PartyConfig): Promise<Bbm92PartyResult> {
  const laps = new Laps();
  const timings = Object.fromEntries(BBM92_STAGES.map((s) => [s, 0])) as Record<Bbm92Stage, number>;
  const cpuTimings = { ...timings };
  const lap = (s: Bbm92Stage) => { const l = laps.lap(); timings[s] += l.wall; cpuTimings[s] += l.cpu; };
  const initiator = cfg.role === 'a';
  let ch = channel, used = () => 0;
  if (!cfg.unauthenticated) {
    if (!cfg.authKeys) throw new RangeError(`${cfg.label}: authentication keys missing (or set unauthenticated)`);
    const a = authenticatedChannel(channel, cfg.authKeys, { role: initiator ? 'initiator' : 'responder', label: cfg.label });
    ch = a; used = () => a.keyBitsUsed;
  }
  try {
    const sift = initiator ? await siftBbm92Responder(ch, frames) : await siftBbm92Announcer(ch, frames);
    const sample = await sampleQber(ch, sift.key, cfg);
    lap('sift');
    const est: Bbm92EstimationConfig = { pulses: cfg.pulses, params: cfg.params, eps: cfg.eps ?? DEFAULT_EPS };
    const pre = estimateBbm92BeforeEc(sift.counts, sample, est);
    lap('estimate');
    const epsCor = est.eps!.epsCor;
    const finalEstimate = (leak: number, errs: number[]) => estimateBbm92Final(sift.counts, est, leak, errs[0]);
    const tail = initiator
      ? await tailReference(ch, sift.key, cfg.random!, { variant: cfg.cascadeVariant ?? 'yanetal', qberEstimate: pre.qberEstimate, epsCor, finalEstimate, extraLeak: sample.count })
      : await tailCorrecting(ch, sift.key, { epsCor, finalEstimate, extraLeak: sample.count, tallyErrors: (raw, fixed) => tallyFlips(raw, fixed, null, 1) });
    Object.assign(timings, tail.timings);
    Object.assign(cpuTimings, tail.cpuTimings);
    const n = sift.key.length, q = n > 0 ? tail.errors[0] / n : 0;
    const c = sift.counts;
    return {
      key: tail.key, reconciled: tail.reconciled, estimate: tail.final, timings, cpuTimings,
      stats: {
        detections: sift.detections, coincidences: sift.coincidences, siftedBits: n, testBits: sift.disclosedTestBits, qberZ: c.nZ > 0 ? c.mZ / c.nZ : 0,
        sampleBits: sample.count, qberEstimate: pre.qberEstimate, qber: q, disclosedBits: tail.disclosedBits,
        f: q > 0 ? tail.disclosedBits / (n * h2(q)) : Infinity, verificationBits: tail.verificationBits,
        phaseErrorBound: tail.final.phaseErrorBound, secretBits: tail.final.secretBits, cascadeRounds: tail.cascadeRounds, authKeyBits: used(),
      },
    };
  } catch (e) {
    channel.close?.(e instanceof Error ? e.message : String(e));
    throw e;
  }
}
