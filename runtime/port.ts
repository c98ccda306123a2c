// What a machine sees of the bus. Machines in actors/ import only this file from runtime/: the
// event shape of inbound messages, the BusPort interface, and stubs for the generic bus actions and
// the request actor, which the host replaces with real implementations (machine.provide) when it
// spawns the machine. The stubs throw, so a machine run outside a host fails loudly.
import { fromPromise } from 'xstate';
import type { Envelope } from './codec.ts';

/** The bus identity of the server process: the only one whose session decisions, admissions and
 *  fabric deliveries count (runtime/subjects.ts). */
export const SERVER_IDENTITY = 'server';

/** The address of an actor hosted by another identity, for `send`: "owner/systemId". */
export function actorAddress(owner: string, systemId: string): string {
  return `${owner}/${systemId}`;
}

/** Where an inbound message came from; `replyTo` is set when the sender waits for an answer. */
export interface InboundMeta {
  /** The sender's bus identity, taken from the subject (enforced by the NATS publish permissions),
   *  never from the payload: "server", a node name, "client" or "inspector". */
  from: string;
  subject: string;
  ts: number;
  id?: string;
  replyTo?: string;
}

/** Every message a host delivers to an actor has this shape: `{ type, body, meta }`. */
export interface BusEvent<T extends string = string, B = unknown> {
  type: T;
  body: B;
  meta: InboundMeta;
}

export interface RequestOptions { timeoutMs?: number }

export interface BusPort {
  readonly net: string;
  readonly processId: string;
  /** The bus identity this host publishes as. */
  readonly identity: string;
  /** Fire-and-forget to an actor: "owner/systemId" (actorAddress), or a bare systemId for an actor
   *  of this host's own identity, in whatever process it lives. */
  send(to: string, type: string, body: unknown): void;
  /** Publish on a relative subject, e.g. "status" (the host appends its identity). */
  publish(subject: string, type: string, body: unknown): void;
  /** Request/reply on a relative subject ("actor.server.hypervisor", "registry.announce"). Rejects with
   * RemoteError when the responder answers runtime.error, BusTimeoutError on timeout. */
  request<B = unknown>(subject: string, type: string, body: unknown, opts?: RequestOptions): Promise<Envelope<B>>;
  /** Answer a request received as an event (uses event.meta.replyTo; no-op when there is none). */
  reply(meta: InboundMeta, type: string, body: unknown): void;
}

export interface SendParams { to: string; type: string; body: unknown }
export interface PublishParams { subject: string; type: string; body: unknown }
export interface ReplyParams { meta: InboundMeta; type: string; body: unknown }
export interface RequestInput { subject: string; type: string; body: unknown; timeoutMs?: number }

const notHosted = (what: string) => () => { throw new Error(`${what}: this machine must run on an ActorHost (runtime/host.ts)`); };

/** Parameterised actions every hosted machine may use: declare them in `setup({ actions })`. */
export const busActionStubs = {
  'bus.send': (_: unknown, _params: SendParams) => notHosted('bus.send')(),
  'bus.publish': (_: unknown, _params: PublishParams) => notHosted('bus.publish')(),
  'bus.reply': (_: unknown, _params: ReplyParams) => notHosted('bus.reply')(),
};

/** The request actor: `invoke: { src: 'bus.request', input: { subject, type, body } }`; done output is the reply envelope. */
export const busRequestStub = fromPromise<Envelope, RequestInput>(async () => notHosted('bus.request')());

export function busActions(port: BusPort) {
  return {
    'bus.send': (_: unknown, p: SendParams) => port.send(p.to, p.type, p.body),
    'bus.publish': (_: unknown, p: PublishParams) => port.publish(p.subject, p.type, p.body),
    'bus.reply': (_: unknown, p: ReplyParams) => port.reply(p.meta, p.type, p.body),
  };
}

export function busRequestActor(port: BusPort) {
  return fromPromise<Envelope, RequestInput>(({ input }) => port.request(input.subject, input.type, input.body, { timeoutMs: input.timeoutMs }));
}
