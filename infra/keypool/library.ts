// Installing the pool functions (lua.ts) on a Redis: FUNCTION LOAD REPLACE, which needs the admin's
// rights. Idempotent, and Redis persists the library in its AOF/RDB, so this runs once per start of a
// network (the launcher, startRedis) and survives Redis restarts. A master passes it on to its replicas
// (and a replica that syncs later gets it in the RDB); on a Redis Cluster each master needs its own load.
import type { RedisClient } from './connect.ts';
import { LIBRARY_NAME, POOL_LIBRARY } from './lua.ts';
import { eachDataNode } from './nodes.ts';

export async function loadPoolLibrary(admin: RedisClient): Promise<void> {
  await eachDataNode(admin, 'masters', async (node) => {
    const name = await node.call('FUNCTION', 'LOAD', 'REPLACE', POOL_LIBRARY);
    if (name !== LIBRARY_NAME) throw new Error(`FUNCTION LOAD returned ${String(name)}, expected ${LIBRARY_NAME}`);
  });
}
