// BB84 roles: the source (C or E transmitter) and the detector (D node); both hold the key,
// the detector corrects its key to the source's.
import { authenticatedChannel } from '../../postprocessing/authenticated-channel.ts';
import type { PpMessage } from '../../postprocessing/channel.ts';
import { runBb84Detector, runBb84Source, type Bb84PartyResult } from '../../postprocessing/pipeline-bb84.ts';
import type { Bb84DetectorFrame, Bb84SourceFrame } from '../../physics/sampler-bb84.ts';
import { AUTH_BUDGET_BITS, depositKey, toFrames, type PartyIo, type PartyStart, type Staged } from '../party.ts';
import { bb84SourceParams } from './params.ts';

/** BB84 source (Alice) or detector (Bob): pipeline half, stage, confirm. */
export async function runBb84Party(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const initiator = start.role === 'source';
  const raw = io.channelTo(start.peer);
  const keys = await io.authKeys(raw, start.peer, AUTH_BUDGET_BITS, initiator);
  // The confirmation MAC key comes first, before the channel draws its own keys (same order both sides).
  const confirmKey = await keys.take(256);
  const ch = authenticatedChannel(raw, keys, { role: initiator ? 'initiator' : 'responder', label: start.sessionId });
  const common = { pulses: start.pulses, source: bb84SourceParams(start.params), authKeys: keys, label: start.sessionId, unauthenticated: true };
  const t0 = performance.now();
  const r: Bb84PartyResult = initiator
    ? await runBb84Source(ch, toFrames<Bb84SourceFrame>(frames), { ...common, random: io.random })
    : await runBb84Detector(ch, toFrames<Bb84DetectorFrame>(frames), common);
  const s = r.stats;
  return depositKey(start, io, ch, confirmKey, t0, r, { protocol: 'bb84' }, {
    detections: s.detections, siftedBits: s.siftedBits, qber: s.qber, secretBits: s.secretBits, disclosedBits: s.disclosedBits,
    f: Number.isFinite(s.f) ? s.f : null, testBits: s.testBits, phaseErrorBound: s.phaseErrorBound, authKeyBits: ch.keyBitsUsed, cascadeRounds: s.cascadeRounds,
  });
}

