// Low-water events from Redis pub/sub (published by the withdraw script, see lua.ts), validated because
// they cross a process boundary. The server's Redis user may listen to every node; a node to its own.
import type { RedisClient } from './connect.ts';
import { z } from 'zod';
import type { NodeId } from '../../protocols/types.ts';
import { POOL_KINDS } from '../../protocols/types.ts';
import { checkId, lowWaterChannel } from './names.ts';

export const lowWaterEventSchema = z.object({
  owner: z.string().min(1),
  peer: z.string().min(1),
  kind: z.enum(POOL_KINDS as unknown as [string, ...string[]]),
  available: z.number().int().nonnegative(),
  threshold: z.number().int().positive(),
});
export type LowWaterEvent = z.infer<typeof lowWaterEventSchema>;

/**
 * Call `onEvent` for every low-water event of `owner` (or of every node when owner is omitted).
 * `subscriber` must be a connection dedicated to pub/sub. On a Redis Cluster PUBLISH reaches every node, so a
 * subscriber on any node hears the pools of every master (plain, not sharded, pub/sub: the channel is per owner,
 * not per pair, so it has no slot of its own). Malformed messages go to `onInvalid`, naming the field.
 * Returns a function that unsubscribes.
 */
export async function subscribeLowWater(subscriber: RedisClient, net: string, onEvent: (e: LowWaterEvent) => void,
  opts: { owner?: NodeId; onInvalid?: (reason: string) => void } = {}): Promise<() => Promise<void>> {
  checkId('net', net);
  const handle = (raw: string) => {
    let json: unknown;
    try { json = JSON.parse(raw); } catch { opts.onInvalid?.('low-water message: not JSON'); return; }
    const p = lowWaterEventSchema.safeParse(json);
    if (p.success) onEvent(p.data);
    else opts.onInvalid?.(`low-water message: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  };
  if (opts.owner) {
    const ch = lowWaterChannel(net, checkId('owner', opts.owner));
    const listener = (channel: string, msg: string) => { if (channel === ch) handle(msg); };
    subscriber.on('message', listener);
    await subscriber.subscribe(ch);
    return async () => { subscriber.off('message', listener); await subscriber.unsubscribe(ch); };
  }
  const pattern = `qn:${net}:lowwater:*`;
  const listener = (pat: string, _channel: string, msg: string) => { if (pat === pattern) handle(msg); };
  subscriber.on('pmessage', listener);
  await subscriber.psubscribe(pattern);
  return async () => { subscriber.off('pmessage', listener); await subscriber.punsubscribe(pattern); };
}
