// Private replicated Redis setups on free ports, hardened as startRedis (servers.ts) is: every data node has
// the ACL file with the pool users and the admin, the `default` user off, AOF; the functions library is on
// every master (and reaches replicas by replication).
//   startRedisCluster: a Redis Cluster, 3 masters with one replica each (slots split evenly).
//   startRedisSentinel: one master, 2 replicas and 3 sentinels monitoring it under the name `hetqn`.
// Replication runs as its own user (masteruser hetqn-repl: PSYNC/REPLCONF/PING only); sentinels reach the
// data nodes as hetqn-sentinel (the commands the Redis Sentinel docs list), each other as hetqn-sentinel-peer,
// and clients reach the sentinels as hetqn-sentinel-client, which may only ask where the master is.
// Used by tests (failover under load) and `hetqn up --redis-mode cluster|sentinel`.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { launch, startRedis, type ManagedServer, type RedisOptions as ServerRedisOptions } from './servers.ts';
import { formatRedisTarget } from './keypool/target.ts';
import { loadPoolLibrary } from './keypool/library.ts';
import { openRedis } from './keypool/connect.ts';

interface Credential { username: string; password: string }

export interface ManagedRedisHa {
  readonly mode: 'cluster' | 'sentinel';
  /** The admin's target URL (credentials embedded, never log it). */
  readonly url: string;
  /** The target URL without credentials. */
  readonly address: string;
  readonly admin: Credential;
  /** Sentinel: what clients authenticate to the sentinels with (HETQN_REDIS_SENTINEL_USER/PASSWORD). */
  readonly sentinelAuth?: Credential;
  /** Data nodes (cluster: masters first, then their replicas, as created; roles change on failover). */
  readonly nodes: ManagedServer[];
  readonly sentinels: ManagedServer[];
  /** The data nodes that are masters now (cluster: by the cluster's view; sentinel: the sentinels' answer). */
  masters(): Promise<ManagedServer[]>;
  /** Resolve when every master has its replicas connected and in sync, and the cluster/sentinels agree. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** An admin connection straight to one data node (the caller disconnects it). */
  adminOf(node: ManagedServer): Redis;
  stop(): Promise<void>;
}

export interface RedisHaOptions {
  /** ACL file lines of the pool users (acl.ts generatePoolUsers().aclLines), on every data node. */
  users?: string[];
  admin?: Credential;
  appendfsync?: ServerRedisOptions['appendfsync'];
}

const fresh = (username: string): Credential => ({ username, password: randomBytes(24).toString('hex') });
const sha = (p: string) => createHash('sha256').update(p).digest('hex');
const line = (c: Credential, rules: string) => `user ${c.username} reset on #${sha(c.password)} ${rules}`;
const REPL_RULES = 'resetkeys resetchannels -@all +psync +replconf +ping';
/** What a sentinel runs on the data nodes (Redis Sentinel documentation, "Redis Sentinel and ACL"). */
const SENTINEL_ON_DATA_RULES = 'resetkeys &* -@all +multi +exec +slaveof +replicaof +ping +subscribe +publish +info +role '
  + '+config|rewrite +config|set +client|setname +client|kill +script|kill +auth';
const SENTINEL_CLIENT_RULES = 'resetkeys resetchannels -@all +ping +client|setname '
  + '+sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +sentinel|slaves';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a server, again on a fresh port if it fails (a free port taken by someone else meanwhile). */
async function startWithRetry(start: () => Promise<ManagedServer>): Promise<ManagedServer> {
  for (let attempt = 1; ; attempt++) {
    try { return await start(); } catch (e) { if (attempt >= 3) throw e; }
  }
}

async function until(what: string, timeoutMs: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try { if (await ok()) return; } catch (e) { last = (e as Error).message; }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
    await sleep(100);
  }
}

function directAdmin(node: ManagedServer): Redis {
  const r = openRedis(node.url, { allowUrlCredentials: true, redis: { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null } }) as Redis;
  r.on('error', () => undefined);
  return r;
}

async function withAdmin<T>(node: ManagedServer, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = directAdmin(node);
  try { return await f(r); } finally { r.disconnect(); }
}

type Role = ['master', number, [string, string, string][]] | ['slave', string, number, string, number];

/** Every master has `perMaster` replicas online and each replica's link is up. */
async function replicationHealthy(nodes: ManagedServer[], masters: ManagedServer[], perMaster: number): Promise<boolean> {
  const alive = nodes.filter((n) => n.pid() !== undefined);
  for (const n of alive) {
    const role = await withAdmin(n, (r) => r.call('ROLE') as Promise<Role>);
    if (masters.includes(n)) { if (role[0] !== 'master' || role[2].length < perMaster) return false; }
    else if (role[0] !== 'slave' || role[3] !== 'connected') return false;
  }
  return true;
}

// ---------- Redis Cluster ----------

const CLUSTER_NODE_TIMEOUT_MS = 3000;

