// A whole BBM92 session in one process (tests, benchmarks): the sampler draws the coincidences of
// the SPDC source (sampleBbm92Frames), each D node gets its own click records, and the two halves
// of pipeline-bbm92.ts run against each other over an in-memory channel pair. Across processes the
// session actors do the same with the fabric's deliveries (actors/server/fabric.ts).
import { equals } from '../bits.ts';
import { createRng } from '../rng.ts';
import type { SecurityParams } from '../keyrate/bb84-lim.ts';
import type { Bbm92Link } from '../keyrate/bbm92.ts';
import { sampleBbm92Frames } from '../physics/sampler-bbm92.ts';
import type { Bb84DetectorFrame } from '../physics/sampler-bb84.ts';
import { memoryChannelPair } from './channel.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { type Bbm92PartyResult, runBbm92Detector } from './pipeline-bbm92.ts';
import { presharedPair } from './pipeline-session.ts';

export interface Bbm92SessionConfig {
  pulses: number;
  lambda: number;
  qX?: number;
  link: Bbm92Link;
  seed: number | string;
  eps?: SecurityParams;
  cascadeVariant?: CascadeVariant;
  unauthenticated?: boolean;
  sampleBits?: number;
  /** Replace b's view before post-processing (attacks in tests: e.g. intercept-resend on b's arm). */
  tamper?: (b: Bb84DetectorFrame[]) => Bb84DetectorFrame[];
}

export type Bbm92SessionOutcome =
  | { ok: true; a: Bbm92PartyResult; b: Bbm92PartyResult; keysEqual: boolean; wallMs: { sample: number; total: number } }
  | { ok: false; stage: string; reason: string; wallMs: { sample: number; total: number } };

export async function runBbm92Session(cfg: Bbm92SessionConfig): Promise<Bbm92SessionOutcome> {
  const t0 = performance.now();
  const fa: Bb84DetectorFrame[] = [];
  let fb: Bb84DetectorFrame[] = [];
  for (const f of sampleBbm92Frames({ pulses: cfg.pulses, lambda: cfg.lambda, link: cfg.link, qX: cfg.qX, seed: cfg.seed })) { fa.push(f.a); fb.push(f.b); }
  if (cfg.tamper) fb = cfg.tamper(fb);
  const sample = performance.now() - t0;
  const [ca, cb] = memoryChannelPair({ copy: false });
  const [ka, kb] = presharedPair(`${String(cfg.seed)}-bbm92`);
  const label = `bbm92-${String(cfg.seed)}`;
  const params = { lambda: cfg.lambda, qX: cfg.qX ?? 0.5 };
  const common = { pulses: cfg.pulses, params, eps: cfg.eps, cascadeVariant: cfg.cascadeVariant, label, unauthenticated: cfg.unauthenticated, sampleBits: cfg.sampleBits };
  const [ra, rb] = await Promise.allSettled([
    runBbm92Detector(ca, fa, { ...common, role: 'a', authKeys: ka, random: createRng(`a-qrng-${String(cfg.seed)}`) }),
    runBbm92Detector(cb, fb, { ...common, role: 'b', authKeys: kb }),
  ]);
  const wallMs = { sample, total: performance.now() - t0 };
  if (ra.status === 'rejected' || rb.status === 'rejected') {
    const e = (ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason) as Error & { stage?: string };
    return { ok: false, stage: e.stage ?? 'protocol', reason: e.message, wallMs };
  }
  return { ok: true, a: ra.value, b: rb.value, keysEqual: equals(ra.value.key, rb.value.key), wallMs };
}
