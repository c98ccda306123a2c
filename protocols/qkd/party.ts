// The common part of every protocol's party half (protocols/qkd/<name>/party.ts): the injected
// I/O, key confirmation and staging. Each role does its half of the post-processing pipeline
// (protocols/postprocessing/pipeline-*.ts) over the session channel, authenticated with
// Wegman–Carter keys from the pair's `psk` pool, then confirms and stages the session's key in
// the node's pool of the session's key kind: the final (privacy-amplified) key in `secret`, or,
// for keyKind 'imperfect', the reconciled and verified key before PA in `imperfect` (the QDS
// imperfect-key variant, Li et al. PRApplied 20, 044011 (2023)). Only one of the two is ever
// staged: the secret key is a hash of the imperfect one, so the same raw bits must not feed both
// pools. The node process supplies the I/O (PartyIo: the NATS channel, the psk exchange, the
// pool); nothing here holds a transport.
//
// Key confirmation (after staging, before the coordinator's commit): each side sends
// HMAC-SHA256(c, blockId | length | key) with c = 256 fresh bits of the authentication key, over
// the authenticated channel, and checks the peer's. The keys are already equal except with
// probability eps_cor (verification before PA); this binds the staged block id and length on both
// sides, and the MAC under a secret one-time key reveals nothing about the key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type BitString, toBytes } from '../bits.ts';
import type { Rng } from '../rng.ts';
import { authKeyBitsFor } from '../postprocessing/authenticated-channel.ts';
import { type ClassicalChannel, expectMessage, ProtocolError, type PpMessage } from '../postprocessing/channel.ts';
import type { AuthKeySource } from '../postprocessing/key-source.ts';

/** What a participant needs to play its role (actors/sessions/session.messages.ts sessionStartSchema). */
export interface PartyStart {
  sessionId: string;
  protocol: string;
  keyKind?: 'secret' | 'imperfect';
  node: string;
  role: string;
  peer: string;
  helpers: string[];
  ends: [string, string];
  pulses: number;
  params: Record<string, number>;
}

/** A party's statistics (session.messages.ts partyStatsSchema validates them on the bus). */
export interface PartyStats {
  detections: number; siftedBits: number; qber: number; secretBits: number; disclosedBits: number; f: number | null;
  testBits?: number; sampleBits?: number; phaseErrorBound?: number; authKeyBits?: number; cascadeRounds?: number;
}

/** What a party reports once its key is staged (relays: blockId '' and 0 bits). */
export interface Staged { blockId: string; bits: number; stats: PartyStats; timings: Record<string, number> }

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
function depositOf(start: PartyStart, r: { key: BitString; reconciled: BitString }): BitString {
  return (start.keyKind ?? 'secret') === 'imperfect' ? r.reconciled : r.key;
}

export const toFrames = <T>(msgs: PpMessage[]): T[] => msgs.filter((m) => m.type === 'fabric.frame') as unknown as T[];

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
export async function depositKey(
  start: PartyStart, io: PartyIo, ch: ClassicalChannel, confirmKey: BitString, t0: number,
  r: { key: BitString; reconciled: BitString; stats: { siftedBits: number; qber: number; secretBits: number }; timings: Record<string, number> },
  meta: Record<string, unknown>, stats: PartyStats,
): Promise<Staged> {
  if (r.key.length === 0) throw new NoKeyError(`no secret key: l_sec = 0 (l_sift ${r.stats.siftedBits}, QBER ${r.stats.qber.toFixed(4)})`);
  const key = depositOf(start, r);
  const blockId = start.sessionId;
  const t1 = performance.now();
  await io.stage({ id: blockId, bytes: toBytes(key), length: key.length, meta: { ...meta, keyKind: start.keyKind ?? 'secret', qber: r.stats.qber, eps: 1e-10, peer: start.peer, lSec: r.stats.secretBits } });
  await confirm(ch, confirmKey, blockId, key);
  return { blockId, bits: key.length, stats, timings: { ...r.timings, pipeline: t1 - t0, stageConfirm: performance.now() - t1 } };
}

