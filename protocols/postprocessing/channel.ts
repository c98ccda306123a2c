// The classical channel one party's half of a post-processing protocol talks through.
// Ordered and reliable (like a NATS session subject with a sequence check, or a TCP stream).
// Every protocol half (Cascade, verification, PA seed exchange, authentication) takes one
// ClassicalChannel and nothing else of its peer, so the same code runs in memory in unit
// tests and over `session.<sessionId>.<nodeId>` subjects later.
//
// Messages are plain objects: `type` names the step, other fields are numbers, strings,
// booleans, typed arrays (Uint8Array / Uint32Array / Float64Array) or arrays/objects of
// those, so msgpackr encodes them without custom extensions.

export type PpField =
  | number | string | boolean | null
  | Uint8Array | Uint32Array | Int32Array | Float64Array
  | readonly PpField[] | { readonly [k: string]: PpField };

export interface PpMessage {
  readonly type: string;
  readonly [field: string]: PpField | undefined;
}

export interface ClassicalChannel {
  /** Queue a message for the peer (delivery in order, no loss). */
  send(msg: PpMessage): void | Promise<void>;
  /** Next message from the peer, in the order it was sent. Rejects once the channel is closed. */
  receive(): Promise<PpMessage>;
  /** Stop the channel: pending and later receive() calls reject with ChannelClosedError(reason). */
  close?(reason?: string): void;
}

export class ChannelClosedError extends Error {
  constructor(reason = 'channel closed') { super(reason); this.name = 'ChannelClosedError'; }
}

/** A protocol step got a message of the wrong type or shape from its peer. */
export class ProtocolError extends Error {
  constructor(message: string) { super(message); this.name = 'ProtocolError'; }
}

/** Receive the next message and insist on its type (the protocols are lockstep, so anything else is an error). */
export async function expectMessage<T extends PpMessage = PpMessage>(ch: ClassicalChannel, type: string): Promise<T> {
  const msg = await ch.receive();
  if (msg === null || typeof msg !== 'object' || msg.type !== type) {
    throw new ProtocolError(`expected message '${type}', got '${(msg as { type?: unknown } | null)?.type ?? String(msg)}'`);
  }
  return msg as T;
}

/** One end of an in-memory pipe: what A sends, B receives. */
class MemoryEnd implements ClassicalChannel {
  peer!: MemoryEnd;
  private readonly inbox: PpMessage[] = [];
  private readonly waiting: { resolve: (m: PpMessage) => void; reject: (e: Error) => void }[] = [];
  private closedReason: string | undefined;
  constructor(private readonly copy: boolean) {}

  send(msg: PpMessage): void {
    if (this.closedReason !== undefined) throw new ChannelClosedError(this.closedReason);
    // structuredClone so a sender that reuses its buffers cannot change what the peer got,
    // exactly as a real wire would behave.
    this.peer.deliver(this.copy ? structuredClone(msg) : msg);
  }

  receive(): Promise<PpMessage> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closedReason !== undefined) return Promise.reject(new ChannelClosedError(this.closedReason));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(reason = 'channel closed'): void {
    if (this.closedReason !== undefined) return;
    this.shut(reason);
    this.peer.shut(reason);
  }

  private deliver(msg: PpMessage): void {
    if (this.closedReason !== undefined) return;
    const w = this.waiting.shift();
    if (w) w.resolve(msg); else this.inbox.push(msg);
  }

  private shut(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const w of this.waiting.splice(0)) w.reject(new ChannelClosedError(reason));
  }
}

export interface MemoryChannelOptions {
  /** Deep-copy each message on send (default true; false saves time in benchmarks). */
  copy?: boolean;
}

/** Two connected in-memory ends, for unit tests and the single-process pipeline. */
export function memoryChannelPair(opts: MemoryChannelOptions = {}): [ClassicalChannel, ClassicalChannel] {
  const copy = opts.copy ?? true;
  const a = new MemoryEnd(copy), b = new MemoryEnd(copy);
  a.peer = b; b.peer = a;
  return [a, b];
}

/** Wraps a channel and calls `observe` with every message sent or received (for counting disclosed bits, tracing). */
export function tapChannel(ch: ClassicalChannel, observe: (dir: 'sent' | 'received', msg: PpMessage) => void): ClassicalChannel {
  return {
    send(msg) { observe('sent', msg); return ch.send(msg); },
    async receive() { const m = await ch.receive(); observe('received', m); return m; },
    close(reason) { ch.close?.(reason); },
  };
}
