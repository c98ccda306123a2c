// The server's read-only view of pool levels for the task pre-checks: the statistics hash of one lane
// (infra/keypool/store.ts parseStats), read with the server's Redis user (from its bundle: statistics
// only, never key material). Connected on first use.
import { openOwnRedis, type RedisClient } from '../../infra/keypool/connect.ts';
import { retrying } from '../../infra/keypool/durable.ts';
import type { RedisAccess } from './session-wiring-node.ts';
import { parseStats } from '../../infra/keypool/store.ts';
import { statsKey } from '../../infra/keypool/names.ts';
import type { NodeId, PoolKind } from '../../protocols/types.ts';

export interface PoolLevels {
  /** Bits `owner` can withdraw by size from its pool with `peer`. */
  available(owner: NodeId, peer: NodeId, kind: PoolKind): Promise<number>;
  close(): void;
}

export function poolLevels(net: string, access?: RedisAccess): PoolLevels {
  let redis: RedisClient | undefined;
  const open = (): RedisClient => {
    if (!access) throw new Error('no Redis for pool statistics (the server\'s bundle names none)');
    if (!redis) {
      redis = openOwnRedis(access.url, { ...access, redis: { maxRetriesPerRequest: 2, connectTimeout: 3000 } }, 'server (pool statistics)');
      redis.on('error', () => undefined); // each read reports its own failure
    }
    return redis;
  };
  return {
    async available(owner, peer, kind) {
      const r = open();
      return parseStats(owner, peer, kind, await retrying(r, () => r.hgetall(statsKey(net, owner, peer, kind)))).available;
    },
    close() { redis?.disconnect(); },
  };
}
