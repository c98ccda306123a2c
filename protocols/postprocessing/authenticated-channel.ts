// Wegman–Carter authentication of every post-processing message (Wegman & Carter, JCSS 22,
// 265 (1981)): tag = H_k(data) + r mod p, with H the polynomial hash of poly-hash.ts over
// p = 2^127 - 1, k a 127-bit hash key drawn once per channel and r a fresh 127-bit one-time pad
// per message, all from the pair's AuthKeySource. The tagged data binds a channel label, the
// sender's role and a per-direction sequence number to the canonical encoding of the message,
// so a tampered, replayed, reordered or reflected message fails the tag or the sequence check.
// Forgery probability per message <= (L+1)/p, L = number of 15-byte blocks (see poly-hash.ts).
//
// Key layout, identical on both sides whatever the timing of sends and receives:
//   bits [0, 127)            hash key k
//   then chunk i = 254 bits: [OTP of the initiator's message i, OTP of the responder's message i]
// Chunks are taken from the source in order, when either direction first needs them.
// Any failure closes the underlying channel and every later call throws AuthenticationError:
// the protocol halves above abort and no key is produced.
//
// mode 'transcript' (delayed authentication): messages carry only their sequence number (still
// checked on arrival, so replays and reordering fail at once); each side hashes everything it
// sent and everything it received, and confirm() exchanges one tag per direction over the whole
// transcript so far. Same forgery bound with L = transcript blocks; key cost 127 bits + 254 per
// confirm instead of 254 per message pair (Cascade has hundreds of rounds). Keys must not be
// released before confirm() resolves (Pacher et al., "Attacks on QKD protocols that employ
// non-ITS authentication", QIP 15 (2016), on delaying authentication to the end of a round).
import { type ClassicalChannel, type PpMessage, type PpField } from './channel.ts';
import type { AuthKeySource } from './key-source.ts';
import { canonicalBytes } from './canonical.ts';
import { P127, polyHash127, PolyHash127Stream, wordsToBigint, bigintToBytes, bytesToBigint } from './poly-hash.ts';

export class AuthenticationError extends Error {
  constructor(message: string) { super(message); this.name = 'AuthenticationError'; }
}

export type AuthRole = 'initiator' | 'responder';

export interface AuthenticatedChannelOptions {
  role: AuthRole;
  /** Names this channel (e.g. the session id); both ends must agree. */
  label: string;
  /** 'message' (default): a tag on every message. 'transcript': tags only at confirm(). */
  mode?: 'message' | 'transcript';
}

export interface AuthenticatedChannel extends ClassicalChannel {
  /** Key bits taken from the key source so far. */
  readonly keyBitsUsed: number;
  /** Transcript mode: exchange and check tags over everything sent and received so far (both
   *  sides call it at the same protocol step). Message mode: resolves at once. */
  confirm(): Promise<void>;
}

const KEY_BITS = 127;
const TAG_BYTES = 16;

/** Key bits the channel consumes for `messages` messages in each direction (for budgeting). */
export function authKeyBitsFor(messagesPerDirection: number): number {
  return KEY_BITS + 2 * KEY_BITS * messagesPerDirection;
}

