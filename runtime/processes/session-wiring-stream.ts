// Ordered, reliable message streams over NATS for QKD sessions: the parties' ClassicalChannel on
// `session.<sid>.<node>` and the fabric's deliveries on `fabric.<sid>.<node>`.
//
// One Mailbox per (subject, receiving node) demultiplexes by sender: the bus identity in the subject
// (runtime/subjects.ts), never a payload field, so no node can inject frames into another's stream
// and the fabric's deliveries are taken from the server identity only. A message is msgpackr-encoded
// (moreTypes: typed arrays survive), cut into chunks of CHUNK_BYTES (well under NATS max_payload),
// and sent as `session.frame` {seq, part, parts, data}. The receiver checks that chunks arrive
// in sequence (NATS keeps one publisher's order on one subject; a gap means a lost frame and closes
// the stream). Every WINDOW_BYTES the sender asks the receiver for an ack on the same subject and
// keeps at most WINDOWS_IN_FLIGHT windows unacknowledged: a slow receiver slows the sender instead
// of being cut off by the server as a slow consumer, and the sender keeps publishing while the
// receiver works through the previous window (one ack round trip per window stalled both before). A `close` frame ends the peer's stream (abort propagation).
import { Packr, addExtension } from 'msgpackr';
import { wordsFor } from '../../protocols/bits.ts';
import { decodeDeltas, encodeDeltas, isFlagColumn, packCodes2, packFlags, unpackCodes2, unpackFlags } from '../../protocols/postprocessing/announce.ts';
import type { ActorHost } from '../host.ts';
import { subject } from '../subjects.ts';
import type { Subscription } from '../bus.ts';
import type { ClassicalChannel, PpMessage } from '../../protocols/postprocessing/channel.ts';
import { ChannelClosedError } from '../../protocols/postprocessing/channel.ts';
import type { StreamFrame } from '../../actors/sessions/session.messages.ts';
import '../../actors/sessions/session.messages.ts';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, bundleStrings: false, moreTypes: true });

/** A large Uint32Array whose values all fit 16 bits (the fabric's slot deltas: a few hundred at
 *  most), sent as 2 bytes a value and decoded back to the same Uint32Array: half the bytes to
 *  encode, carry through NATS and copy on the way. Private to this file's packr. */
class Narrow16 { constructor(readonly values: Uint16Array) {} }
addExtension({
  Class: Narrow16, type: 0x31,
  pack: (n: Narrow16) => new Uint8Array(n.values.buffer, n.values.byteOffset, n.values.byteLength),
  unpack: (b: Uint8Array) => {
    if (b.length % 2 !== 0) throw new Error('narrowed Uint32Array: odd byte length');
    const u16 = new Uint16Array(b.length / 2);
    new Uint8Array(u16.buffer).set(b);
    return new Uint32Array(u16);
  },
});
const NARROW_MIN = 4096;

/** A large Uint8Array of 0/1 values (bases, bits) sent as 1 bit a value (announce.ts packFlags:
 *  32 to a word, LSB first), decoded back to the same Uint8Array. Wire: u32 LE length, then the words. */
class Bits { constructor(readonly length: number, readonly words: Uint32Array) {} }
addExtension({
  Class: Bits, type: 0x32,
  pack: (b: Bits) => { const out = new Uint8Array(4 + b.words.byteLength); new DataView(out.buffer).setUint32(0, b.length, true); out.set(new Uint8Array(b.words.buffer, b.words.byteOffset, b.words.byteLength), 4); return out; },
  unpack: (b: Uint8Array) => {
    if (b.length < 4) throw new Error('bit-packed Uint8Array: no length');
    const n = new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);
    if (b.length - 4 !== wordsFor(n) * 4) throw new Error(`bit-packed Uint8Array: ${b.length - 4} bytes for ${n} values`);
    const words = new Uint32Array(wordsFor(n));
    new Uint8Array(words.buffer).set(b.subarray(4));
    return unpackFlags(words, n);
  },
});

/** A large Uint32Array of mostly small values (the fabric's slot gaps: about pulses / detections,
 *  tens on a metro link) as LEB128 varints (announce.ts encodeDeltas): about 1 byte a value instead
 *  of 2 (Narrow16) or 4. Wire: u32 LE count, then the varints. */
class Varints { constructor(readonly count: number, readonly bytes: Uint8Array) {} }
addExtension({
  Class: Varints, type: 0x33,
  pack: (v: Varints) => { const out = new Uint8Array(4 + v.bytes.length); new DataView(out.buffer).setUint32(0, v.count, true); out.set(v.bytes, 4); return out; },
  unpack: (b: Uint8Array) => {
    if (b.length < 4) throw new Error('varint Uint32Array: no count');
    const n = new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);
    return decodeDeltas(b.subarray(4), n);
  },
});

