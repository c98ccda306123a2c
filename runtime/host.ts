// The actor host: one per process. It runs xstate v5 actors and connects them to a Bus.
//
// ## How to add a machine (runtime README)
//
// 1. Message schemas, next to the machine (`actors/<area>/<name>.messages.ts`):
//      export const FooMessages = defineMessages({ 'foo.start': z.object({ n: z.number() }) });
//    Every type that crosses a process boundary must be registered; the codec rejects others.
// 2. The machine (`actors/<area>/<name>.ts`) declares the generic bus actions and request actor:
//      setup({ actions: { ...busActionStubs, myEffect: () => {} }, actors: { 'bus.request': busRequestStub } })
//    Inbound messages arrive as events `{ type, body, meta }` (BusEvent). To answer a request:
//      { type: 'bus.reply', params: ({ event }) => ({ meta: event.meta, type: 'foo.done', body: {...} }) }
//    To message another actor anywhere: { type: 'bus.send', params: () => ({ to: actorAddress('server', 'hypervisor'), type, body }) }
//    (a bare system id addresses an actor of the host's own identity).
//    To ask and wait: invoke: { src: 'bus.request', input: { subject: 'actor.<owner>.bar', type, body }, onDone, onError }
// 3. Spawn it on a host; the host provides the bus actions/actor and any services you inject:
//      const host = new ActorHost({ bus, net, processId: 'server', identity: 'server' });
//      host.spawn(fooMachine, { systemId: 'foo', input: {...},
//        provide: (port) => ({ actions: { myEffect: () => ... }, actors: { store: fromPromise(...) } }),
//        routes: [{ subject: 'platform.request', queue: 'platform' }] });
//    The actor's inbox is `qn.<net>.actor.<identity>.<systemId>.<sender>`; `routes` bind extra relative
//    subjects to it (queue groups for services). Outside an actor: host.send / publish / request / serve.
// 4. Add the machine to runtime/machine-catalog.ts so `hetqn inspect --export` writes its definition.
//
// Bad frames (not msgpack, wrong version, unknown type, body failing its schema, oversized) are
// dropped before reaching the actor; the host counts them, emits a FrameErrorEvent naming the field,
// and answers runtime.error when the sender was waiting for a reply. Inspection events stream to
// `inspect.<processId>` only while some `hetqn inspect` holds a lease, so they cost nothing otherwise.
// Trust: every subject ends in the publisher's bus identity (subjects.ts), and the NATS server lets an
// identity publish only subjects ending in its own token (infra/nats-config.ts). So `meta.from` is
// taken from the subject, authenticated by the transport; `envelope.from` (the process id) is for logs
// only. Replies go only to the inbox of the identity that asked (allow_responses would let a responder
// publish on any reply subject a requester names, so the host checks it).
import { createActor, type AnyActorLogic, type AnyActorRef, type AnyStateMachine, type InputFrom, type InspectionEvent } from 'xstate';
import { randomUUID } from 'node:crypto';
import { BusTimeoutError, type Bus, type BusMessage, type Subscription } from './bus.ts';
import { DEFAULT_MAX_FRAME_BYTES, decodeFrame, encodeFrame, FrameError, PROTOCOL_VERSION, type Envelope } from './codec.ts';
import { busActions, busRequestActor, type BusPort, type InboundMeta, type RequestOptions } from './port.ts';
import { fullSubject, inboxPrefix, INSPECTOR, parseAddress, senderOf, subject as subj, token } from './subjects.ts';
import { convertInspectionEvent, jsonSafe, qualify, stateString } from './inspection.ts';

export { BusTimeoutError };

/** The responder answered runtime.error. */
export class RemoteError extends Error {
  constructor(message: string, readonly field?: string, readonly code?: string) { super(message); }
}

export interface FrameErrorEvent { subject: string; field: string; reason: string; processId: string }

