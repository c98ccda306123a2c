// Installing the pool functions (lua.ts) on a Redis: FUNCTION LOAD REPLACE, which needs the admin's
// rights. Idempotent, and Redis persists the library in its AOF/RDB, so this runs once per start of a
// network (the launcher, startRedis) and survives Redis restarts.
import type { Redis } from 'ioredis';
import { LIBRARY_NAME, POOL_LIBRARY } from './lua.ts';

export async function loadPoolLibrary(admin: Redis): Promise<void> {
  const name = await admin.call('FUNCTION', 'LOAD', 'REPLACE', POOL_LIBRARY);
  if (name !== LIBRARY_NAME) throw new Error(`FUNCTION LOAD returned ${String(name)}, expected ${LIBRARY_NAME}`);
}