/** A large Uint8Array of codes 0..3 (BB84 intensities) sent as 2 bits a value (announce.ts packCodes2). Wire: u32 LE length, then the words. */
class Codes2 { constructor(readonly length: number, readonly words: Uint32Array) {} }
addExtension({
  Class: Codes2, type: 0x34,
  pack: (c: Codes2) => { const out = new Uint8Array(4 + c.words.byteLength); new DataView(out.buffer).setUint32(0, c.length, true); out.set(new Uint8Array(c.words.buffer, c.words.byteOffset, c.words.byteLength), 4); return out; },
  unpack: (b: Uint8Array) => {
    if (b.length < 4) throw new Error('2-bit packed Uint8Array: no length');
    const n = new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);
    if (b.length - 4 !== ((n + 15) >>> 4) * 4) throw new Error(`2-bit packed Uint8Array: ${b.length - 4} bytes for ${n} values`);
    const words = new Uint32Array((n + 15) >>> 4);
    new Uint8Array(words.buffer).set(b.subarray(4));
    return unpackCodes2(words, n);
  },
});

/** Varints when they take at most 1.5 bytes a value (judged on the first values before encoding all). */
function asVarints(a: Uint32Array): Varints | undefined {
  for (let i = 0; i < Math.min(64, a.length); i++) if (a[i]! >= 0x4000) return undefined;
  const bytes = encodeDeltas(a);
  return bytes.length <= 1.5 * a.length ? new Varints(a.length, bytes) : undefined;
}

function codes2(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i]! > 3) return false;
  return true;
}

function fits16(a: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! > 0xffff) return false;
  return true;
}

/** `msg` with its large top-level Uint32Arrays of small values (varints) or 16-bit values, and
 *  Uint8Arrays of 0/1 values (bits) or 0..3 (2-bit codes), narrowed for the wire. */
function narrowed(msg: PpMessage): PpMessage {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(msg)) {
    let wire: unknown;
    if (v instanceof Uint32Array && v.length >= NARROW_MIN) wire = asVarints(v) ?? (fits16(v) ? new Narrow16(new Uint16Array(v)) : undefined);
    else if (v instanceof Uint8Array && !(v instanceof Buffer) && v.length >= NARROW_MIN) wire = isFlagColumn(v) ? new Bits(v.length, packFlags(v)) : codes2(v) ? new Codes2(v.length, packCodes2(v)) : undefined;
    if (wire === undefined) continue;
    out ??= { ...msg };
    out[k] = wire;
  }
  return (out ?? msg) as PpMessage;
}
/** A stream message as it goes on the wire (before framing): narrowed, msgpackr-encoded. */
export function packStreamMessage(msg: PpMessage): Uint8Array {
  return packr.pack(narrowed(msg)) as Uint8Array;
}

// Under the codec's 1 MB frame cap with room for the envelope: fewer frames to encode, validate and decode.
export const CHUNK_BYTES = 768 * 1024;
const WINDOW_BYTES = 4 * 1024 * 1024;
/** At most this many windows (12 MB) wait for their ack: well under nats-server's 64 MB slow-consumer limit. */
const WINDOWS_IN_FLIGHT = 3;

interface Waiter { resolve: (m: PpMessage) => void; reject: (e: Error) => void }

class PeerQueue {
  inbox: PpMessage[] = [];
  waiting: Waiter[] = [];
  nextSeq = 0;
  parts: Uint8Array[] = [];
  closed?: string;

  push(m: PpMessage): void {
    const w = this.waiting.shift();
    if (w) w.resolve(m); else this.inbox.push(m);
  }

  shut(reason: string): void {
    if (this.closed !== undefined) return;
    this.closed = reason;
    for (const w of this.waiting.splice(0)) w.reject(new ChannelClosedError(reason));
  }

  receive(): Promise<PpMessage> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closed !== undefined) return Promise.reject(new ChannelClosedError(this.closed));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}

/** The receiving end of every stream addressed to one node on one relative subject (from any
 *  sender, or only from `only`). */
export class Mailbox {
  private peers = new Map<string, PeerQueue>();
  private sub: Subscription;
  private closedReason?: string;