export interface HostOptions {
  bus: Bus;
  net: string;
  /** Unique per process, e.g. "server" or "node-Alice". */
  processId: string;
  /** The bus identity this host publishes as (default: the bus's, else the process id). */
  identity?: string;
  /** Default request timeout. */
  requestTimeoutMs?: number;
  /** Log frame errors to stderr (rate-limited). Default true. */
  logFrameErrors?: boolean;
}

export interface SpawnOptions<M extends AnyStateMachine> {
  systemId: string;
  input?: InputFrom<M>;
  /** Implementations to inject (actions, actors, guards, delays), built from the host's port.
   * Passed to machine.provide(); names must match those declared in the machine's setup(). */
  provide?: (port: BusPort, host: ActorHost) => Provided;
  /** Extra relative subjects delivered to this actor's inbox (from any sender, or only `from`). */
  routes?: Array<{ subject: string; queue?: string; from?: string }>;
  /** Sees every valid inbound message before the actor does (e.g. to note who asked for what). */
  tap?: (env: Envelope, meta: InboundMeta) => void;
}

/** Loosely typed on purpose: xstate checks names and shapes when the machine is provided. */
export interface Provided {
  actions?: Record<string, unknown>;
  actors?: Record<string, AnyActorLogic>;
  guards?: Record<string, unknown>;
  delays?: Record<string, unknown>;
}

export type ServeHandler = (env: Envelope, meta: InboundMeta) => Promise<{ type: string; body: unknown }> | { type: string; body: unknown };

interface Hosted { systemId: string; actor: AnyActorRef; subs: Subscription[]; tap?: SpawnOptions<AnyStateMachine>['tap']; inspection?: Subscription }

/** An actor and every actor below it (invoked or spawned), as their snapshots hold them now. */
function* actorTree(ref: AnyActorRef): Generator<AnyActorRef> {
  yield ref;
  const children = (ref.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> }).children;
  for (const c of Object.values(children ?? {})) if (c) yield* actorTree(c);
}

export class ActorHost {
  readonly bus: Bus;
  readonly net: string;
  readonly processId: string;
  readonly identity: string;
  readonly port: BusPort;
  /** Where this host's requests get their replies. */
  readonly inbox: string;
  readonly startedAt = Date.now();
  frameErrors = 0;
  /** Replies refused because the reply subject was not the asker's inbox. */
  misdirected = 0;
  private readonly maxFrame: number;
  private readonly requestTimeoutMs: number;
  private readonly logFrameErrors: boolean;
  private hosted = new Map<string, Hosted>();
  private subs: Subscription[] = [];
  private frameErrorListeners = new Set<(e: FrameErrorEvent) => void>();
  private lastLog = 0;
  private suppressed = 0;
  private streamUntil = 0;
  /** Requesters of the current lease, so each new one gets a catch-up burst. */
  private inspectors = new Set<string>();
  private stopped = false;

  constructor(opts: HostOptions) {
    this.bus = opts.bus;
    this.net = token('network', opts.net);
    this.processId = token('processId', opts.processId);
    this.identity = token('identity', opts.identity ?? opts.bus.identity ?? opts.processId);
    if (opts.bus.identity && opts.bus.identity !== this.identity) throw new Error(`host ${this.processId}: identity ${this.identity}, but its bus is connected as ${opts.bus.identity}`);
    this.inbox = inboxPrefix(this.net, this.identity);
    this.maxFrame = Math.min(DEFAULT_MAX_FRAME_BYTES, opts.bus.maxPayload);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.logFrameErrors = opts.logFrameErrors ?? true;
    const host = this;
    this.port = {
      net: this.net,
      processId: this.processId,
      identity: this.identity,
      send: (to, type, body) => host.send(to, type, body),
      publish: (s, type, body) => host.publish(s, type, body),
      request: (s, type, body, o) => host.request(s, type, body, o) as never,
      reply: (meta, type, body) => host.reply(meta, type, body),
    };
    this.serve(subj.process(this.identity, this.processId), () => ({
      type: 'runtime.pong',
      body: { processId: this.processId, actors: this.actorStates(), frameErrors: this.frameErrors, uptimeMs: Date.now() - this.startedAt },
    }));
    this.subscribe(subj.inspectControl(), (env) => {
      if (env.type !== 'inspect.lease') return;
      const { untilMs, requester } = env.body as { untilMs: number; requester: string };
      if (!this.streaming()) { this.inspectors.clear(); for (const h of this.hosted.values()) this.inspect(h); }
      this.streamUntil = Math.max(this.streamUntil, Date.now() + Math.min(60_000, Math.max(0, untilMs)));
      // Every new inspector gets the burst, also when another one already holds a lease.
      if (!this.inspectors.has(requester)) { this.inspectors.add(requester); this.emitCatchUp(); }
    }, { from: INSPECTOR });
  }

