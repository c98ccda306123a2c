// What each role of each protocol does once its local view has arrived: the party's half of the
// post-processing pipeline (protocols/postprocessing/pipeline-*.ts) over the session channel,
// authenticated with Wegman–Carter keys from the pair's `psk` pool, then key confirmation and
// staging of the final key in the node's `secret` pool. The node process supplies the I/O
// (PartyIo: the NATS channel, the psk exchange, the pool); this file holds no transport.
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
import { bb84SourceParams } from '../server/fabric.ts';
import type { Staged } from './party-machine.ts';
import type { SessionStart } from './session.messages.ts';

/** Authentication key bits one session may spend (about 2000 messages each way). */
export const AUTH_BUDGET_BITS = authKeyBitsFor(2000);

export interface PartyIo {
  /** Raw (unauthenticated) channel to the peer key holder. */
  channel: ClassicalChannel;
  /** Agree with the peer on `bits` fresh psk bits (initiator withdraws, responder takes by reference). */
  authKeys(bits: number, initiator: boolean): Promise<AuthKeySource>;
  /** Stage the final key in this node's `secret` pool with the peer. */
  stage(block: { id: string; bytes: Uint8Array; length: number; meta: Record<string, unknown> }): Promise<void>;
  random: Rng;
}

export class NoKeyError extends Error {
  constructor(message: string) { super(message); this.name = 'NoKeyError'; }
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

/** BB84 source (Alice) or detector (Bob): pipeline half, stage, confirm. */
export async function runBb84Party(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  const initiator = start.role === 'source';
  const keys = await io.authKeys(AUTH_BUDGET_BITS, initiator);
  // The confirmation MAC key comes first, before the channel draws its own keys (same order both sides).
  const confirmKey = await keys.take(256);
  const ch = authenticatedChannel(io.channel, keys, { role: initiator ? 'initiator' : 'responder', label: start.sessionId });
  const common = { pulses: start.pulses, source: bb84SourceParams(start.params), authKeys: keys, label: start.sessionId, unauthenticated: true };
  const t0 = performance.now();
  const r: Bb84PartyResult = initiator
    ? await runBb84Source(ch, toFrames<Bb84SourceFrame>(frames), { ...common, random: io.random })
    : await runBb84Detector(ch, toFrames<Bb84DetectorFrame>(frames), common);
  if (r.key.length === 0) throw new NoKeyError(`no secret key: l_sec = 0 (l_sift ${r.stats.siftedBits}, QBER ${r.stats.qber.toFixed(4)})`);
  const blockId = start.sessionId;
  const t1 = performance.now();
  await io.stage({ id: blockId, bytes: toBytes(r.key), length: r.key.length, meta: { protocol: 'bb84', qber: r.stats.qber, eps: 1e-10, peer: start.peer } });
  await confirm(ch, confirmKey, blockId, r.key);
  const t2 = performance.now();
  const s = r.stats;
  return {
    blockId,
    bits: r.key.length,
    stats: {
      detections: s.detections, siftedBits: s.siftedBits, qber: s.qber, secretBits: s.secretBits, disclosedBits: s.disclosedBits,
      f: Number.isFinite(s.f) ? s.f : null, testBits: s.testBits, phaseErrorBound: s.phaseErrorBound, authKeyBits: ch.keyBitsUsed, cascadeRounds: s.cascadeRounds,
    },
    timings: { ...r.timings, pipeline: t1 - t0, stageConfirm: t2 - t1 },
  };
}

export async function runParty(start: SessionStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  if (start.protocol === 'bb84') return runBb84Party(start, frames, io);
  throw new Error(`${start.protocol} sessions are not implemented on the nodes yet`);
}
