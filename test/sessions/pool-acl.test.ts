// The launcher gives every node process its own Redis ACL user (issue 5, "the launcher generates
// the users and passwords"): keys from a real session land through those users, each user reaches
// only its own node's pools.
import test from 'ava';
import { Redis } from 'ioredis';
import { statsKey } from '../../infra/keypool/names.ts';
import { startEnv, stopEnv, qkd, type Env } from './helpers.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

test.serial('a session commits keys through the per-node users; Alice\'s user cannot read David\'s pools', async (t) => {
  const users = env!.cluster.poolUsers;
  t.truthy(users, 'launcher installed per-node Redis users');
  const o = await qkd(env!, 'David', 'Alice', { seconds: 0.01 });
  t.true(o.ok, o.reason);

  const alice = users!.nodes.Alice!;
  const redis = new Redis(env!.redis.address, { username: alice.username, password: alice.password, maxRetriesPerRequest: 1, enableReadyCheck: false });
  try {
    const own = await redis.scan(0, 'MATCH', `qn:${env!.cluster.net}:pool:Alice:*`, 'COUNT', 1000).catch((e: Error) => e);
    // SCAN is not granted to nodes: they address their pools by name, so listing fails too.
    t.true(own instanceof Error);
    const other = await redis.hgetall(statsKey(env!.cluster.net, 'David', 'Alice', 'secret')).catch((e: Error) => e);
    t.true(other instanceof Error && /NOPERM/.test(other.message), `reading David's stats as Alice: ${String(other)}`);
    const mine = await redis.hgetall(statsKey(env!.cluster.net, 'Alice', 'David', 'secret')).catch((e: Error) => e);
    t.false(mine instanceof Error, `Alice reads her own stats: ${String(mine)}`);
    t.true(Object.keys(mine as Record<string, string>).length > 0, 'the session wrote Alice\'s pool stats through her user');
  } finally {
    redis.disconnect();
  }
});