  constructor(private readonly host: ActorHost, readonly subject: string, only?: string) {
    this.sub = host.subscribe(subject, (env, meta) => {
      if (env.type !== 'session.frame') return;
      const f = env.body as StreamFrame;
      const from = meta.from;
      const q = this.queue(from);
      if (f.ping) { host.reply(meta, 'session.ack', { seq: f.seq }); return; }
      if (f.close !== undefined) { q.shut(f.close); return; }
      if (q.closed !== undefined) return;
      if (f.seq !== q.nextSeq || f.part !== q.parts.length) {
        q.shut(`stream from ${from} on ${subject}: lost frame (got ${f.seq}/${f.part}, expected ${q.nextSeq}/${q.parts.length})`);
        return;
      }
      // Own copy: the decoded chunk is a view into the transport's receive buffer.
      q.parts.push(f.data ? Uint8Array.prototype.slice.call(f.data) : new Uint8Array(0));
      if (q.parts.length < f.parts) return;
      const whole = q.parts.length === 1 ? q.parts[0]! : concatBytes(q.parts);
      q.parts = []; q.nextSeq++;
      try { q.push(packr.unpack(whole) as PpMessage); } catch (e) { q.shut(`undecodable message from ${from}: ${(e as Error).message}`); }
    }, only ? { from: only } : {});
  }

  private queue(from: string): PeerQueue {
    let q = this.peers.get(from);
    if (!q) { q = new PeerQueue(); if (this.closedReason !== undefined) q.shut(this.closedReason); this.peers.set(from, q); }
    return q;
  }

  receive(from: string): Promise<PpMessage> { return this.queue(from).receive(); }

  /** Close the stream from one sender locally (pending receives reject). */
  closeFrom(from: string, reason: string): void { this.queue(from).shut(reason); }

  /** Close every stream and stop listening. */
  close(reason = 'mailbox closed'): void {
    this.closedReason = reason;
    for (const q of this.peers.values()) q.shut(reason);
    this.sub.unsubscribe();
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The sending end of one stream (from this host's identity to the node behind `subject`). */
export class StreamSender {
  private seq = 0;
  private unacked = 0;
  /** Acks of the windows in flight, oldest first. */
  private acks: Promise<unknown>[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed?: string;

  constructor(private readonly host: ActorHost, readonly subject: string, private readonly ackTimeoutMs = 30_000) {}

  /** Queue one message; resolves once it is handed to NATS (and the window allows). */
  send(msg: PpMessage): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(new ChannelClosedError(this.closed));
    return this.sendPacked(packStreamMessage(msg));
  }

  /** Queue one message already packed with packStreamMessage (e.g. in a worker thread). */
  sendPacked(bytes: Uint8Array): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(new ChannelClosedError(this.closed));
    const p = this.chain.then(() => this.transmit(bytes));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async transmit(bytes: Uint8Array): Promise<void> {
    if (this.closed !== undefined) throw new ChannelClosedError(this.closed);
    const parts = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    const seq = this.seq++;
    for (let part = 0; part < parts; part++) {
      const data = bytes.subarray(part * CHUNK_BYTES, Math.min(bytes.length, (part + 1) * CHUNK_BYTES));
      this.host.publish(this.subject, 'session.frame', { seq, part, parts, data });
      this.unacked += data.length;
      if (this.unacked >= WINDOW_BYTES) {
        this.unacked = 0;
        const ack = this.host.request(this.subject, 'session.frame', { seq, part: 0, parts: 1, ping: true }, { timeoutMs: this.ackTimeoutMs });
        ack.catch(() => undefined); // awaited below once it is the oldest; a later one is awaited by the next window
        this.acks.push(ack);
        if (this.acks.length >= WINDOWS_IN_FLIGHT) await this.acks.shift();
      }
    }
  }

  /** Wait until everything queued so far has been handed over. */
  drain(): Promise<void> { return this.chain; }

  /** Tell the receiver the stream ends (its pending receives reject with `reason`). */
  close(reason: string): void {
    if (this.closed !== undefined) return;
    this.closed = reason;
    try { this.host.publish(this.subject, 'session.frame', { seq: this.seq, part: 0, parts: 1, close: reason.slice(0, 2000) }); } catch { /* bus gone */ }
  }
}

/** A ClassicalChannel between this host's node and `peer` in session `sid`: send to session.<sid>.<peer>,
 *  receive what `peer`'s identity sent to my mailbox. */
export function natsClassicalChannel(host: ActorHost, mailbox: Mailbox, sid: string, peer: string): ClassicalChannel & { drain(): Promise<void> } {
  const out = new StreamSender(host, subject.session(sid, peer));
  let closed: string | undefined;
  return {
    send(msg) {
      if (closed !== undefined) throw new ChannelClosedError(closed);
      // A failed transmission (ack timeout, bus gone) closes the channel: the next receive rejects,
      // so callers that do not await send() never see an unhandled rejection.
      return out.send(msg).catch((e: Error) => { mailbox.closeFrom(peer, `send to ${peer} failed: ${e.message}`); });
    },
    receive() { return mailbox.receive(peer); },
    close(reason = 'channel closed') {
      if (closed !== undefined) return;
      closed = reason;
      out.close(reason);
      mailbox.closeFrom(peer, reason);
    },
    drain() { return out.drain(); },
  };
}