function clusterConfig(repl: Credential): string[] {
  return [
    'cluster-enabled yes', 'cluster-config-file nodes.conf', `cluster-node-timeout ${CLUSTER_NODE_TIMEOUT_MS}`,
    // The other masters' slots keep working while one fails over.
    'cluster-require-full-coverage no',
    // A replica may take over however long it was cut off: a failover always happens (tests kill masters).
    'cluster-replica-validity-factor 0',
    `masteruser ${repl.username}`, `masterauth ${repl.password}`,
  ];
}

/** `CLUSTER NODES` as { port -> { id, master } } for the connected nodes. */
async function clusterView(r: Redis): Promise<Map<number, { id: string; master: boolean; failed: boolean }>> {
  const out = new Map<number, { id: string; master: boolean; failed: boolean }>();
  for (const l of String(await r.call('CLUSTER', 'NODES')).trim().split('\n')) {
    const [id, addr, flags] = l.split(' ');
    out.set(Number(addr.split('@')[0].split(':').at(-1)), { id, master: flags.split(',').includes('master'), failed: /fail/.test(flags) });
  }
  return out;
}

export async function startRedisCluster(opts: RedisHaOptions & { masters?: number } = {}): Promise<ManagedRedisHa> {
  const masterCount = opts.masters ?? 3;
  const admin = opts.admin ?? fresh('hetqn-admin');
  const repl = fresh('hetqn-repl');
  const users = [...(opts.users ?? []), line(repl, REPL_RULES)];
  const nodes: ManagedServer[] = [];
  try {
    for (let i = 0; i < 2 * masterCount; i++) {
      nodes.push(await startWithRetry(() => startRedis({ admin, users, appendfsync: opts.appendfsync, extraConfig: clusterConfig(repl) })));
    }
    const ids = await Promise.all(nodes.map((n) => withAdmin(n, async (r) => String(await r.call('CLUSTER', 'MYID')))));
    for (let i = 0; i < masterCount; i++) {
      const from = Math.floor((16384 * i) / masterCount), to = Math.floor((16384 * (i + 1)) / masterCount) - 1;
      await withAdmin(nodes[i], (r) => r.call('CLUSTER', 'ADDSLOTSRANGE', from, to));
    }
    await withAdmin(nodes[0], async (r) => { for (const n of nodes.slice(1)) await r.call('CLUSTER', 'MEET', '127.0.0.1', n.port); });
    await until('every cluster node knowing every other', 30_000, async () => {
      for (const n of nodes) if ((await withAdmin(n, clusterView)).size !== nodes.length) return false;
      return true;
    });
    for (let i = 0; i < masterCount; i++) await withAdmin(nodes[masterCount + i], (r) => r.call('CLUSTER', 'REPLICATE', ids[i]));
  } catch (e) {
    for (const n of nodes) await n.stop().catch(() => undefined);
    throw e;
  }
  const hosts = nodes.slice(0, masterCount).map((n) => ({ host: '127.0.0.1', port: n.port }));
  const target = { mode: 'cluster' as const, tls: false, hosts, db: 0, replicas: 1, waitMs: 1000, retryMs: 30_000 };
  const masters = async () => {
    const live = nodes.filter((n) => n.pid() !== undefined);
    const view = await withAdmin(live[0], clusterView);
    return live.filter((n) => { const v = view.get(n.port); return v?.master && !v.failed; });
  };
  const ha: ManagedRedisHa = {
    mode: 'cluster', admin, nodes, sentinels: [],
    url: formatRedisTarget({ ...target, ...admin }, { credentials: true }), address: formatRedisTarget(target),
    masters, adminOf: directAdmin,
    async waitHealthy(timeoutMs = 60_000) {
      await until('a healthy cluster (state ok, every master with an online replica)', timeoutMs, async () => {
        for (const n of nodes.filter((x) => x.pid() !== undefined)) {
          if (!/cluster_state:ok/.test(String(await withAdmin(n, (r) => r.call('CLUSTER', 'INFO'))))) return false;
          // every node's slot map names a master and a replica for every range (gossip has spread the roles)
          const slots = await withAdmin(n, (r) => r.call('CLUSTER', 'SLOTS') as Promise<unknown[][]>);
          if (slots.length !== masterCount || slots.some((s) => s.length < 4)) return false;
        }
        const m = await masters();
        return m.length === masterCount && replicationHealthy(nodes, m, 1);
      });
    },
    async stop() { for (const n of nodes) await n.stop(); },
  };
  try { await ha.waitHealthy(); } catch (e) { await ha.stop(); throw e; }
  return ha;
}

// ---------- Sentinel ----------

export const SENTINEL_MASTER_NAME = 'hetqn';
const DOWN_AFTER_MS = 2000;

