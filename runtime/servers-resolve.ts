// Which NATS/Redis a launched network uses: NATS_URL/REDIS_URL when set, else NATS's default port
// when something answers there, else private servers on free ports (infra/servers.ts; a private Redis
// is always locked down, with its own admin).
// Missing binaries: infra/servers.ts throws with the apt-get command to run.
import { isPortOpen } from '../infra/free-port.ts';
import { startNats, startRedis, type ManagedServer } from '../infra/servers.ts';

export interface Endpoints {
  natsUrl: string;
  redisUrl: string;
  /** Which of them this launcher started (and must stop). */
  privateServers: ManagedServer[];
  stop(): Promise<void>;
}

export async function resolveEndpoints(log: (s: string) => void = () => {}, opts: { forcePrivate?: boolean } = {}): Promise<Endpoints> {
  const started: ManagedServer[] = [];
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
      const s = await startRedis();
      started.push(s);
      redisUrl = s.url;
      log(`started a private redis-server on ${s.address}`);
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
