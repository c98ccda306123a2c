// BBM92 roles: source-a / source-b (the two D nodes: key; a is the EC/PA reference) and relay
// (the E node: the untrusted pair source, which post-processes nothing).
import { authenticatedChannel } from '../../postprocessing/authenticated-channel.ts';
import type { PpMessage } from '../../postprocessing/channel.ts';
import { runBbm92Detector, type Bbm92PartyResult } from '../../postprocessing/pipeline-bbm92.ts';
import type { Bbm92Frame } from '../../postprocessing/sifting-bbm92.ts';
import { AUTH_BUDGET_BITS, depositKey, toFrames, type PartyIo, type PartyStart, type Staged } from '../party.ts';

/** BBM92 D node a (reference side of EC/PA) or b (correcting side): the two D nodes sift, estimate
 *  and distil over their own authenticated channel; the E source is not on it. */
export async function runBbm92Party(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const [a] = start.ends;
  const role = start.node === a ? 'a' : 'b';
  const initiator = role === 'a';
  const source = start.helpers[0] ?? '';
  const raw = io.channelTo(start.peer);
  const keys = await io.authKeys(raw, start.peer, AUTH_BUDGET_BITS, initiator);
  const confirmKey = await keys.take(256);
  const ch = authenticatedChannel(raw, keys, { role: initiator ? 'initiator' : 'responder', label: start.sessionId });
  const t0 = performance.now();
  const r: Bbm92PartyResult = await runBbm92Detector(ch, toFrames<Bbm92Frame>(frames), {
    pulses: start.pulses, params: start.params, role, label: start.sessionId, unauthenticated: true, ...(initiator ? { random: io.random } : {}),
  });
  const s = r.stats;
  return depositKey(start, io, ch, confirmKey, t0, r, { protocol: 'bbm92', source }, {
    detections: s.coincidences, siftedBits: s.siftedBits, qber: s.qber, secretBits: s.secretBits, disclosedBits: s.disclosedBits + s.sampleBits,
    f: Number.isFinite(s.f) ? s.f : null, testBits: s.testBits, phaseErrorBound: s.phaseErrorBound, authKeyBits: ch.keyBitsUsed, cascadeRounds: s.cascadeRounds,
  });
}

/** BBM92 E node: the untrusted entangled-pair source. Security does not rest on it (Ma, Fung, Lo
 *  2007: the source may be Eve's), so it holds no key, opens no channel and post-processes nothing;
 *  its part ended when the fabric's run did (its view is the end marker). */
export async function runBbm92SourceParty(_start: PartyStart, frames: PpMessage[]): Promise<Staged> {
  return { blockId: '', bits: 0, stats: { detections: toFrames<Bbm92Frame>(frames).length, siftedBits: 0, qber: 0, secretBits: 0, disclosedBits: 0, f: null }, timings: {} };
}

/** A participant's half of a BBM92 session. */
export function runBbm92Role(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  return start.role === 'relay' ? runBbm92SourceParty(start, frames) : runBbm92Party(start, frames, io);
}
