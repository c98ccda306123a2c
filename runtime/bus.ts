// The transport a host runs on, at the level of bytes and full subjects. Two implementations:
// NatsBus (runtime/nats-bus.ts, between processes) and MemoryBus (runtime/memory-bus.ts, machines in
// one process for unit tests). Framing and validation live above, in the host.

export interface BusMessage {
  subject: string;
  data: Uint8Array;
  /** Reply inbox when the sender made a request. */
  reply?: string;
}

export interface Subscription { unsubscribe(): void }

export interface SubscribeOptions {
  /** Subscribers sharing a queue name split the messages (one gets each). */
  queue?: string;
  /** The server refused or ended the subscription (e.g. a permissions violation). */
  onError?: (err: Error) => void;
}

/** The transport's connection to its server changed: lost (messages in flight may be gone) or back. */
export interface ConnectionEvent { type: 'disconnect' | 'reconnect'; server: string }

export interface Bus {
  publish(subject: string, data: Uint8Array, opts?: { reply?: string }): void;
  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: SubscribeOptions): Subscription;
  /** Send and wait for one reply; rejects with BusTimeoutError or NoRespondersError. The reply comes
   *  to an inbox under `replyPrefix` (the requester's identity, subjects.ts inboxPrefix); a bus
   *  connected as one identity (NatsBus) always uses that identity's prefix. */
  request(subject: string, data: Uint8Array, opts: { timeoutMs: number; replyPrefix?: string }): Promise<Uint8Array>;
  /** The identity this connection authenticated as, when it is bound to one (NatsBus with credentials). */
  readonly identity?: string;
  /** Largest payload the transport accepts. */
  readonly maxPayload: number;
  /** Follow the connection (NatsBus: a server of a cluster lost, another one reached); returns the
   *  unsubscribe. A bus that cannot lose messages (MemoryBus) has none. */
  onConnection?(listener: (e: ConnectionEvent) => void): () => void;
  /** Resolve once everything published so far has reached the server. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  constructor(readonly subject: string, readonly timeoutMs: number) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
  }
}

export class NoRespondersError extends Error {
  constructor(readonly subject: string) {
    super(`nobody is listening on ${subject}`);
  }
}
