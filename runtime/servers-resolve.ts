// Which NATS/Redis a launched network uses: NATS_URL/REDIS_URL when set, else NATS's default port
// when something answers there, else private servers on free ports (infra/servers.ts; a private Redis
// is always locked down, with its own admin). The private Redis is one server, or with redisMode
// (HETQN_REDIS_MODE) 'cluster' a Redis Cluster or 'sentinel' a Sentinel setup (infra/redis-ha.ts), whose
// sentinels' client user goes to HETQN_REDIS_SENTINEL_USER/PASSWORD for this process and its children.
// Missing binaries: infra/servers.ts throws with the apt-get command to run.
import { isPortOpen } from '../infra/free-port.ts';
import { startNats, startRedis } from '../infra/servers.ts';
import { startRedisCluster, startRedisSentinel } from '../infra/redis-ha.ts';

export type RedisMode = 'single' | 'cluster' | 'sentinel';
export const REDIS_MODES: readonly RedisMode[] = ['single', 'cluster', 'sentinel'];

export interface Endpoints {
  natsUrl: string;
  redisUrl: string;
  /** Which of them this launcher started (and must stop). */
  privateServers: { stop(): Promise<void> }[];
  stop(): Promise<void>;
}

async function startPrivateRedis(mode: RedisMode): Promise<{ url: string; address: string; stop(): Promise<void> }> {
  if (mode === 'single') return startRedis();
  if (mode === 'cluster') return startRedisCluster();
  const ha = await startRedisSentinel();
  process.env.HETQN_REDIS_SENTINEL_USER = ha.sentinelAuth!.username;
  process.env.HETQN_REDIS_SENTINEL_PASSWORD = ha.sentinelAuth!.password;
  return ha;
}

export async function resolveEndpoints(log: (s: string) => void = () => {}, opts: { forcePrivate?: boolean; redisMode?: RedisMode } = {}): Promise<Endpoints> {
  const started: { stop(): Promise<void> }[] = [];
  const mode = opts.redisMode ?? (process.env.HETQN_REDIS_MODE || 'single') as RedisMode;
  if (!REDIS_MODES.includes(mode)) throw new Error(`HETQN_REDIS_MODE: "${mode}" must be one of ${REDIS_MODES.join(', ')}`);
  // HETQN_PRIVATE_SERVERS=1 ignores NATS_URL/REDIS_URL and the default ports (tests, clean demos).
  if (process.env.HETQN_PRIVATE_SERVERS === '1') opts = { ...opts, forcePrivate: true };
  try {
    let natsUrl = opts.forcePrivate ? undefined : process.env.NATS_URL;
    if (!natsUrl && !opts.forcePrivate && await isPortOpen(4222)) natsUrl = 'nats://127.0.0.1:4222';
    if (!natsUrl) {
      const s = await startNats();
      started.push(s);
      natsUrl = s.url;
      log(`started a private nats-server on ${s.url}`);
    }
    // No probe of Redis's default port: hetqn needs an admin's credentials there (to install the pool
    // functions and a user per node), which only REDIS_URL can carry, and refuses an open Redis anyway.
    let redisUrl = opts.forcePrivate ? undefined : process.env.REDIS_URL;
    if (!redisUrl) {
      const s = await startPrivateRedis(mode);
      started.push(s);
      redisUrl = s.url;
      log(mode === 'single' ? `started a private redis-server on ${s.address}` : `started a private Redis ${mode} at ${s.address}`);
    }
    return {
      natsUrl, redisUrl, privateServers: started,
      async stop() { for (const s of started.reverse()) await s.stop(); },
    };
  } catch (err) {
    for (const s of started) await s.stop().catch(() => undefined);
    throw err;
  }
}