function sentinelConf(port: number, dir: string, master: ManagedServer, onData: Credential, peer: Credential, client: Credential): string {
  const name = SENTINEL_MASTER_NAME;
  return [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no',
    'user default off resetpass -@all',
    line(client, SENTINEL_CLIENT_RULES), line(peer, '~* &* +@all'),
    `sentinel sentinel-user ${peer.username}`, `sentinel sentinel-pass ${peer.password}`,
    `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
    `sentinel auth-user ${name} ${onData.username}`, `sentinel auth-pass ${name} ${onData.password}`,
    `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${name} 10000`, `sentinel parallel-syncs ${name} 2`,
    'sentinel deny-scripts-reconfig yes',
  ].join('\n') + '\n';
}

async function startSentinel(master: ManagedServer, onData: Credential, peer: Credential, client: Credential): Promise<ManagedServer> {
  const url = (port: number) => `redis://${peer.username}:${peer.password}@127.0.0.1:${port}`;
  return launch('redis', {
    argsFor: (port, dir) => {
      const conf = path.join(dir, 'sentinel.conf');
      // Sentinel rewrites its file (what it learnt: replicas, other sentinels, failovers); keep it on restart.
      if (!fs.existsSync(conf)) fs.writeFileSync(conf, sentinelConf(port, dir, master, onData, peer, client), { mode: 0o600 });
      return [conf, '--sentinel'];
    },
    ready: async (port) => {
      await until('sentinel answering', 15_000, async () => {
        const r = new Redis({ port, host: '127.0.0.1', username: client.username, password: client.password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false });
        r.on('error', () => undefined);
        try { await r.connect(); return (await r.ping()) === 'PONG'; } finally { r.disconnect(); }
      });
    },
    url, address: (port) => `redis://127.0.0.1:${port}`,
  });
}

export async function startRedisSentinel(opts: RedisHaOptions & { replicas?: number } = {}): Promise<ManagedRedisHa> {
  const replicaCount = opts.replicas ?? 2;
  const admin = opts.admin ?? fresh('hetqn-admin');
  const repl = fresh('hetqn-repl'), onData = fresh('hetqn-sentinel'), peer = fresh('hetqn-sentinel-peer'), client = fresh('hetqn-sentinel-client');
  const users = [...(opts.users ?? []), line(repl, REPL_RULES), line(onData, SENTINEL_ON_DATA_RULES)];
  const replConf = [`masteruser ${repl.username}`, `masterauth ${repl.password}`];
  const nodes: ManagedServer[] = [];
  const sentinels: ManagedServer[] = [];
  const stopAll = async () => { for (const s of [...sentinels, ...nodes]) await s.stop().catch(() => undefined); };
  try {
    const master = await startWithRetry(() => startRedis({ admin, users, appendfsync: opts.appendfsync, extraConfig: replConf }));
    nodes.push(master);
    for (let i = 0; i < replicaCount; i++) {
      nodes.push(await startWithRetry(() => startRedis({ admin, users, appendfsync: opts.appendfsync, poolLibrary: false, extraConfig: [...replConf, `replicaof 127.0.0.1 ${master.port}`] })));
    }
    for (let i = 0; i < 3; i++) sentinels.push(await startWithRetry(() => startSentinel(master, onData, peer, client)));
  } catch (e) {
    await stopAll();
    throw e;
  }
  const hosts = sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  // Every replica must hold a step (wait = all replicas): a SENTINEL FAILOVER promotes one replica while the
  // old master still serves, and a step acknowledged by the other replica alone would be lost.
  const target = { mode: 'sentinel' as const, tls: false, hosts, name: SENTINEL_MASTER_NAME, db: 0, replicas: replicaCount, waitMs: 1000, retryMs: 30_000 };
  const askSentinels = async <T>(f: (r: Redis) => Promise<T>): Promise<T[]> => Promise.all(sentinels.filter((s) => s.pid() !== undefined).map((s) => withAdmin(s, f)));
  const masters = async () => {
    const ports = new Set((await askSentinels(async (r) => (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME) as string[])[1])).map(Number));
    if (ports.size !== 1) throw new Error(`the sentinels disagree on the master: ports ${[...ports].join(', ')}`);
    return nodes.filter((n) => ports.has(n.port));
  };
  const ha: ManagedRedisHa = {
    mode: 'sentinel', admin, nodes, sentinels, sentinelAuth: client,
    url: formatRedisTarget({ ...target, ...admin }, { credentials: true }), address: formatRedisTarget(target),
    masters, adminOf: directAdmin,
    async waitHealthy(timeoutMs = 60_000) {
      await until('a healthy Sentinel setup (one master with its replicas online, known to every sentinel)', timeoutMs, async () => {
        const m = await masters();
        if (m.length !== 1 || !(await replicationHealthy(nodes, m, replicaCount))) return false;
        const views = await askSentinels(async (r) => {
          const info = (await r.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[];
          const f = new Map<string, string>(); for (let i = 0; i < info.length; i += 2) f.set(info[i], info[i + 1]);
          return f;
        });
        return views.every((v) => !/down|failover/.test(v.get('flags') ?? '') && Number(v.get('num-slaves')) >= replicaCount
          && Number(v.get('num-other-sentinels')) === sentinels.length - 1);
      });
    },
    stop: stopAll,
  };
  try {
    // FUNCTION LOAD replicates; the library is on the master (startRedis) and the replicas get it by syncing.
    await ha.waitHealthy();
    const r = openRedis(ha.url, { allowUrlCredentials: true, sentinel: client });
    try { await loadPoolLibrary(r); } finally { r.disconnect(); }
  } catch (e) {
    await stopAll();
    throw e;
  }
  return ha;
}
