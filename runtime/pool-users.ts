// Per-node Redis ACL users for a launched network (issue 5: "the launcher generates the users and
// passwords"): each node process gets credentials that reach only its own pools, the server a user that
// sees statistics and decisions only. Installed with the admin's connection (the URL's credentials),
// saved to the Redis's ACL file so they survive its restart, together with the pools' Functions library.
// A Redis that answers without credentials, or refuses this (a restricted REDIS_URL), stops the launch
// unless `insecure` (then, if refused, the network runs with the URL's own user and every node can read
// every pool). An unreachable Redis gives undefined with a warning (a network without key pools, as the
// runtime tests run).
import { applyPoolUsers, generatePoolUsers, type PoolUsers } from '../infra/keypool/acl.ts';
import { openRedis, redisAcceptsAnonymous, redisAddress, type RedisConnectOptions } from '../infra/keypool/connect.ts';
import { loadPoolLibrary } from '../infra/keypool/library.ts';
import { KeyPoolStore } from '../infra/keypool/store.ts';

export async function installPoolUsers(redisUrl: string, net: string, nodes: string[], log: (line: string) => void,
  opts: { tls?: RedisConnectOptions['tls']; insecure?: boolean; users?: PoolUsers } = {}): Promise<PoolUsers | undefined> {
  // A short-lived connection: a few reconnects, then (also for sentinels and cluster seeds) it gives up.
  const admin = openRedis(redisUrl, { allowUrlCredentials: true, tls: opts.tls, redis: { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: (n) => (n > 3 ? null : 300) } });
  admin.on('error', () => undefined);
  try {
    try {
      await admin.connect();
    } catch (e) {
      log(`warning: no Redis at ${redisAddress(redisUrl)} (${(e as Error).message}): the nodes run without key pools`);
      return undefined;
    }
    if (await redisAcceptsAnonymous(redisUrl, opts.tls)) {
      const why = `${redisAddress(redisUrl)} accepts connections without credentials, so any process that reaches it reads every key pool`;
      if (!opts.insecure) throw new Error(`${why}: turn its default user off (ACL SETUSER default off) and give REDIS_URL an admin's credentials, or run with --insecure`);
      log(`warning: ${why} (insecure)`);
    }
    await loadPoolLibrary(admin);
    // The issuer's users when it has them (their passwords are in the nodes' bundles), else fresh ones.
    const users = opts.users ?? generatePoolUsers(net, nodes);
    const { persisted } = await applyPoolUsers(admin, users, ['nodes', 'server']);
    if (!persisted) log(`warning: ${redisAddress(redisUrl)} has no ACL file: the per-node Redis users are lost when it restarts (set aclfile in its redis.conf)`);
    return users;
  } catch (e) {
    const why = `cannot install the key pools' Redis users and functions with ${redisAddress(redisUrl)}'s user (${(e as Error).message})`;
    if (!opts.insecure) throw new Error(`${why}; give REDIS_URL the credentials of a Redis admin (redis://user:password@host:port), or --insecure to let every node run as that user`);
    log(`warning: ${why}; insecure: nodes use the URL's own user`);
    return undefined;
  } finally {
    admin.disconnect();
  }
}

/** A node's key pool opened from the launcher's side (demos, reports): as that node's own user when the
 *  launcher installed one, else (an insecure network) as the URL's user. */
export function openNodeStore(cluster: { redisUrl: string; net: string; poolUsers?: PoolUsers }, owner: string, tls?: RedisConnectOptions['tls']): KeyPoolStore {
  const user = cluster.poolUsers?.nodes[owner];
  return KeyPoolStore.connect(cluster.redisUrl, { net: cluster.net, owner, username: user?.username, password: user?.password, tls, allowUrlCredentials: !user });
}
