// The protocol-independent tail of every QKD session, one half per side: Cascade, key
// verification, the final length from the caller's estimator, privacy amplification.
//   reference side (Alice / the first source): answers Cascade parities, sends the verification
//     hash and the Toeplitz seed (from its QRNG);
//   correcting side (Bob / the second source): corrects its key, reports its error tallies.
//   B->A ec.stats {errors}   per-class counts of the bits Cascade flipped (sent after verification)
import type { BitString } from '../bits.ts';
import type { Rng } from '../rng.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import { cascadeAlice, cascadeBob } from './cascade.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { verifyKeyAlice, verifyKeyBob } from './verification.ts';
import { SessionAbort } from './announce.ts';
import { paReceiver, paSender } from './pipeline-pa.ts';

export interface TailTimings { cascade: number; verify: number; pa: number }

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
  const casc = await cascadeAlice(ch, key, { variant: opts.variant, qber: Math.min(0.45, Math.max(opts.qberEstimate, 1e-3)), rng: random });
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
