// The whole session in one process (tests, benchmarks, the CLI): the fabric samples the run,
// hands each party its own view, and the halves run against each other over in-memory channel
// pairs. Across processes the session actors do exactly the same with the halves themselves:
//   fabric (server):  sampleBb84Frames / sampleMdiFrames / sampleJointBsmFrames (+ combineJointBsm)
//                     / sampleBbm92Frames, routing frame.source|detector|a|b|relay|ports[i] to its owner
//   BB84:  runBb84Source(ch, sourceFrames, cfg)   runBb84Detector(ch, detectorFrames, cfg)
//   MDI:   runMdiRelay(toA, toB, relayFrames, keys)   runMdiSource(relayCh, peerCh, frames, { role })
// each on its own end of a NATS-backed ClassicalChannel; a half that cannot produce a key throws
// SessionAbort (stage, reason) and closes its channel, so the peer fails too.
import { type BitString, equals } from '../bits.ts';
import { createRng } from '../rng.ts';
import type { Bb84Link } from '../physics/bb84-model.ts';
import type { Bb84Eavesdropper } from '../physics/eavesdroppers.ts';
import { type Bb84DetectorFrame, type Bb84SourceFrame, sampleBb84Frames } from '../physics/sampler-bb84.ts';
import { memoryChannelPair, tapChannel, type PpMessage } from './channel.ts';
import { preSharedKeySource, type AuthKeySource } from './key-source.ts';
import { randomBits } from '../bits.ts';
import type { MdiLink } from '../physics/mdi-model.ts';
import type { JointBsmConfig } from '../physics/joint-bsm.ts';
import type { MdiParams, MdiSecurity } from '../keyrate/mdi-finite.ts';
import { type MdiRelayFrame, type MdiSourceFrame, sampleMdiFrames } from '../physics/sampler-mdi.ts';
import { combineJointBsm, type DetectorNodeFrame, sampleJointBsmFrames } from '../physics/sampler-joint-bsm.ts';
import type { CascadeVariant } from './cascade-variants.ts';
import { type MdiPartyResult, runMdiRelay, runMdiSource } from './pipeline-mdi.ts';
import { type Bb84PartyConfig, type Bb84PartyResult, type Bb84SessionStats, runBb84Detector, runBb84Source, type Stage, STAGES } from './pipeline-bb84.ts';

export interface Bb84SessionConfig extends Omit<Bb84PartyConfig, 'authKeys' | 'label'> {
  link: Bb84Link;
  seed: number | string;
  eavesdropper?: Bb84Eavesdropper;
  /** Shared authentication key source per party (default: a fresh pre-shared key from the seed). */
  authKeys?: [AuthKeySource, AuthKeySource];
  label?: string;
  maxFrameEvents?: number;
  /** Observe every message on Alice's end, below authentication (tests and tracing). */
  tap?: (dir: 'sent' | 'received', msg: PpMessage) => void;
}

export interface Bb84SessionResult {
  ok: true;
  alice: Bb84PartyResult;
  bob: Bb84PartyResult;
  keysEqual: boolean;
  stats: Bb84SessionStats;
  /** Wall milliseconds per stage (sampling, then each protocol stage as both parties ran it). */
  wallMs: Record<'sample' | Stage | 'total', number>;
  /** Process CPU milliseconds per stage (both parties together; PA includes its worker threads). */
  cpuMs: Record<'sample' | Stage | 'total', number>;
}

export interface Bb84SessionAbort { ok: false; stage: string; reason: string; wallMs: Record<string, number> }

/** Pre-shared authentication keys for both ends (identical copies). */
export function presharedPair(seed: number | string, bits = 1 << 22): [AuthKeySource, AuthKeySource] {
  const r = createRng(`psk-${seed}`);
  const key: BitString = randomBits(bits, () => r.nextUint32());
  return [preSharedKeySource(key), preSharedKeySource({ length: key.length, words: key.words.slice() })];
}

/** Sample the run and post-process it end to end; resolves with both keys or the abort reason. */
export async function runBb84Session(cfg: Bb84SessionConfig): Promise<Bb84SessionResult | Bb84SessionAbort> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const src: Bb84SourceFrame[] = [], det: Bb84DetectorFrame[] = [];
  for (const f of sampleBb84Frames({ pulses: cfg.pulses, source: cfg.source, link: cfg.link, eavesdropper: cfg.eavesdropper, seed: cfg.seed, maxFrameEvents: cfg.maxFrameEvents })) {
    src.push(f.source); det.push(f.detector);
  }
  const tSample = performance.now() - t0;
  const cSample = process.cpuUsage(c0);
  const [ca, cb] = memoryChannelPair({ copy: false });
  const [ka, kb] = cfg.authKeys ?? presharedPair(cfg.seed);
  const label = cfg.label ?? `bb84-${String(cfg.seed)}`;
  const common = { ...cfg, label };
  const t1 = performance.now();
  const [ra, rb] = await Promise.allSettled([
    runBb84Source(cfg.tap ? tapChannel(ca, cfg.tap) : ca, src, { ...common, authKeys: ka, random: createRng(`alice-qrng-${String(cfg.seed)}`) }),
    runBb84Detector(cb, det, { ...common, authKeys: kb }),
  ]);
  const total = performance.now() - t0;
  if (ra.status === 'rejected' || rb.status === 'rejected') {
    const e = (ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason) as Error & { stage?: string };
    return { ok: false, stage: e.stage ?? 'protocol', reason: e.message, wallMs: { sample: tSample, total } };
  }
  const alice = ra.value, bob = rb.value;
  const wallMs = { sample: tSample, total } as Record<'sample' | Stage | 'total', number>;
  // both halves interleave on one event loop: a stage's wall time is the longer of the two clocks
  for (const s of STAGES) wallMs[s] = Math.max(alice.timings[s], bob.timings[s]);
  const cTotal = process.cpuUsage(c0);
  const cpuMs = { sample: (cSample.user + cSample.system) / 1000, total: (cTotal.user + cTotal.system) / 1000 } as Bb84SessionResult['cpuMs'];
  for (const s of STAGES) cpuMs[s] = alice.cpuTimings[s];
  void t1;
  return { ok: true, alice, bob, keysEqual: equals(alice.key, bob.key), stats: bob.stats, wallMs, cpuMs };
}

