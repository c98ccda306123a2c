// Redis connections of hetqn processes, built from one target URL (target.ts: one Redis, Sentinel or
// Redis Cluster). A process names its own Redis user explicitly; the URL only says where Redis is
// (credentials in it are dropped unless the caller opts in), so a REDIS_URL carrying the admin's password
// never makes a node or the server run as the admin. TLS (rediss*://, or `tls`) trusts the given CA,
// optionally with a client certificate for Redis's tls-auth-clients. Sentinels may require their own user
// (a discovery-only credential: opts.sentinel, else HETQN_REDIS_SENTINEL_USER / HETQN_REDIS_SENTINEL_PASSWORD).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { formatRedisTarget, parseRedisTarget, type RedisTarget } from './target.ts';

/** A connection to hetqn's Redis: one server (also behind Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisTlsFiles { caFile: string; certFile?: string; keyFile?: string }

export interface RedisConnectOptions {
  username?: string;
  password?: string;
  /** TLS: node TLS options (ca, cert, key) or the PEM files. A rediss*:// URL without this trusts the system CAs. */
  tls?: ConnectionOptions | RedisTlsFiles;
  /** Use the URL's user and password when no username/password is given (admin tools, tests). */
  allowUrlCredentials?: boolean;
  /** The sentinels' own user (Sentinel targets); default from HETQN_REDIS_SENTINEL_USER/PASSWORD. */
  sentinel?: { username?: string; password?: string };
  /** Extra ioredis options (for a cluster: of each node's connection; lazyConnect applies to the cluster). */
  redis?: RedisOptions;
}

/** How a client's pool steps are made durable across a failover (target.ts wait, waitMs, retryMs). */
export interface Durability { replicas: number; waitMs: number; retryMs: number }
const NO_REPLICAS: Durability = { replicas: 0, waitMs: 0, retryMs: 0 };
const durabilities = new WeakMap<object, Durability>();

/** The durability of a client opened here (openRedis); a client made elsewhere waits for no replica. */
export function durabilityOf(client: RedisClient): Durability {
  return durabilities.get(client) ?? NO_REPLICAS;
}

/** The URL without user and password: safe to log and to hand to processes that have their own user. */
export function redisAddress(url: string): string {
  return formatRedisTarget(parseRedisTarget(url));
}

function tlsOptions(tls: RedisConnectOptions['tls'], on: boolean): ConnectionOptions | undefined {
  if (!tls) return on ? {} : undefined;
  if (!('caFile' in tls)) return tls;
  const read = (f?: string) => (f ? fs.readFileSync(f, 'utf8') : undefined);
  return { ca: [read(tls.caFile)!], cert: read(tls.certFile), key: read(tls.keyFile) };
}

function credentials(t: RedisTarget, opts: RedisConnectOptions): { username?: string; password?: string } {
  const fromUrl = opts.allowUrlCredentials && !opts.username;
  return fromUrl ? { username: t.username, password: t.password } : { username: opts.username, password: opts.password };
}

/** The sentinels' credentials: explicit, else from the environment. */
export function sentinelAuth(opts: RedisConnectOptions, env: NodeJS.ProcessEnv = process.env): { sentinelUsername?: string; sentinelPassword?: string } {
  const s = opts.sentinel ?? { username: env.HETQN_REDIS_SENTINEL_USER || undefined, password: env.HETQN_REDIS_SENTINEL_PASSWORD || undefined };
  return { sentinelUsername: s.username, sentinelPassword: s.password };
}

/** ioredis options for one Redis or a Sentinel-managed master at `url` with exactly the given credentials. */
export function redisOptions(url: string, opts: RedisConnectOptions = {}): RedisOptions {
  const t = parseRedisTarget(url);
  if (t.mode === 'cluster') throw new TypeError(`Redis URL ${redisAddress(url)}: a cluster needs openRedis (ioredis Cluster), not single-server options`);
  const tls = tlsOptions(opts.tls, t.tls);
  const common: RedisOptions = { ...credentials(t, opts), db: t.db, tls, enableReadyCheck: false };
  if (t.mode === 'single') return { host: t.hosts[0].host, port: t.hosts[0].port, ...common, ...opts.redis };
  return {
    sentinels: t.hosts, name: t.name, role: 'master', ...sentinelAuth(opts),
    enableTLSForSentinelMode: t.tls, sentinelTLS: tls,
    // A caller that wants no reconnects (a probe) asks each sentinel once; otherwise ioredis keeps asking them
    // (giving up would end the connection for good).
    ...(opts.redis?.retryStrategy === undefined ? {} : { sentinelRetryStrategy: () => null }),
    // A master demoted by a failover answers READONLY: reconnect (asking the sentinels again) and resend.
    reconnectOnError: (err) => (/^READONLY/.test(err.message) ? 2 : false),
    ...common, ...opts.redis,
  };
}

