// An in-process Bus: NATS semantics (wildcards, queue groups, request inboxes, asynchronous
// delivery) without a server, so machines can be unit-tested together in one process. Hosts of
// several identities share one MemoryBus: each request's inbox sits under the requester's prefix
// (as with NATS inboxPrefix), and receivers take the sender from the subject as over NATS. It does not
// enforce permissions: what an identity may publish is the NATS server's job (test/runtime/zero-trust).
import { BusTimeoutError, NoRespondersError, type Bus, type BusMessage, type SubscribeOptions, type Subscription } from './bus.ts';
import { subjectMatches } from './subjects.ts';

interface Sub { pattern: string; exact: boolean; handler: (m: BusMessage) => void; queue?: string; live: boolean }

export class MemoryBus implements Bus {
  readonly maxPayload: number;
  private subs: Sub[] = [];
  private inbox = 0;
  private rr = 0;
  private closed = false;

  constructor(opts: { maxPayload?: number } = {}) {
    this.maxPayload = opts.maxPayload ?? 1_048_576;
  }

  publish(subject: string, data: Uint8Array, opts: { reply?: string } = {}): void {
    if (this.closed) throw new Error('bus closed');
    if (data.length > this.maxPayload) throw new Error(`payload of ${data.length} bytes exceeds ${this.maxPayload}`);
    const targets = this.route(subject);
    const msg: BusMessage = { subject, data, reply: opts.reply };
    for (const s of targets) queueMicrotask(() => { if (s.live) s.handler(msg); });
  }

  /** Subscribers that get a message: all plain ones, one per queue group. */
  private route(subject: string): Sub[] {
    const matching = this.subs.filter((s) => s.live && (s.exact ? s.pattern === subject : subjectMatches(s.pattern, subject)));
    const out = matching.filter((s) => !s.queue);
    const groups = new Map<string, Sub[]>();
    for (const s of matching) if (s.queue) groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    for (const members of groups.values()) out.push(members[this.rr++ % members.length]!);
    return out;
  }

  subscribe(subject: string, handler: (m: BusMessage) => void, opts: SubscribeOptions = {}): Subscription {
    const sub: Sub = { pattern: subject, exact: !/(^|\.)[*>](\.|$)/.test(subject), handler, queue: opts.queue, live: true };
    this.subs.push(sub);
    return { unsubscribe: () => { sub.live = false; this.subs = this.subs.filter((s) => s !== sub); } };
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number; replyPrefix?: string }): Promise<Uint8Array> {
    if (this.route(subject).length === 0) return Promise.reject(new NoRespondersError(subject));
    const inbox = `${opts.replyPrefix ?? '_INBOX.mem'}.${++this.inbox}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { sub.unsubscribe(); reject(new BusTimeoutError(subject, opts.timeoutMs)); }, opts.timeoutMs);
      const sub = this.subscribe(inbox, (m) => { clearTimeout(timer); sub.unsubscribe(); resolve(m.data); });
      this.publish(subject, data, { reply: inbox });
    });
  }

  async flush(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs) s.live = false;
    this.subs = [];
  }
}
