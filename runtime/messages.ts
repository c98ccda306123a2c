// The message schema registry. Every message type that crosses a process boundary registers a zod
// schema for its body here (usually in a `*.messages.ts` file next to the machine that handles it):
//
//   export const HypervisorMessages = defineMessages({
//     'hypervisor.status': z.object({}),
//     'node.heartbeat': z.object({ node: z.string(), seq: z.number().int() }),
//   });
//   type Heartbeat = MessageBody<typeof HypervisorMessages, 'node.heartbeat'>;
//
// The codec rejects frames whose type is not registered, and frames whose body does not parse,
// naming the offending field ("body.seq: Expected number, received string").
import { z, type ZodTypeAny } from 'zod';

const registry = new Map<string, ZodTypeAny>();

/** Register body schemas by message type. Re-registering the same schema object is a no-op. */
export function defineMessages<T extends Record<string, ZodTypeAny>>(defs: T): T {
  for (const [type, schema] of Object.entries(defs)) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(type)) throw new Error(`message type "${type}": use dotted words, e.g. "node.heartbeat"`);
    const existing = registry.get(type);
    if (existing && existing !== schema) throw new Error(`message type "${type}" is already registered with another schema`);
    registry.set(type, schema);
  }
  return defs;
}

/** The body type of one message in a `defineMessages` map. */
export type MessageBody<M extends Record<string, ZodTypeAny>, K extends keyof M> = z.infer<M[K]>;

export function messageSchema(type: string): ZodTypeAny | undefined {
  return registry.get(type);
}

/** Runtime-level messages every host understands. */
export const RuntimeMessages = defineMessages({
  /** Reply sent when a request could not be served: the frame was rejected or the handler failed. */
  'runtime.error': z.object({ field: z.string().optional(), message: z.string(), code: z.string().optional() }),
  /** Liveness probe answered by every host on its process subject. */
  'runtime.ping': z.object({}).passthrough(),
  'runtime.pong': z.object({ processId: z.string(), actors: z.record(z.string()), frameErrors: z.number().int(), uptimeMs: z.number() }),
  /** `hetqn inspect` renews this lease; while it holds, hosts stream inspection events. */
  'inspect.lease': z.object({ untilMs: z.number(), requester: z.string() }),
  /** One inspection event in the @statelyai/inspect JSON shape, plus processId/systemId. */
  'inspect.event': z.object({
    type: z.enum(['@xstate.actor', '@xstate.event', '@xstate.snapshot']),
    sessionId: z.string(),
  }).passthrough(),
});