  // ---- actors ------------------------------------------------------------------------------------

  spawn<M extends AnyStateMachine>(machine: M, opts: SpawnOptions<M>): AnyActorRef {
    const systemId = token('systemId', opts.systemId);
    if (this.hosted.has(systemId)) throw new Error(`actor "${systemId}" already runs on host ${this.processId}`);
    const injected: Provided = opts.provide?.(this.port, this) ?? {};
    const provided = machine.provide({
      ...injected,
      actions: { ...busActions(this.port), ...(injected.actions ?? {}) },
      actors: { 'bus.request': busRequestActor(this.port), ...(injected.actors ?? {}) },
    } as never) as AnyStateMachine;
    // No inspector until a lease asks for one (inspect()): xstate then builds no inspection events,
    // which would cost about as much as the event itself on every message.
    const actor = createActor(provided, { systemId, input: opts.input });
    actor.subscribe({
      error: (err) => process.stderr.write(`[${this.processId}] actor ${systemId} failed: ${(err as Error)?.stack ?? err}\n`),
    });
    const h: Hosted = { systemId, actor, subs: [], tap: opts.tap };
    this.hosted.set(systemId, h);
    const deliver = (m: BusMessage) => this.deliver(h, m);
    h.subs.push(this.bus.subscribe(fullSubject(this.net, subj.actor(this.identity, systemId), '*'), deliver));
    for (const r of opts.routes ?? []) h.subs.push(this.bus.subscribe(fullSubject(this.net, r.subject, r.from ?? '*'), deliver, { queue: r.queue }));
    actor.start();
    if (this.streaming()) { this.inspect(h); this.emitCatchUp([h]); }
    return actor;
  }

  /** Stop one actor and its subscriptions. */
  stopActor(systemId: string): void {
    const h = this.hosted.get(systemId);
    if (!h) return;
    for (const s of h.subs) s.unsubscribe();
    h.inspection?.unsubscribe();
    h.actor.stop();
    this.hosted.delete(systemId);
  }

  actor(systemId: string): AnyActorRef | undefined {
    return this.hosted.get(systemId)?.actor;
  }

