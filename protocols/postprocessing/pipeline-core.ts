// The protocol-independent tail of every QKD session, one half per side: Cascade, key
// verification, the final length from the caller's estimator, privacy amplification.
//   reference side (Alice / the first source): answers Cascade parities, sends the verification
//     hash and the Toeplitz seed (from its QRNG);
//   correcting side (Bob / the second source): corrects its key, reports its error tallies.
//   B->A ec.stats {errors}   per-class counts of the bits Cascade flipped (sent after verification)
// Also the pieces the protocol pipelines share before the tail: stage clock, channel
// authentication, the systematic QBER sample of a sifted key.
//   A->B <p>.sample {offset, stride, count, bits}   systematic sample of the sifted key (p: bbm92, mdi)
//   B->A <p>.sampleResult {errors}
import { CONFIRM_PASSES, defaultQberSampleBits } from './cascade-efficiency.ts';
import { type BitString, getBit, zeros } from '../bits.ts';
import type { Rng } from '../rng.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import { authenticatedChannel } from './authenticated-channel.ts';
import { cascadeAlice, cascadeBob } from './cascade.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import { verifyKeyAlice, verifyKeyBob } from './verification.ts';
import { fieldOf, isNat, isU32, packFlags, SessionAbort, unpackFlags } from './announce.ts';
import { paReceiver, paSender } from './pipeline-pa.ts';

export interface TailTimings { cascade: number; verify: number; pa: number }

/** The stages every two-party pipeline times (BB84, BBM92). */
export const STAGES = ['sift', 'estimate', 'cascade', 'verify', 'pa'] as const;
export type Stage = (typeof STAGES)[number];

/** A two-party pipeline's result for one half. */
export interface PartyResult<S> {
  /** Final secret key (l_sec bits). */
  key: BitString;
  /** The error-corrected key PA was applied to (kept for checks; drop it in production). */
  reconciled: BitString;
  stats: S;
  estimate: KeyRateResult;
  /** Milliseconds per stage on this party's clock. */
  timings: Record<Stage, number>;
  /** Process CPU milliseconds during each stage (both halves and PA workers when in one process). */
  cpuTimings: Record<Stage, number>;
}

/** Wall and process CPU milliseconds between laps (CPU is process-wide: it includes the peer's
 *  half and the PA worker threads when both run in one process). */
export class Laps {
  private w = performance.now();
  private c = process.cpuUsage();
  lap(): { wall: number; cpu: number } {
    const now = performance.now(), cu = process.cpuUsage();
    const r = { wall: now - this.w, cpu: (cu.user - this.c.user + cu.system - this.c.system) / 1000 };
    this.w = now; this.c = cu;
    return r;
  }
}

/** Wall and CPU milliseconds per stage, summed over laps; the tail's stages are copied in by finish(). */
export class StageClock {
  readonly timings = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  readonly cpu = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  private laps = new Laps();
  lap(stage: Stage): void { const l = this.laps.lap(); this.timings[stage] += l.wall; this.cpu[stage] += l.cpu; }
  /** Take the tail's own stage times. */
  finish(tail: TailResult): void { Object.assign(this.timings, tail.timings); Object.assign(this.cpu, tail.cpuTimings); }
}

/** Wrap a channel in Wegman–Carter authentication (unless unauthenticated); used() = key bits spent so far. */
export function secureChannel(ch: ClassicalChannel, keys: AuthKeySource | undefined, opts: { role: 'initiator' | 'responder'; label: string; unauthenticated?: boolean }): { ch: ClassicalChannel; used: () => number } {
  if (opts.unauthenticated) return { ch, used: () => 0 };
  if (!keys) throw new RangeError(`${opts.label}: authentication keys missing (or set unauthenticated)`);
  const a = authenticatedChannel(ch, keys, { role: opts.role, label: opts.label });
  return { ch: a, used: () => a.keyBitsUsed };
}

export interface QberSample { count: number; errors: number; offset: number; stride: number }

/**
 * The QBER sample of a sifted key: bits offset + i stride (i < count) from a random offset, so a
 * systematic sample spread over the whole key; role a draws the offset and discloses its bits,
 * role b counts the differences. Default size min(n/100, 4000). The bits are public: callers add
 * count to the EC leak. `type` prefixes the messages (bbm92, mdi); `who` names the caller in errors.
 */
export async function sampleQber(ch: ClassicalChannel, key: BitString, opts: { type: string; who: string; role: 'a' | 'b'; random?: Rng; sampleBits?: number }): Promise<QberSample> {
  const n = key.length;
  if (opts.role === 'a') {
    if (!opts.random) throw new RangeError(`${opts.who}: role a needs a random source`);
    const count = Math.min(n, opts.sampleBits ?? defaultQberSampleBits(n));
    const stride = count > 0 ? Math.floor(n / count) : 1, offset = count > 0 ? opts.random.nextInt(stride) : 0;
    const bits = new Uint8Array(count);
    for (let i = 0; i < count; i++) bits[i] = getBit(key, offset + i * stride);
    await ch.send({ type: `${opts.type}.sample`, offset, stride, count, bits: packFlags(bits) });
    const errors = fieldOf<number>(await expectMessage(ch, `${opts.type}.sampleResult`), 'errors', (v) => isNat(v) && (v as number) <= count, 'an error count');
    return { count, errors, offset, stride };
  }
  const m = await expectMessage(ch, `${opts.type}.sample`);
  const count = fieldOf<number>(m, 'count', (v) => isNat(v) && (v as number) <= n, 'a sample size');
  const stride = fieldOf<number>(m, 'stride', (v) => isNat(v) && (v as number) >= 1, 'a stride');
  const offset = fieldOf<number>(m, 'offset', (v) => isNat(v) && (v as number) < stride, 'an offset');
  if (count > 0 && offset + (count - 1) * stride >= n) throw new SessionAbort('sift', `${opts.type}.sample: positions outside the key`);
  const theirs = unpackFlags(fieldOf<Uint32Array>(m, 'bits', isU32, 'a Uint32Array'), count);
  let errors = 0;
  for (let i = 0; i < count; i++) errors += theirs[i] ^ getBit(key, offset + i * stride);
  await ch.send({ type: `${opts.type}.sampleResult`, errors });
  return { count, errors, offset, stride };
}

