// Where hetqn's Redis is, as one URL parsed in one place (connect.ts builds every client from it):
//   redis://[user:pass@]host[:port][/db]                          one Redis (TLS: rediss://)
//   redis-sentinel://[user:pass@]h1[:p1],h2[:p2]/<master>[/db]     Sentinel: the sentinels and the master name
//                                                                 (TLS to sentinels and data nodes: rediss-sentinel://)
//   redis-cluster://[user:pass@]h1[:p1],h2[:p2]                   Redis Cluster: seed nodes (TLS: rediss-cluster://)
// Ports default to 6379 (data nodes) and 26379 (sentinels); IPv6 hosts in brackets. user:pass are the data
// nodes' credentials, used only where a caller allows the URL's user (admin tools); processes bring their own.
// Query parameters (all optional):
//   wait=N        replicas that must acknowledge every pool step before it is acknowledged (Redis WAIT);
//                 default 1 for sentinel and cluster, 0 for one Redis. Set it to the number of replicas of a
//                 master: only then does every replica a failover may promote hold every acknowledged step
//                 (README "Replication and failover").
//   waitMs=T      how long one WAIT may block (default 1000 ms); a step not acknowledged in time is retried.
//   retryMs=T     how long a pool step is retried across a failover before it fails (default 30000 ms for
//                 sentinel and cluster; 0 for one Redis, where ioredis's own reconnect and resend apply).
export type RedisMode = 'single' | 'sentinel' | 'cluster';

export interface HostPort { host: string; port: number }

export interface RedisTarget {
  mode: RedisMode;
  tls: boolean;
  /** single: the server; sentinel: the sentinels; cluster: seed nodes. */
  hosts: HostPort[];
  /** Sentinel: the monitored master's name. */
  name?: string;
  db: number;
  username?: string;
  password?: string;
  /** Replicas that must acknowledge each pool step (WAIT numreplicas). */
  replicas: number;
  waitMs: number;
  retryMs: number;
}

const SCHEMES: Record<string, { mode: RedisMode; tls: boolean }> = {
  'redis:': { mode: 'single', tls: false }, 'rediss:': { mode: 'single', tls: true },
  'redis-sentinel:': { mode: 'sentinel', tls: false }, 'rediss-sentinel:': { mode: 'sentinel', tls: true },
  'redis-cluster:': { mode: 'cluster', tls: false }, 'rediss-cluster:': { mode: 'cluster', tls: true },
};
const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const QUERY = ['wait', 'waitMs', 'retryMs'] as const;

function fail(url: string, why: string): never {
  throw new TypeError(`Redis URL ${redact(url)}: ${why}`);
}

/** The URL with its password replaced by *** (for error messages and logs). */
export function redact(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

function parseHost(url: string, s: string, defaultPort: number): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m) fail(url, `"${s}" is not host[:port]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) fail(url, `port ${port} out of range`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function nonNegativeInt(url: string, key: string, v: string): number {
  if (!/^\d{1,9}$/.test(v)) fail(url, `${key}=${v} must be a non-negative integer`);
  return Number(v);
}

export function parseRedisTarget(url: string): RedisTarget {
  const m = /^([a-z-]+:)\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url.trim());
  if (!m) fail(url, 'must look like redis://host:port, redis-sentinel://h1:p1,h2:p2/master or redis-cluster://h1:p1,h2:p2');
  const scheme = SCHEMES[m[1].toLowerCase()];
  if (!scheme) fail(url, `scheme ${m[1]} must be one of ${Object.keys(SCHEMES).map((s) => `${s}//`).join(', ')}`);
  const { mode, tls } = scheme;
  let username: string | undefined, password: string | undefined;
  if (m[2] !== undefined) {
    const i = m[2].indexOf(':');
    username = decodeURIComponent(i < 0 ? m[2] : m[2].slice(0, i)) || undefined;
    password = i < 0 ? undefined : decodeURIComponent(m[2].slice(i + 1)) || undefined;
  }
  const hosts = m[3].split(',').map((h) => parseHost(url, h, mode === 'sentinel' ? 26379 : 6379));
  if (mode === 'single' && hosts.length !== 1) fail(url, `one host for ${m[1]}// (several: redis-sentinel:// or redis-cluster://)`);
  const path = (m[4] ?? '').split('/').filter(Boolean);
  let name: string | undefined;
  if (mode === 'sentinel') {
    name = path.shift();
    if (!name || !NAME.test(name)) fail(url, 'needs the master name as its path: redis-sentinel://h1:p1,h2:p2/<master>');
  }
  if (mode === 'cluster' && path.length) fail(url, 'a Redis Cluster has only database 0: no path');
  if (path.length > 1) fail(url, `unexpected path /${path.join('/')}`);
  const db = path.length ? nonNegativeInt(url, 'db', path[0]) : 0;
  const q = new URLSearchParams(m[5] ?? '');
  for (const k of q.keys()) if (!(QUERY as readonly string[]).includes(k)) fail(url, `unknown parameter ${k} (known: ${QUERY.join(', ')})`);
  const ha = mode !== 'single';
  const get = (k: string, d: number) => (q.has(k) ? nonNegativeInt(url, k, q.get(k)!) : d);
  return {
    mode, tls, hosts, name, db, username, password,
    replicas: get('wait', ha ? 1 : 0), waitMs: get('waitMs', 1000), retryMs: get('retryMs', ha ? 30_000 : 0),
  };
}

const hostString = (h: HostPort) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;

/** The target as a URL again; without credentials unless asked (safe to log and to hand to processes). */
export function formatRedisTarget(t: RedisTarget, opts: { credentials?: boolean } = {}): string {
  const scheme = `${t.tls ? 'rediss' : 'redis'}${t.mode === 'single' ? '' : `-${t.mode}`}`;
  const cred = opts.credentials && (t.username || t.password)
    ? `${encodeURIComponent(t.username ?? '')}${t.password ? `:${encodeURIComponent(t.password)}` : ''}@` : '';
  const path = [t.name, t.db ? String(t.db) : undefined].filter((x) => x !== undefined).join('/');
  const ha = t.mode !== 'single';
  const q = new URLSearchParams();
  if (t.replicas !== (ha ? 1 : 0)) q.set('wait', String(t.replicas));
  if (t.waitMs !== 1000) q.set('waitMs', String(t.waitMs));
  if (t.retryMs !== (ha ? 30_000 : 0)) q.set('retryMs', String(t.retryMs));
  const qs = q.toString();
  return `${scheme}://${cred}${t.hosts.map(hostString).join(',')}${path ? `/${path}` : ''}${qs ? `?${qs}` : ''}`;
}

/** The same target with some query parameters changed (e.g. { retryMs: 90000 }). */
export function withTargetParams(url: string, p: { wait?: number; waitMs?: number; retryMs?: number }): string {
  const t = parseRedisTarget(url);
  return formatRedisTarget({ ...t, replicas: p.wait ?? t.replicas, waitMs: p.waitMs ?? t.waitMs, retryMs: p.retryMs ?? t.retryMs }, { credentials: true });
}
