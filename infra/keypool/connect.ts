// Redis connections of hetqn processes. A process names its own Redis user explicitly; the URL only says
// where Redis is (credentials in it are dropped unless the caller opts in), so a REDIS_URL carrying the
// admin's password never makes a node or the server run as the admin. TLS (rediss:// or `tls`) trusts
// the given CA, optionally with a client certificate for Redis's tls-auth-clients.
import { Redis, type RedisOptions } from 'ioredis';
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

export interface RedisTlsFiles { caFile: string; certFile?: string; keyFile?: string }

export interface RedisConnectOptions {
  username?: string;
  password?: string;
  /** TLS: node TLS options (ca, cert, key) or the PEM files. A rediss:// URL without this trusts the system CAs. */
  tls?: ConnectionOptions | RedisTlsFiles;
  /** Use the URL's user and password when no username/password is given (admin tools, tests). */
  allowUrlCredentials?: boolean;
  /** Extra ioredis options. */
  redis?: RedisOptions;
}

/** The URL without user and password: safe to log and to hand to processes that have their own user. */
export function redisAddress(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function tlsOptions(tls: RedisConnectOptions['tls'], scheme: string): ConnectionOptions | undefined {
  if (!tls) return scheme === 'rediss:' ? {} : undefined;
  if (!('caFile' in tls)) return tls;
  const read = (f?: string) => (f ? fs.readFileSync(f, 'utf8') : undefined);
  return { ca: [read(tls.caFile)!], cert: read(tls.certFile), key: read(tls.keyFile) };
}

/** ioredis options for `url` with exactly the given credentials (see RedisConnectOptions). */
export function redisOptions(url: string, opts: RedisConnectOptions = {}): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TypeError(`Redis URL: ${redisAddress(url)} must start with redis:// or rediss://`);
  const fromUrl = opts.allowUrlCredentials && !opts.username;
  const db = Number(u.pathname.slice(1) || 0);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 6379), db,
    username: fromUrl ? decodeURIComponent(u.username) || undefined : opts.username,
    password: fromUrl ? decodeURIComponent(u.password) || undefined : opts.password,
    tls: tlsOptions(opts.tls, u.protocol),
    enableReadyCheck: false,
    ...opts.redis,
  };
}

export function openRedis(url: string, opts: RedisConnectOptions = {}): Redis {
  return new Redis(redisOptions(url, opts));
}

/**
 * A process's connection as its own Redis user (a node, the server): refused when it has none, unless
 * allowUrlCredentials says the process may run as the URL's user (an explicitly insecure network).
 */
export function openOwnRedis(url: string, opts: RedisConnectOptions, who: string): Redis {
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

/**
 * True when Redis at `url` answers PING on a connection that sent no credentials at all (its `default`
 * user is on without a password): anyone who reaches the port reads every pool. A hetqn launcher
 * refuses such a Redis unless told --insecure. Rejects when Redis cannot be reached.
 */
export async function redisAcceptsAnonymous(url: string, tls?: RedisConnectOptions['tls']): Promise<boolean> {
  const r = openRedis(url, { tls, redis: { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 } });
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
