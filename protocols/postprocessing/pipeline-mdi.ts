// The four-intensity MDI-QKD post-processing, one half per party, each over its own channels:
//   relay (D node, or the server for a joint BSM):  runMdiRelay(toA, toB, relayFrames)
//   source A (reference side):  runMdiSource(relayChannel, peerChannel, frames, { ...cfg, role: 'a', random })
//   source B (correcting side): runMdiSource(relayChannel, peerChannel, frames, { ...cfg, role: 'b' })
// Stages: sift (BSM announcements, intensity exchange, X-window test bits) -> QBER sample of the
// Z window -> estimate (abort if no key even without EC leak) -> Cascade -> verify -> final
// length (mdiEstimateFromCounts with the disclosed bits) -> Toeplitz PA.
//   A->B mdi.sample {offset, stride, count, bits}   systematic sample of the sifted key
//   B->A mdi.sampleResult {errors}
// The sampled bits are public, so both sides drop them from the key before Cascade (the
// reconciled key, deposited as an 'imperfect' key, holds no disclosed bit). They still count as
// leak: by the chain rule for smooth min-entropy, H(rest | E, sample) >= H(all | E) - count
// (Tomamichel et al., Nat. Commun. 3, 634 (2012), Eq. (2) of the Methods), and the estimate's
// single-pair bound is over the whole Z window.
import type { BitString } from '../bits.ts';
import type { Rng } from '../rng.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import type { MdiParams, MdiSecurity } from '../keyrate/mdi-finite.ts';
import type { MdiRelayFrame, MdiSourceFrame } from '../physics/sampler-mdi.ts';
import type { ClassicalChannel } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { announceMdiRelay, siftMdiSource } from './sifting-mdi.ts';
import { estimateMdiBeforeEc, estimateMdiFinal } from './estimation-mdi.ts';
import { dropSample, sampleQber, secureChannel, tailCorrecting, tailReference, tallyFlips } from './pipeline-core.ts';
import { binaryEntropy } from '../keyrate/entropy.ts';

export interface MdiPartyConfig {
  pulses: number;
  params: MdiParams;
  security?: MdiSecurity;
  cascadeVariant?: CascadeVariant;
  /** Authentication keys per channel: to the relay and to the peer source. */
  relayAuthKeys?: AuthKeySource;
  peerAuthKeys?: AuthKeySource;
  label: string;
  unauthenticated?: boolean;
  /** Size of the disclosed QBER sample of the Z window (default min(n/100, 4000)). */
  sampleBits?: number;
}

export interface MdiSourceConfig extends MdiPartyConfig { role: 'a' | 'b'; random?: Rng }

export interface MdiSessionStats {
  successes: number;
  siftedBits: number;
  qber: number;
  qberEstimate: number;
  sampleBits: number;
  testBits: number;
  disclosedBits: number;
  f: number;
  phaseErrorBound: number;
  secretBits: number;
}

export interface MdiPartyResult {
  key: BitString;
  reconciled: BitString;
  estimate: KeyRateResult;
  stats: MdiSessionStats;
  timings: Record<'sift' | 'estimate' | 'cascade' | 'verify' | 'pa', number>;
}

const h2 = binaryEntropy;

const wrap = (ch: ClassicalChannel, keys: AuthKeySource | undefined, cfg: MdiPartyConfig, role: 'initiator' | 'responder', label: string): ClassicalChannel =>
  secureChannel(ch, keys, { role, label, unauthenticated: cfg.unauthenticated }).ch;

/** The relay's half: announce the successful BSMs to both sources (relay is the initiator of both channels). */
export async function runMdiRelay(toA: ClassicalChannel, toB: ClassicalChannel, frames: readonly MdiRelayFrame[], keys: { a?: AuthKeySource; b?: AuthKeySource; label: string; unauthenticated?: boolean }): Promise<number> {
  const cfg = { unauthenticated: keys.unauthenticated } as MdiPartyConfig;
  return announceMdiRelay(wrap(toA, keys.a, cfg, 'initiator', `${keys.label}/relay-a`), wrap(toB, keys.b, cfg, 'initiator', `${keys.label}/relay-b`), frames);
}

export async function runMdiSource(relay: ClassicalChannel, peer: ClassicalChannel, frames: readonly MdiSourceFrame[], cfg: MdiSourceConfig): Promise<MdiPartyResult> {
  const t = { v: performance.now() };
  const lap = () => { const now = performance.now(), d = now - t.v; t.v = now; return d; };
  const rch = wrap(relay, cfg.relayAuthKeys, cfg, 'responder', `${cfg.label}/relay-${cfg.role}`);
  const pch = wrap(peer, cfg.peerAuthKeys, cfg, cfg.role === 'a' ? 'initiator' : 'responder', `${cfg.label}/a-b`);
  try {
    const sift = await siftMdiSource(rch, pch, frames, cfg.role, cfg.pulses);
    const n = sift.key.length;
    // systematic QBER sample of the Z window (its bits are public: counted as leak)
    const { count, errors, offset, stride } = await sampleQber(pch, sift.key, { type: 'mdi', who: 'runMdiSource', role: cfg.role, random: cfg.random, sampleBits: cfg.sampleBits });
    const key = dropSample(sift.key, offset, stride, count);
    const siftMs = lap();
    const est = { params: cfg.params, security: cfg.security };
    const qberEstimate = count > 0 ? errors / count : 0.05;
    estimateMdiBeforeEc(sift.counts, est);
    const estimateMs = lap();
    // Z-window errors: those Cascade corrected in the kept bits plus those of the sample
    const finalEstimate = (leak: number, errs: number[]) => estimateMdiFinal(sift.counts, est, leak, errs[0] + errors);
    const epsCor = cfg.security?.epsCor ?? 1e-15;
    const tail = cfg.role === 'a'
      ? await tailReference(pch, key, cfg.random!, { variant: cfg.cascadeVariant ?? 'yanetal', qberEstimate, epsCor, finalEstimate, extraLeak: count })
      : await tailCorrecting(pch, key, { epsCor, finalEstimate, extraLeak: count, tallyErrors: (raw, fixed) => tallyFlips(raw, fixed, null, 1) });
    const q = n > 0 ? (tail.errors[0] + errors) / n : 0;
    return {
      key: tail.key, reconciled: tail.reconciled, estimate: tail.final,
      timings: { sift: siftMs, estimate: estimateMs, ...tail.timings },
      stats: {
        successes: sift.successes, siftedBits: n, qber: q, qberEstimate, sampleBits: count, testBits: sift.disclosedTestBits,
        disclosedBits: tail.disclosedBits, f: q > 0 ? tail.disclosedBits / (key.length * h2(q)) : Infinity,
        phaseErrorBound: tail.final.phaseErrorBound, secretBits: tail.final.secretBits,
      },
    };
  } catch (e) {
    relay.close?.(e instanceof Error ? e.message : String(e));
    peer.close?.(e instanceof Error ? e.message : String(e));
    throw e;
  }
}
