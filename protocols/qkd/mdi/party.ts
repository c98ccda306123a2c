// MDI roles: source-a / source-b (the two ends: key; a is the EC/PA reference) and relay (a D
// node, or the two D nodes of a joint BSM: announce the Bell-state results only).
import { authenticatedChannel, authKeyBitsFor } from '../../postprocessing/authenticated-channel.ts';
import { expectMessage, ProtocolError, type PpMessage } from '../../postprocessing/channel.ts';
import { runMdiRelay, runMdiSource, type MdiPartyResult } from '../../postprocessing/pipeline-mdi.ts';
import type { MdiRelayFrame, MdiSourceFrame } from '../../physics/sampler-mdi.ts';
import { combineJointBsm, type DetectorNodeFrame } from '../../physics/sampler-joint-bsm.ts';
import { AUTH_BUDGET_BITS, depositKey, toFrames, type PartyIo, type PartyStart, type Staged } from '../party.ts';
import { mdiSourceParams } from './params.ts';

/** MDI relay (D node): announce the successful BSMs to both sources over authenticated channels
 *  (the relay is untrusted for secrecy; authentication only stops a third party injecting results). */
export async function runMdiRelayParty(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const [a, b] = start.ends;
  const relayFrames = toFrames<MdiRelayFrame>(frames);
  const budget = authKeyBitsFor(relayFrames.length + 8);
  const ra = io.channelTo(a), rb = io.channelTo(b);
  const ka = await io.authKeys(ra, a, budget, true);
  const kb = await io.authKeys(rb, b, budget, true);
  const ca = authenticatedChannel(ra, ka, { role: 'initiator', label: `${start.sessionId}/relay-a` });
  const cb = authenticatedChannel(rb, kb, { role: 'initiator', label: `${start.sessionId}/relay-b` });
  const t0 = performance.now();
  const n = await runMdiRelay(ca, cb, relayFrames, { label: start.sessionId, unauthenticated: true });
  return {
    blockId: '', bits: 0,
    stats: { detections: n, siftedBits: 0, qber: 0, secretBits: 0, disclosedBits: 0, f: null, authKeyBits: ca.keyBitsUsed + cb.keyBitsUsed },
    timings: { announce: performance.now() - t0 },
  };
}

/** MDI source A (reference side of EC/PA) or B (correcting side). */
export async function runMdiSourceParty(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const [a, b] = start.ends;
  const role = start.node === a ? 'a' : 'b';
  // The relay that announces: the single D node, or the second D node of a joint BSM.
  const relay = start.helpers[start.helpers.length - 1];
  if (!relay) throw new Error('MDI session without a relay');
  const rr = io.channelTo(relay), rp = io.channelTo(role === 'a' ? b : a);
  const kr = await io.authKeys(rr, relay, 0, false);
  const kp = await io.authKeys(rp, start.peer, AUTH_BUDGET_BITS, role === 'a');
  const confirmKey = await kp.take(256);
  const cr = authenticatedChannel(rr, kr, { role: 'responder', label: `${start.sessionId}/relay-${role}` });
  const cp = authenticatedChannel(rp, kp, { role: role === 'a' ? 'initiator' : 'responder', label: `${start.sessionId}/a-b` });
  const t0 = performance.now();
  const r: MdiPartyResult = await runMdiSource(cr, cp, toFrames<MdiSourceFrame>(frames), {
    pulses: start.pulses, params: mdiSourceParams(start.params), label: start.sessionId, unauthenticated: true, role, ...(role === 'a' ? { random: io.random } : {}),
  });
  const s = r.stats;
  return depositKey(start, io, cp, confirmKey, t0, r, { protocol: 'mdi', relay }, {
    detections: s.successes, siftedBits: s.siftedBits, qber: s.qber, secretBits: s.secretBits, disclosedBits: s.disclosedBits,
    f: Number.isFinite(s.f) ? s.f : null, testBits: s.testBits, sampleBits: s.sampleBits, phaseErrorBound: s.phaseErrorBound, authKeyBits: cp.keyBitsUsed + cr.keyBitsUsed,
  });
}

/** Joint BSM (two D nodes behind the server's beam splitter): the first D node sends its own
 *  click records (early/late bins of the successful slots) to the second, which combines both
 *  into Bell-state results (combineJointBsm: different ports -> psi-, one port both bins -> psi+)
 *  and announces them to the sources like a single relay. */
export async function runJointBsmParty(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const [first, announcer] = start.helpers as [string, string];
  const mine = toFrames<DetectorNodeFrame>(frames);
  if (start.node === first) {
    const raw = io.channelTo(announcer);
    const budget = authKeyBitsFor(mine.length + 8);
    const k = await io.authKeys(raw, announcer, budget, true);
    const ch = authenticatedChannel(raw, k, { role: 'initiator', label: `${start.sessionId}/jbsm` });
    for (const f of mine) await ch.send({ type: 'jbsm.port', firstSlot: f.firstSlot, deltas: f.deltas, bins: f.bins });
    await ch.send({ type: 'jbsm.end', frames: mine.length });
    await expectMessage(ch, 'jbsm.done');
    return { blockId: '', bits: 0, stats: { detections: mine.reduce((n, f) => n + f.deltas.length, 0), siftedBits: 0, qber: 0, secretBits: 0, disclosedBits: 0, f: null }, timings: {} };
  }
  const raw = io.channelTo(first);
  const k = await io.authKeys(raw, first, 0, false);
  const ch = authenticatedChannel(raw, k, { role: 'responder', label: `${start.sessionId}/jbsm` });
  const theirs: DetectorNodeFrame[] = [];
  for (;;) {
    const m = await ch.receive();
    if (m.type === 'jbsm.end') break;
    if (m.type !== 'jbsm.port' || !(m.deltas instanceof Uint32Array) || !(m.bins instanceof Uint8Array) || typeof m.firstSlot !== 'number') throw new ProtocolError('jbsm.port: bad click record');
    theirs.push({ firstSlot: m.firstSlot, deltas: m.deltas, bins: m.bins });
  }
  await ch.send({ type: 'jbsm.done' });
  const combined = combineJointBsm(theirs, mine);
  return runMdiRelayParty(start, [{ type: 'fabric.frame', firstSlot: combined.firstSlot, deltas: combined.deltas, bell: combined.bell }], io);
}

/** A participant's half of an MDI session (single relay or joint BSM). */
export function runMdiParty(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  if (start.role !== 'relay') return runMdiSourceParty(start, frames, io);
  return start.protocol === 'mdi-joint' ? runJointBsmParty(start, frames, io) : runMdiRelayParty(start, frames, io);
}