/** The key without the sampled positions offset + i stride (i < count), order kept. */
export function dropSample(key: BitString, offset: number, stride: number, count: number): BitString {
  const n = key.length, out = zeros(n - count), src = key.words, dst = out.words;
  let k = 0, next = count > 0 ? offset : n, left = count;
  for (let i = 0; i < n; i++) {
    if (i === next) { next = --left > 0 ? next + stride : n; continue; }
    if ((src[i >>> 5] >>> (i & 31)) & 1) dst[k >>> 5] |= 1 << (k & 31);
    k++;
  }
  return out;
}

export interface TailResult {
  key: BitString;
  /** The verified error-corrected key (input of PA). */
  reconciled: BitString;
  final: KeyRateResult;
  disclosedBits: number;
  cascadeRounds: number;
  verificationBits: number;
  /** Errors Cascade corrected, per class (as tallied by the correcting side). */
  errors: number[];
  timings: TailTimings;
  cpuTimings: TailTimings;
}

export interface TailOptions {
  variant: CascadeVariant;
  qberEstimate: number;
  epsCor: number;
  /** Final estimate from the bits disclosed in EC and the corrected errors per class. Throws SessionAbort for no key. */
  finalEstimate: (leakEC: number, errors: number[]) => KeyRateResult;
  /** Extra bits already public about the key (e.g. a disclosed QBER sample), added to the EC leak. */
  extraLeak?: number;
}


export async function tailReference(ch: ClassicalChannel, key: BitString, random: Rng, opts: TailOptions): Promise<TailResult> {
  const t = new Laps();
  const casc = await cascadeAlice(ch, key, { variant: opts.variant, qber: Math.min(0.45, Math.max(opts.qberEstimate, 1e-3)), rng: random, confirmPasses: CONFIRM_PASSES });
  const cascade = t.lap();
  const ver = await verifyKeyAlice(ch, key, { epsCor: opts.epsCor, random });
  if (!ver.ok) throw new SessionAbort('verification', 'keys differ after Cascade (frame error): block discarded');
  const st = await expectMessage(ch, 'ec.stats');
  const errors = st.errors;
  if (!Array.isArray(errors) || !errors.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) throw new ProtocolError("ec.stats: field 'errors' must be an array of counts");
  const verify = t.lap();
  const leak = casc.disclosedBits + (opts.extraLeak ?? 0);
  const final = opts.finalEstimate(leak, errors as number[]);
  const out = await paSender(ch, key, final.secretBits, random);
  const pa = t.lap();
  return { key: out, reconciled: key, final, disclosedBits: casc.disclosedBits, cascadeRounds: casc.rounds, verificationBits: ver.disclosedBits, errors: errors as number[], timings: { cascade: cascade.wall, verify: verify.wall, pa: pa.wall }, cpuTimings: { cascade: cascade.cpu, verify: verify.cpu, pa: pa.cpu } };
}

export async function tailCorrecting(ch: ClassicalChannel, key: BitString, opts: Omit<TailOptions, 'variant' | 'qberEstimate'> & { tallyErrors: (raw: BitString, fixed: BitString) => number[] }): Promise<TailResult> {
  const t = new Laps();
  const casc = await cascadeBob(ch, key);
  const cascade = t.lap();
  const ver = await verifyKeyBob(ch, casc.key, { epsCor: opts.epsCor });
  if (!ver.ok) throw new SessionAbort('verification', 'keys differ after Cascade (frame error): block discarded');
  const errors = opts.tallyErrors(key, casc.key);
  await ch.send({ type: 'ec.stats', errors });
  const verify = t.lap();
  const leak = casc.disclosedBits + (opts.extraLeak ?? 0);
  const final = opts.finalEstimate(leak, errors);
  const out = await paReceiver(ch, casc.key, final.secretBits);
  const pa = t.lap();
  return { key: out, reconciled: casc.key, final, disclosedBits: casc.disclosedBits, cascadeRounds: casc.rounds, verificationBits: ver.disclosedBits, errors, timings: { cascade: cascade.wall, verify: verify.wall, pa: pa.wall }, cpuTimings: { cascade: cascade.cpu, verify: verify.cpu, pa: pa.cpu } };
}

/** Count the bits that differ, per class of each bit (classOf[i] in 0..classes-1). */
export function tallyFlips(raw: BitString, fixed: BitString, classOf: Uint8Array | null, classes: number): number[] {
  const out = new Array<number>(classes).fill(0);
  const a = raw.words, b = fixed.words;
  for (let w = 0; w < a.length; w++) {
    let x = a[w] ^ b[w];
    while (x !== 0) {
      const bit = 31 - Math.clz32(x & -x);
      out[classOf ? classOf[(w << 5) + bit] : 0]++;
      x &= x - 1;
    }
  }
  return out;
}