  /** Current state of every hosted actor, e.g. { platform: "serving", "node.Alice": "registered" }. */
  actorStates(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, h] of this.hosted) out[id] = stateString(h.actor.getSnapshot());
    return out;
  }

  private deliver(h: Hosted, m: BusMessage): void {
    const env = this.decode(m);
    if (!env) return;
    const meta = this.metaOf(env, m);
    if (h.actor.getSnapshot().status !== 'active') {
      this.reply(meta, 'runtime.error', { message: `actor ${h.systemId} on ${this.processId} is not running`, code: 'not-running' });
      return;
    }
    h.tap?.(env, meta);
    h.actor.send({ type: env.type, body: env.body, meta });
  }

  // ---- messaging ---------------------------------------------------------------------------------

  private envelope(type: string, body: unknown, extra: Partial<Envelope> = {}): Envelope {
    return { v: PROTOCOL_VERSION, type, from: this.processId, body, ts: Date.now(), ...extra };
  }

  send(to: string, type: string, body: unknown): void {
    const a = parseAddress(to, this.identity);
    this.bus.publish(fullSubject(this.net, subj.actor(a.owner, a.systemId), this.identity), encodeFrame(this.envelope(type, body, { to: a.systemId }), this.maxFrame));
  }

  publish(relSubject: string, type: string, body: unknown): void {
    this.bus.publish(fullSubject(this.net, relSubject, this.identity), encodeFrame(this.envelope(type, body), this.maxFrame));
  }

  reply(meta: InboundMeta, type: string, body: unknown): void {
    if (!meta.replyTo || !this.repliesTo(meta.from, meta.replyTo)) return;
    this.bus.publish(meta.replyTo, encodeFrame(this.envelope(type, body, { id: meta.id }), this.maxFrame));
  }

  /** Answer only into the asking identity's own inbox: a reply subject elsewhere would let the asker
   *  make this host publish, under allow_responses, on a subject that names this host as sender. */
  private repliesTo(from: string, replyTo: string): boolean {
    if (replyTo.startsWith(`${inboxPrefix(this.net, from)}.`)) return true;
    this.misdirected++;
    if (this.logFrameErrors) process.stderr.write(`[${this.processId}] no reply to ${replyTo}: not the inbox of ${from}, who asked\n`);
    return false;
  }

  async request<B = unknown>(relSubject: string, type: string, body: unknown, opts: RequestOptions = {}): Promise<Envelope<B>> {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const data = encodeFrame(this.envelope(type, body, { id: randomUUID() }), this.maxFrame);
    const replyBytes = await this.bus.request(fullSubject(this.net, relSubject, this.identity), data, { timeoutMs, replyPrefix: this.inbox });
    const env = decodeFrame(replyBytes, this.maxFrame) as Envelope<B>;
    if (env.type === 'runtime.error') {
      const b = env.body as { message: string; field?: string; code?: string };
      throw new RemoteError(b.message, b.field, b.code);
    }
    return env;
  }

  /** Answer requests on a relative subject with a function (for services that need no machine). */
  serve(relSubject: string, handler: ServeHandler, opts: { queue?: string; from?: string } = {}): Subscription {
    return this.subscribe(relSubject, async (env, meta) => {
      try {
        const r = await handler(env, meta);
        this.reply(meta, r.type, r.body);
      } catch (err) {
        const e = err as Error & { field?: string; code?: string };
        this.reply(meta, 'runtime.error', { message: e.message, field: e.field, code: e.code });
      }
    }, opts);
  }

  /** Receive validated envelopes on a relative subject (wildcards allowed), from any sender or only `from`. */
  subscribe(relSubject: string, handler: (env: Envelope, meta: InboundMeta) => void, opts: { queue?: string; from?: string } = {}): Subscription {
    const sub = this.bus.subscribe(fullSubject(this.net, relSubject, opts.from ?? '*'), (m) => {
      const env = this.decode(m);
      if (!env) return;
      try { handler(env, this.metaOf(env, m)); } catch (err) {
        process.stderr.write(`[${this.processId}] handler for ${m.subject} failed: ${(err as Error).message}\n`);
      }
    }, { queue: opts.queue });
    this.subs.push(sub);
    return sub;
  }

  private metaOf(env: Envelope, m: BusMessage): InboundMeta {
    return { from: senderOf(m.subject), subject: m.subject, ts: env.ts, id: env.id, replyTo: m.reply };
  }

  // ---- frame errors ------------------------------------------------------------------------------

  private decode(m: BusMessage): Envelope | undefined {
    try {
      return decodeFrame(m.data, this.maxFrame);
    } catch (err) {
      const fe = err instanceof FrameError ? err : new FrameError('frame', (err as Error).message);
      this.frameError(m, fe);
      return undefined;
    }
  }

  private frameError(m: BusMessage, fe: FrameError): void {
    this.frameErrors++;
    const ev: FrameErrorEvent = { subject: m.subject, field: fe.field, reason: fe.reason, processId: this.processId };
    for (const l of this.frameErrorListeners) l(ev);
    if (m.reply && this.repliesTo(senderOf(m.subject), m.reply)) {
      try { this.bus.publish(m.reply, encodeFrame(this.envelope('runtime.error', { field: fe.field, message: `rejected frame on ${m.subject}: ${fe.message}`, code: 'bad-frame' }))); } catch { /* reply subject itself bad */ }
    }
    if (!this.logFrameErrors) return;
    const now = Date.now();
    if (now - this.lastLog < 1000) { this.suppressed++; return; }
    const more = this.suppressed ? ` (+${this.suppressed} more suppressed)` : '';
    this.lastLog = now; this.suppressed = 0;
    process.stderr.write(`[${this.processId}] rejected frame on ${m.subject}: ${fe.message}${more}\n`);
  }

  onFrameError(listener: (e: FrameErrorEvent) => void): () => void {
    this.frameErrorListeners.add(listener);
    return () => this.frameErrorListeners.delete(listener);
  }

  // ---- inspection --------------------------------------------------------------------------------

  private streaming(): boolean {
    return Date.now() < this.streamUntil;
  }

  /** Stream this actor's inspection events (until the lease ends: onInspect then lets go). */
  private inspect(h: Hosted): void {
    h.inspection ??= h.actor.system.inspect((ev: InspectionEvent) => this.onInspect(ev));
  }

  private onInspect(ev: InspectionEvent): void {
    if (!this.streaming() || this.stopped) {
      for (const h of this.hosted.values()) { h.inspection?.unsubscribe(); h.inspection = undefined; }
      return;
    }
    if (ev.type !== '@xstate.actor' && ev.type !== '@xstate.event' && ev.type !== '@xstate.snapshot') return;
    this.emitInspection(convertInspectionEvent(ev, this.processId));
  }

  private emitInspection(ev: ReturnType<typeof convertInspectionEvent>): void {
    if (!ev) return;
    try {
      this.publish(subj.inspect(this.processId), 'inspect.event', ev);
    } catch {
      // Too big (a context holding large arrays): send the state without the context.
      const snap = ev.snapshot as { value?: unknown; status?: string } | undefined;
      if (snap) try { this.publish(subj.inspect(this.processId), 'inspect.event', { ...ev, definition: undefined, snapshot: { value: snap.value, status: snap.status, context: { omitted: 'too large' } } }); } catch { /* drop */ }
    }
  }

  /** A new inspector is listening: describe every live actor and its current snapshot. */
  private emitCatchUp(hosted: Iterable<Hosted> = this.hosted.values()): void {
    for (const ref of [...hosted].flatMap((h) => [...actorTree(h.actor)])) {
      const sid = ref.sessionId;
      const snap = ref.getSnapshot() as { status?: string };
      if (snap.status !== 'active') continue;
      const rootId = (ref as { _parent?: AnyActorRef })._parent ? undefined : sid;
      this.emitInspection(convertInspectionEvent({ type: '@xstate.actor', actorRef: ref, rootId: rootId ?? sid } as InspectionEvent, this.processId));
      this.emitInspection({
        type: '@xstate.snapshot', sessionId: qualify(this.processId, sid), rootId: qualify(this.processId, rootId ?? sid), createdAt: Date.now().toString(), id: `catchup-${sid}`,
        _version: '0.4.0', processId: this.processId, systemId: (ref as { systemId?: string }).systemId,
        event: { type: 'hetqn.catchUp' }, snapshot: jsonSafe(snap),
      });
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Stop every actor, drop subscriptions, and close the bus. */
  async stop(opts: { closeBus?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    for (const id of [...this.hosted.keys()]) this.stopActor(id);
    this.stopped = true;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    if (opts.closeBus ?? true) await this.bus.close();
  }
}
