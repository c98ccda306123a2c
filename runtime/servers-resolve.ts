// Which NATS/Redis a launched network uses. By default hetqn starts its own private servers on free
// ports: a nats-server that loads the network's generated authorization config (infra/nats-config.ts:
// nkey users with least-privilege permissions, no anonymous access) and a locked-down redis-server
// (infra/servers.ts: default user off, its own admin); a NATS or Redis already running on the default
// ports is never used by accident. A NATS the user names (options, or NATS_URL; HETQN_PRIVATE_SERVERS=1
// ignores it) is probed first: one that accepts a connection without credentials is refused unless
// `insecure` is set, because every process on such a bus could read every party's fabric view and
// forge decisions. A Redis the user names (REDIS_URL, with an admin's credentials) is checked the same
// way when the launcher installs its users (runtime/pool-users.ts).
// The private Redis is one server, or with redisMode (HETQN_REDIS_MODE) 'cluster' a Redis Cluster or
// 'sentinel' a Sentinel setup (infra/redis-ha.ts), whose sentinels' client user goes to
// HETQN_REDIS_SENTINEL_USER/PASSWORD for this process and its children.
// Missing binaries: infra/servers.ts throws with the apt-get command to run.
import { connect } from '@nats-io/transport-node';
import { redisAddress } from '../infra/keypool/connect.ts';
import { freePort } from '../infra/free-port.ts';
import { startNats, startRedis, type ManagedServer } from '../infra/servers.ts';
import { serverList } from './nats-bus.ts';
import { startRedisCluster, startRedisSentinel } from '../infra/redis-ha.ts';

export type RedisMode = 'single' | 'cluster' | 'sentinel';
export const REDIS_MODES: readonly RedisMode[] = ['single', 'cluster', 'sentinel'];

export interface Endpoints {
  natsServers: string[];
  /** Redis with an admin's credentials (to install users), and the address the processes dial. */
  redisUrl: string;
  redisAddress: string;
  /** The servers this launcher started (and must stop). */
  private: { nats?: ManagedServer; redis?: ManagedServer; redisHa?: { stop(): Promise<void> } };
  stop(): Promise<void>;
}

export interface ResolveOptions {
  log?: (s: string) => void;
  /** The user's NATS servers (else NATS_URL); none: a private one. */
  natsUrls?: string[];
  /** The user's Redis (else REDIS_URL, with an admin's credentials); none: a private one. */
  redisUrl?: string;
  /** Accept servers that let anyone in. */
  insecure?: boolean;
  /** PEM CA of the user's NATS (TLS). */
  ca?: string;
  /** Address the private servers bind to and are reached at (default 127.0.0.1). */
  listen?: string;
  /** Write the config of the private nats-server that will be reached at `url`; returns the file. */
  natsConfig: (url: string) => Promise<string>;
  /** The private Redis: one server (default), a Cluster or a Sentinel setup (else HETQN_REDIS_MODE). */
  redisMode?: RedisMode;
  /** The admin user of a private single Redis (the issuer's, so the admin host can reach its pools
   *  later); none: a fresh one known only to this process. */
  redisAdmin?: () => { username: string; password: string } | undefined;
}

export class InsecureServerError extends Error {}

const env = (k: string) => (process.env.HETQN_PRIVATE_SERVERS === '1' ? undefined : process.env[k] || undefined);

export async function resolveEndpoints(o: ResolveOptions): Promise<Endpoints> {
  const log = o.log ?? (() => {});
  const host = o.listen ?? '127.0.0.1';
  const started: { stop(): Promise<void> }[] = [];
  const priv: Endpoints['private'] = {};
  const mode = o.redisMode ?? (process.env.HETQN_REDIS_MODE || 'single') as RedisMode;
  if (!REDIS_MODES.includes(mode)) throw new Error(`HETQN_REDIS_MODE: "${mode}" must be one of ${REDIS_MODES.join(', ')}`);
  try {
    const given = o.natsUrls?.length ? o.natsUrls : env('NATS_URL') ? [env('NATS_URL')!] : undefined;
    let natsServers: string[];
    if (given) {
      natsServers = serverList(given);
      await refuseOpenNats(natsServers, !!o.insecure, log, o.ca);
    } else {
      const port = await freePort();
      const url = `nats://${host}:${port}`;
      const conf = await o.natsConfig(url);
      priv.nats = await startNats({ port, jetstream: false, host, extraArgs: ['-c', conf] });
      started.push(priv.nats);
      natsServers = [url];
      log(`started a private nats-server on ${url} (authorization: ${conf})`);
    }
    const userRedis = o.redisUrl ?? env('REDIS_URL');
    let redisUrl: string, redisAddr: string;
    if (userRedis) { redisUrl = userRedis; redisAddr = redisAddress(userRedis); }
    else if (mode === 'single') {
      priv.redis = await startRedis({ host, admin: o.redisAdmin?.() });
      started.push(priv.redis);
      redisUrl = priv.redis.url;
      redisAddr = priv.redis.address;
      log(`started a private redis-server on ${redisAddr}`);
    } else {
      if (host !== '127.0.0.1') throw new Error(`--listen ${host}: the private Redis ${mode} binds loopback only; give a REDIS_URL of your own`);
      const ha = mode === 'cluster' ? await startRedisCluster() : await startRedisSentinel();
      if (ha.sentinelAuth) {
        process.env.HETQN_REDIS_SENTINEL_USER = ha.sentinelAuth.username;
        process.env.HETQN_REDIS_SENTINEL_PASSWORD = ha.sentinelAuth.password;
      }
      priv.redisHa = ha;
      started.push(ha);
      redisUrl = ha.url;
      redisAddr = ha.address;
      log(`started a private Redis ${mode} at ${ha.address}`);
    }
    return {
      natsServers, redisUrl, redisAddress: redisAddr, private: priv,
      async stop() { for (const s of started.reverse()) await s.stop(); },
    };
  } catch (err) {
    for (const s of started) await s.stop().catch(() => undefined);
    throw err;
  }
}

const OPEN_NATS = (urls: string) => `NATS at ${urls} accepts connections without credentials: any process on it could read every party's fabric view and forge session decisions. `
  + 'Let hetqn start its own secured nats-server (give no NATS URL), or load the generated authorization config into yours (hetqn creds nats-config), or pass --insecure to use it anyway';

/** Refuse a NATS that lets an anonymous client in (unless insecure). */
export async function refuseOpenNats(servers: string[], insecure: boolean, log: (s: string) => void, ca?: string): Promise<void> {
  let open = false;
  try {
    const nc = await connect({ servers, maxReconnectAttempts: 0, timeout: 5000, name: 'hetqn-probe', ...(ca ? { tls: { ca } } : {}) });
    open = true;
    await nc.close();
  } catch (e) {
    const msg = (e as Error).message;
    if (!/authori[sz]ation|authentication|tls/i.test(msg)) throw new Error(`cannot reach NATS at ${servers.join(', ')}: ${msg}`);
  }
  if (!open) return;
  if (!insecure) throw new InsecureServerError(OPEN_NATS(servers.join(', ')));
  log(`warning: --insecure: NATS at ${servers.join(', ')} has no authentication; the bus is not zero-trust`);
}
