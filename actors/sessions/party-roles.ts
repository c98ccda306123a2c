// What each role of each protocol does once its local view has arrived: the party's half of the
// post-processing pipeline (protocols/postprocessing/pipeline-*.ts) over the session channel,
// authenticated with Wegman–Carter keys from the pair's `psk` pool, then key confirmation and
// staging of the session's key in the node's pool of the session's key kind: the final
// (privacy-amplified) key in `secret`, or, for keyKind 'imperfect', the reconciled and verified key
// before PA in `imperfect` (the QDS imperfect-key variant, Li et al. PRApplied 20, 044011 (2023)).
// Only one of the two is ever staged: the secret key is a hash of the imperfect one, so the same
// raw bits must not feed both pools. The node process supplies the I/O
// (PartyIo: the NATS channel, the psk exchange, the pool); this file holds no transport.
//
// Roles: BB84 source / detector (both hold the key); MDI source-a / source-b (key) and relay (a D
// node, or the two D nodes of a joint BSM: announce only); BBM92 source-a / source-b (the two D
// nodes: key, a is the EC/PA reference) and relay (the E node: the untrusted pair source, which
// post-processes nothing).
//
// Key confirmation (after staging, before the coordinator's commit): each side sends
// HMAC-SHA256(c, blockId | length | key) with c = 256 fresh bits of the authentication key, over
// the authenticated channel, and checks the peer's. The keys are already equal except with
// probability eps_cor (verification before PA); this binds the staged block id and length on both
// sides, and the MAC under a secret one-time key reveals nothing about the key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type BitString, toBytes } from '../../protocols/bits.ts';
import type { Rng } from '../../protocols/rng.ts';
import { authenticatedChannel, authKeyBitsFor } from '../../protocols/postprocessing/authenticated-channel.ts';
import { type ClassicalChannel, expectMessage, ProtocolError, type PpMessage } from '../../protocols/postprocessing/channel.ts';
import type { AuthKeySource } from '../../protocols/postprocessing/key-source.ts';
import { runBb84Detector, runBb84Source, type Bb84PartyResult } from '../../protocols/postprocessing/pipeline-bb84.ts';
import type { Bb84DetectorFrame, Bb84SourceFrame } from '../../protocols/physics/sampler-bb84.ts';
import { runMdiRelay, runMdiSource, type MdiPartyResult } from '../../protocols/postprocessing/pipeline-mdi.ts';
import type { MdiRelayFrame, MdiSourceFrame } from '../../protocols/physics/sampler-mdi.ts';
import { combineJointBsm, type DetectorNodeFrame } from '../../protocols/physics/sampler-joint-bsm.ts';
import { runBbm92Detector, type Bbm92PartyResult } from '../../protocols/postprocessing/pipeline-bbm92.ts';
import type { Bbm92Frame } from '../../protocols/postprocessing/sifting-bbm92.ts';
import { bb84SourceParams, mdiSourceParams } from '../server/fabric.ts';
import type { Staged } from './party-machine.ts';
import type { SessionStart } from './session.messages.ts';

/** Authentication key bits one session may spend (about 2000 messages each way). */
export const AUTH_BUDGET_BITS = authKeyBitsFor(2000);

export interface PartyIo {
  /** Raw (unauthenticated) channel to another participant of the session. */
  channelTo(node: string): ClassicalChannel;
  /** Agree with `peer` on fresh psk bits over `raw` (initiator withdraws `bits`, responder takes what the refs name). */
  authKeys(raw: ClassicalChannel, peer: string, bits: number, initiator: boolean): Promise<AuthKeySource>;
  /** Stage the session's key in this node's pool (of the session's keyKind) with the peer. */
  stage(block: { id: string; bytes: Uint8Array; length: number; meta: Record<string, unknown> }): Promise<void>;
  random: Rng;
}

export class NoKeyError extends Error {
  constructor(message: string) { super(message); this.name = 'NoKeyError'; }
}

/** The key this session deposits: the PA'd key, or the reconciled, verified one for 'imperfect'.
 *  Both require a positive l_sec (estimation passed), so an imperfect key is never staged from a
 *  run whose phase-error bound leaves Eve's information unbounded. */