export interface MdiSessionConfig {
  pulses: number;
  params: MdiParams;
  /** Single-relay link, or the joint-BSM geometry (the server combines the two D nodes' clicks). */
  link?: MdiLink;
  jointBsm?: JointBsmConfig;
  seed: number | string;
  security?: MdiSecurity;
  cascadeVariant?: CascadeVariant;
  unauthenticated?: boolean;
  sampleBits?: number;
  /** Observe every message on A's end of the A-B channel, below authentication (tests). */
  tap?: (dir: 'sent' | 'received', msg: PpMessage) => void;
}

export interface MdiSessionResult {
  ok: true;
  a: MdiPartyResult;
  b: MdiPartyResult;
  keysEqual: boolean;
  successes: number;
  wallMs: Record<'sample' | 'sift' | 'estimate' | 'cascade' | 'verify' | 'pa' | 'total', number>;
}

/** Sample an MDI run (single relay or joint BSM) and post-process it with three parties in memory. */
export async function runMdiSession(cfg: MdiSessionConfig): Promise<MdiSessionResult | Bb84SessionAbort> {
  const t0 = performance.now();
  const a: MdiSourceFrame[] = [], b: MdiSourceFrame[] = [];
  let relay: MdiRelayFrame[] = [];
  if (cfg.jointBsm) {
    const p0: DetectorNodeFrame[] = [], p1: DetectorNodeFrame[] = [];
    for (const f of sampleJointBsmFrames({ pulses: cfg.pulses, params: cfg.params, bsm: cfg.jointBsm, seed: cfg.seed })) { a.push(f.a); b.push(f.b); p0.push(f.ports[0]); p1.push(f.ports[1]); }
    relay = [combineJointBsm(p0, p1)];
  } else {
    if (!cfg.link) throw new RangeError('runMdiSession: give link or jointBsm');
    for (const f of sampleMdiFrames({ pulses: cfg.pulses, params: cfg.params, link: cfg.link, seed: cfg.seed })) { a.push(f.a); b.push(f.b); relay.push(f.relay); }
  }
  const sample = performance.now() - t0;
  const [ra, ar] = memoryChannelPair({ copy: false }), [rb, br] = memoryChannelPair({ copy: false }), [ab, ba] = memoryChannelPair({ copy: false });
  const [kra, kar] = presharedPair(`${String(cfg.seed)}-ra`), [krb, kbr] = presharedPair(`${String(cfg.seed)}-rb`), [kab, kba] = presharedPair(`${String(cfg.seed)}-ab`);
  const label = `mdi-${String(cfg.seed)}`;
  const common = { pulses: cfg.pulses, params: cfg.params, security: cfg.security, cascadeVariant: cfg.cascadeVariant, label, unauthenticated: cfg.unauthenticated, sampleBits: cfg.sampleBits };
  const [rr, resA, resB] = await Promise.allSettled([
    runMdiRelay(ra, rb, relay, { a: kra, b: krb, label, unauthenticated: cfg.unauthenticated }),
    runMdiSource(ar, cfg.tap ? tapChannel(ab, cfg.tap) : ab, a, { ...common, role: 'a', relayAuthKeys: kar, peerAuthKeys: kab, random: createRng(`a-qrng-${String(cfg.seed)}`) }),
    runMdiSource(br, ba, b, { ...common, role: 'b', relayAuthKeys: kbr, peerAuthKeys: kba }),
  ]);
  const total = performance.now() - t0;
  for (const r of [resA, resB, rr]) {
    if (r.status === 'rejected') {
      const e = r.reason as Error & { stage?: string };
      return { ok: false, stage: e.stage ?? 'protocol', reason: e.message, wallMs: { sample, total } };
    }
  }
  const A = (resA as PromiseFulfilledResult<MdiPartyResult>).value, B = (resB as PromiseFulfilledResult<MdiPartyResult>).value;
  const wallMs = { sample, total } as MdiSessionResult['wallMs'];
  for (const s of ['sift', 'estimate', 'cascade', 'verify', 'pa'] as const) wallMs[s] = Math.max(A.timings[s], B.timings[s]);
  return { ok: true, a: A, b: B, keysEqual: equals(A.key, B.key), successes: (rr as PromiseFulfilledResult<number>).value, wallMs };
}
