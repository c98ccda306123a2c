// Per-node Redis ACL users for a launched network (issue 5: "the launcher generates the users and
// passwords"): each node process gets credentials that reach only its own pools. Applied with the
// launcher's own Redis connection; a Redis that refuses ACL SETUSER (a restricted REDIS_URL) is
// reported and the network runs with the connection's user instead.
import { Redis } from 'ioredis';
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../infra/keypool/acl.ts';

export async function installPoolUsers(redisUrl: string, net: string, nodes: string[], log: (line: string) => void): Promise<PoolUsers | undefined> {
  const admin = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await admin.connect();
    const users = generatePoolUsers(net, nodes);
    await applyPoolUsers(admin, users, ['nodes', 'server']);
    return users;
  } catch (e) {
    log(`warning: per-node Redis users not installed (${(e as Error).message}); nodes use ${redisUrl}'s own user`);
    return undefined;
  } finally {
    admin.disconnect();
  }
}