function depositOf(start: SessionStart, r: { key: BitString; reconciled: BitString }): BitString {
  return (start.keyKind ?? 'secret') === 'imperfect' ? r.reconciled : r.key;
}

const toFrames = <T>(msgs: PpMessage[]): T[] => msgs.filter((m) => m.type === 'fabric.frame') as unknown as T[];

async function confirm(ch: ClassicalChannel, c: BitString, blockId: string, key: BitString): Promise<void> {
  const mac = createHmac('sha256', Buffer.from(toBytes(c))).update(`${blockId}|${key.length}|`).update(toBytes(key)).digest();
  await ch.send({ type: 'confirm', blockId, bits: key.length, mac: new Uint8Array(mac) });
  const peer = await expectMessage(ch, 'confirm');
  const theirs = peer.mac;
  if (peer.blockId !== blockId || peer.bits !== key.length || !(theirs instanceof Uint8Array) || theirs.length !== mac.length || !timingSafeEqual(Buffer.from(theirs), mac)) {
    throw new ProtocolError(`key confirmation failed for block ${blockId}`);
  }
}

/** The common end of every key holder's half: refuse an empty key, stage the session's deposit
 *  (secret or imperfect) under the session id, confirm it with the peer, and report. */
async function depositKey(
  start: SessionStart, io: PartyIo, ch: ClassicalChannel, confirmKey: BitString, t0: number,
  r: { key: BitString; reconciled: BitString; stats: { siftedBits: number; qber: number; secretBits: number }; timings: Record<string, number> },
  meta: Record<string, unknown>, stats: Staged['stats'],
): Promise<Staged> {
  if (r.key.length === 0) throw new NoKeyError(`no secret key: l_sec = 0 (l_sift ${r.stats.siftedBits}, QBER ${r.stats.qber.toFixed(4)})`);
  const key = depositOf(start, r);
  const blockId = start.sessionId;
  const t1 = performance.now();
  await io.stage({ id: blockId, bytes: toBytes(key), length: key.length, meta: { ...meta, keyKind: start.keyKind ?? 'secret', qber: r.stats.qber, eps: 1e-10, peer: start.peer, lSec: r.stats.secretBits } });
  await confirm(ch, confirmKey, blockId, key);
  return { blockId, bits: key.length, stats, timings: { ...r.timings, pipeline: t1 - t0, stageConfirm: performance.now() - t1 } };
}

/** BB84 source (Alice) or detector (Bob): pipeline half, stage, confirm. */
export async function runBb84Party(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
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

/** MDI relay (D node): announce the successful BSMs to both sources over authenticated channels
 *  (the relay is untrusted for secrecy; authentication only stops a third party injecting results). */
export async function runMdiRelayParty(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
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
export async function runMdiSourceParty(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
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
export async function runJointBsmParty(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
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

/** BBM92 D node a (reference side of EC/PA) or b (correcting side): the two D nodes sift, estimate
 *  and distil over their own authenticated channel; the E source is not on it. */
export async function runBbm92Party(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
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
export async function runBbm92SourceParty(_start: SessionStart, frames: PpMessage[]): Promise<Staged> {
  return { blockId: '', bits: 0, stats: { detections: toFrames<Bbm92Frame>(frames).length, siftedBits: 0, qber: 0, secretBits: 0, disclosedBits: 0, f: null }, timings: {} };
}

export async function runParty(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  if (start.protocol === 'bb84') return runBb84Party(start, frames, io);
  if (start.protocol === 'mdi' && start.role === 'relay') return runMdiRelayParty(start, frames, io);
  if (start.protocol === 'mdi-joint' && start.role === 'relay') return runJointBsmParty(start, frames, io);
  if (start.protocol === 'mdi' || start.protocol === 'mdi-joint') return runMdiSourceParty(start, frames, io);
  if (start.protocol === 'bbm92') return start.role === 'relay' ? runBbm92SourceParty(start, frames) : runBbm92Party(start, frames, io);
  throw new Error(`${start.protocol} sessions are not implemented on the nodes yet`);
}