function clusterOptions(t: RedisTarget, opts: RedisConnectOptions): ClusterOptions {
  const { lazyConnect, retryStrategy, ...node } = opts.redis ?? {};
  return {
    lazyConnect,
    // Pipelines of a step and its WAIT must not be split across nodes: resend whole steps only (store.ts retries).
    redisOptions: { ...credentials(t, opts), tls: tlsOptions(opts.tls, t.tls), enableReadyCheck: false, autoResendUnfulfilledCommands: false, ...node },
    scaleReads: 'master',
    retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
    // A caller that wants no reconnects (a probe) gets none for the cluster either.
    ...(retryStrategy === undefined ? {} : { clusterRetryStrategy: () => null }),
  };
}

export function openRedis(url: string, opts: RedisConnectOptions = {}): RedisClient {
  const t = parseRedisTarget(url);
  const client = t.mode === 'cluster' ? new Cluster(t.hosts, clusterOptions(t, opts)) : new Redis(redisOptions(url, opts));
  durabilities.set(client, { replicas: t.replicas, waitMs: t.waitMs, retryMs: t.retryMs });
  return client;
}

/**
 * A process's connection as its own Redis user (a node, the server): refused when it has none, unless
 * allowUrlCredentials says the process may run as the URL's user (an explicitly insecure network).
 */
export function openOwnRedis(url: string, opts: RedisConnectOptions, who: string): RedisClient {
  if (!opts.allowUrlCredentials && !(opts.username && opts.password)) {
    throw new Error(`${who}: no Redis user of its own (HETQN_REDIS_USER/HETQN_REDIS_PASSWORD, from the launcher or the node's bundle); `
      + 'refusing to run as the Redis URL\'s user unless the network is explicitly insecure (HETQN_INSECURE=1)');
  }
  return openRedis(url, opts);
}

/** How a hetqn process connects to Redis, from its environment: its own user (node: HETQN_REDIS_USER/PASSWORD,
 *  server: HETQN_SERVER_REDIS_USER/PASSWORD), TLS (HETQN_REDIS_CA/CERT/KEY), and HETQN_INSECURE=1 to allow the URL's user. */
export function redisOptionsFromEnv(who: 'node' | 'server', env: NodeJS.ProcessEnv = process.env): RedisConnectOptions {
  const [username, password] = who === 'node' ? [env.HETQN_REDIS_USER, env.HETQN_REDIS_PASSWORD] : [env.HETQN_SERVER_REDIS_USER, env.HETQN_SERVER_REDIS_PASSWORD];
  return { username: username || undefined, password: password || undefined, tls: redisTlsFromEnv(env), allowUrlCredentials: env.HETQN_INSECURE === '1' };
}

/** TLS files for Redis clients from HETQN_REDIS_CA / HETQN_REDIS_CERT / HETQN_REDIS_KEY (what the launcher sets). */
export function redisTlsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTlsFiles | undefined {
  if (!env.HETQN_REDIS_CA) return undefined;
  return { caFile: env.HETQN_REDIS_CA, certFile: env.HETQN_REDIS_CERT || undefined, keyFile: env.HETQN_REDIS_KEY || undefined };
}

const PROBE: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 };

async function pingsAnonymously(r: Redis): Promise<boolean> {
  r.on('error', () => undefined);
  try {
    await r.connect();
    try {
      return (await r.ping()) === 'PONG';
    } catch (e) {
      if (/NOAUTH|NOPERM|WRONGPASS/.test((e as Error).message)) return false;
      throw e;
    }
  } finally {
    r.disconnect();
  }
}

/**
 * True when a Redis data node at `url` (the server, the Sentinel-managed master, or any cluster seed node)
 * answers PING on a connection that sent no credentials at all (its `default` user is on without a
 * password): anyone who reaches the port reads every pool. A hetqn launcher refuses such a Redis unless told
 * --insecure. Rejects when Redis cannot be reached.
 */
export async function redisAcceptsAnonymous(url: string, tls?: RedisConnectOptions['tls'], sentinel?: RedisConnectOptions['sentinel']): Promise<boolean> {
  const t = parseRedisTarget(url);
  if (t.mode !== 'cluster') return pingsAnonymously(new Redis(redisOptions(url, { tls, sentinel, redis: PROBE })));
  let lastError: Error | undefined, reached = false;
  for (const h of t.hosts) {
    const single = formatRedisTarget({ ...t, mode: 'single', hosts: [h], replicas: 0, retryMs: 0 });
    try {
      if (await pingsAnonymously(new Redis(redisOptions(single, { tls, redis: PROBE })))) return true;
      reached = true;
    } catch (e) { lastError = e as Error; }
  }
  if (!reached) throw lastError!;
  return false;
}