export function authenticatedChannel(inner: ClassicalChannel, keys: AuthKeySource, opts: AuthenticatedChannelOptions): AuthenticatedChannel {
  const me = opts.role === 'initiator' ? 0 : 1;
  const transcript = opts.mode === 'transcript';
  let sentStream: PolyHash127Stream | undefined, recvStream: PolyHash127Stream | undefined;
  let confirms = 0;
  let hashKey: bigint | undefined;
  const pads: [bigint, bigint][] = [];
  let keyBitsUsed = 0;
  let sendSeq = 0, recvSeq = 0;
  let failure: AuthenticationError | undefined;

  const take = async (bits: number): Promise<bigint> => {
    const b = await keys.take(bits);
    if (b.length !== bits) throw new AuthenticationError(`key source returned ${b.length} bits, asked for ${bits}`);
    keyBitsUsed += bits;
    return wordsToBigint(b.words, bits);
  };
  // Chunks strictly in index order on both sides; a promise chain keeps concurrent calls ordered.
  let chain: Promise<unknown> = Promise.resolve();
  const padFor = (seq: number, role: number): Promise<bigint> => {
    const p = chain.then(async () => {
      if (hashKey === undefined) hashKey = await take(KEY_BITS) % P127;
      while (pads.length <= seq) pads.push([await take(KEY_BITS), await take(KEY_BITS)]);
      return pads[seq][role];
    });
    chain = p.catch(() => undefined);
    return p;
  };

  const tagOf = (role: number, seq: number, msg: PpMessage, pad: bigint): bigint => {
    const data = canonicalBytes({ label: opts.label, role, seq, msg: msg as unknown as PpField });
    return (polyHash127(hashKey!, data) + pad) % P127;
  };

  const record = async (dir: 'sent' | 'recv', role: number, seq: number, msg: PpMessage) => {
    await padFor(0, 0); // draws the hash key (and the first pad chunk) in the agreed order
    sentStream ??= new PolyHash127Stream(hashKey!);
    recvStream ??= new PolyHash127Stream(hashKey!);
    (dir === 'sent' ? sentStream : recvStream).update(canonicalBytes({ label: opts.label, role, seq, msg: msg as unknown as PpField }));
  };

  const fail = (why: string): never => {
    failure = new AuthenticationError(`authentication failed: ${why}; aborting without keys`);
    inner.close?.(failure.message);
    throw failure;
  };

  return {
    get keyBitsUsed() { return keyBitsUsed; },
    async send(msg: PpMessage) {
      if (failure) throw failure;
      const seq = sendSeq++;
      if (transcript) {
        await record('sent', me, seq, msg);
        await inner.send({ type: 'auth', seq, msg: msg as unknown as PpField });
        return;
      }
      const pad = await padFor(seq, me);
      const tag = tagOf(me, seq, msg, pad);
      await inner.send({ type: 'auth', seq, tag: bigintToBytes(tag, TAG_BYTES), msg: msg as unknown as PpField });
    },
    async receive(): Promise<PpMessage> {
      if (failure) throw failure;
      const env = await inner.receive();
      const { seq, tag, msg } = env as { seq?: unknown; tag?: unknown; msg?: unknown };
      if (transcript) {
        if (env.type !== 'auth' || typeof seq !== 'number' || msg === null || typeof msg !== 'object' || typeof (msg as PpMessage).type !== 'string') {
          return fail(`malformed envelope (type '${String(env.type)}')`);
        }
        if (seq !== recvSeq) return fail(`message sequence ${seq}, expected ${recvSeq} (replayed, reordered or dropped message)`);
        await record('recv', 1 - me, seq, msg as PpMessage);
        recvSeq++;
        return msg as PpMessage;
      }
      if (env.type !== 'auth' || typeof seq !== 'number' || !(tag instanceof Uint8Array) || tag.length !== TAG_BYTES
        || msg === null || typeof msg !== 'object' || typeof (msg as PpMessage).type !== 'string') {
        return fail(`malformed envelope (type '${String(env.type)}')`);
      }
      if (seq !== recvSeq) return fail(`message sequence ${seq}, expected ${recvSeq} (replayed, reordered or dropped message)`);
      const peer = 1 - me;
      const pad = await padFor(seq, peer);
      const expected = tagOf(peer, seq, msg as PpMessage, pad);
      if (bytesToBigint(tag) !== expected) return fail(`bad tag on message ${seq} ('${(msg as PpMessage).type}')`);
      recvSeq++;
      return msg as PpMessage;
    },
    async confirm() {
      if (failure) throw failure;
      if (!transcript) return;
      const c = confirms++;
      await record('sent', me, -1, { type: 'auth.confirm' }); // makes sure the streams exist
      await record('recv', 1 - me, -1, { type: 'auth.confirm' });
      const mine = (sentStream!.digest() + await padFor(c, me)) % P127;
      await inner.send({ type: 'auth.confirm', n: c, sent: sendSeq, tag: bigintToBytes(mine, TAG_BYTES) });
      const env = await inner.receive();
      if (env.type !== 'auth.confirm' || env.n !== c || !(env.tag instanceof Uint8Array)) return fail(`expected transcript confirmation ${c}, got '${String(env.type)}'`);
      if (env.sent !== recvSeq) return fail(`peer sent ${String(env.sent)} messages, we received ${recvSeq}`);
      const expected = (recvStream!.digest() + await padFor(c, 1 - me)) % P127;
      if (bytesToBigint(env.tag) !== expected) return fail(`bad transcript tag at confirmation ${c} (a message was altered)`);
    },
    close(reason?: string) { inner.close?.(reason); },
  };
}

