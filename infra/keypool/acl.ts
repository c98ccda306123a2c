// Redis ACL users for the key pools. The launcher calls generatePoolUsers() once per network, then either
// passes `aclLines` to startRedis({ users }) (they go to the server's ACL file) or installs the users on a
// running Redis with applyPoolUsers(), which also saves them to the ACL file (ACL SAVE) so they survive
// a restart. Passwords are random (192 bits); the ACL file gets only their SHA-256.
//
// node user qn-<net>-<node>: read/write qn:<net>:pool:<node>:* (its pools' key material) and
//   qn:<net>:stats:<node>:* (their counters), read/write qn:<net>:ref:from=<node>:* (key-ID directory entries it
//   publishes) and read qn:<net>:ref:*:to=<node>:* (entries published for it), publish and subscribe on its
//   low-water channel. Commands: FCALL/FCALL_RO of the pool library, the data commands those functions call
//   (Redis checks a function's commands against the caller's ACL, so they cannot be withheld), the few
//   direct reads of store.ts, and nothing else: no EVAL/EVALSHA/SCRIPT/FUNCTION, no INFO, KEYS, SCAN, CONFIG.
// server user qn-<net>-server: read-only qn:<net>:stats:* and subscribe to low-water channels; no key material;
//   read/write qn:<net>:decision:* (the sessions' commit/abort decisions, decisions.ts) with GET/SET and FCALL.
// admin user qn-<net>-admin: everything (for the launcher; the default user is off).
import { createHash, randomBytes } from 'node:crypto';
import type { NodeId } from '../../protocols/types.ts';
import type { RedisClient } from './connect.ts';
import { checkId } from './names.ts';
import { eachDataNode } from './nodes.ts';
import { formatRedisTarget, parseRedisTarget } from './target.ts';

export interface RedisCredential { username: string; password: string; rules: string[] }

export interface PoolUsers {
  nodes: Record<NodeId, RedisCredential>;
  server: RedisCredential;
  admin: RedisCredential;
  /** `user ...` lines for the ACL file (startRedis({ users })); with disableDefault also turns the default user off. */
  aclLines: string[];
}

/** What the library functions call (lua.ts), as Redis checks each call against the caller's ACL. */
export const FUNCTION_COMMANDS = [
  'time', 'get', 'set', 'del', 'getrange', 'setrange', 'setbit',
  'hget', 'hmget', 'hset', 'hsetnx', 'hdel', 'hincrby',
  'zadd', 'zrem', 'zrange', 'zrangebyscore', 'zscore', 'sadd', 'publish',
];
/** What a client needs on a replicated Redis: WAIT for replicas (durable.ts), and on a Redis Cluster the slot
 *  map and state (ioredis Cluster) and ASKING for a slot in migration. Harmless on one Redis. */
export const HA_COMMANDS = ['wait', 'cluster|slots', 'cluster|info', 'asking'];
/** Connection upkeep, the function calls, store.ts's direct reads of its own keys, and its low-water channel. */
export const NODE_COMMANDS = [
  'ping', 'quit', 'acl|whoami', 'fcall', 'fcall_ro', 'hgetall', 'smembers', 'mget', 'subscribe', 'unsubscribe',
  ...FUNCTION_COMMANDS, ...HA_COMMANDS,
];
export const SERVER_COMMANDS = ['ping', 'quit', 'acl|whoami', 'hgetall', 'hget', 'smembers', 'scan', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe',
  'get', 'set', 'pexpire', 'fcall', ...HA_COMMANDS];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newPassword = () => randomBytes(24).toString('hex');

export function nodeUserName(net: string, node: NodeId): string { return `qn-${net}-${node}`; }

export function nodeRules(net: string, node: NodeId): string[] {
  checkId('net', net); checkId('node', node);
  return [
    'resetkeys', `~qn:${net}:pool:${node}:*`, `~qn:${net}:stats:${node}:*`,
    `~qn:${net}:ref:from=${node}:*`, `%R~qn:${net}:ref:*:to=${node}:*`,
    'resetchannels', `&qn:${net}:lowwater:${node}`,
    '-@all', ...NODE_COMMANDS.map((c) => `+${c}`),
  ];
}

export function serverRules(net: string): string[] {
  checkId('net', net);
  return ['resetkeys', `%R~qn:${net}:stats:*`, `~qn:${net}:decision:*`, 'resetchannels', `&qn:${net}:lowwater:*`, '-@all', ...SERVER_COMMANDS.map((c) => `+${c}`)];
}

const ADMIN_RULES = ['~*', '&*', '+@all'];

/** Users and fresh passwords for every node, the server and an admin. */
export function generatePoolUsers(net: string, nodes: NodeId[], opts: { disableDefault?: boolean } = {}): PoolUsers {
  checkId('net', net);
  const mk = (username: string, rules: string[]): RedisCredential => ({ username, password: newPassword(), rules });
  const nodeCreds: Record<NodeId, RedisCredential> = {};
  for (const n of nodes) nodeCreds[n] = mk(nodeUserName(net, n), nodeRules(net, n));
  const server = mk(`qn-${net}-server`, serverRules(net));
  const admin = mk(`qn-${net}-admin`, ADMIN_RULES);
  const all = [...Object.values(nodeCreds), server, admin];
  const aclLines = all.map((u) => `user ${u.username} reset on #${sha256(u.password)} ${u.rules.join(' ')}`);
  if (opts.disableDefault) aclLines.push('user default off');
  return { nodes: nodeCreds, server, admin, aclLines };
}

/**
 * Create or replace the users on a running Redis (the connection needs ACL SETUSER rights) and save them to
 * its ACL file; `persisted` is false when a node has none (users set then are lost on its restart).
 * ACLs are per server, so on a Redis Cluster this runs on every master and replica, and behind Sentinel on the
 * master and every replica it reports (a promoted replica must know the users); a node it cannot reach fails it.
 * `include` limits it, e.g. ['nodes'] to add nodes to a network without replacing the server/admin passwords.
 */
export async function applyPoolUsers(admin: RedisClient, users: PoolUsers, include: ('nodes' | 'server' | 'admin')[] = ['nodes', 'server', 'admin']): Promise<{ persisted: boolean; nodes: number }> {
  const list = [
    ...(include.includes('nodes') ? Object.values(users.nodes) : []),
    ...(include.includes('server') ? [users.server] : []),
    ...(include.includes('admin') ? [users.admin] : []),
  ];
  let persisted = true;
  const nodes = await eachDataNode(admin, 'all', async (node) => {
    for (const u of list) {
      await node.call('ACL', 'SETUSER', u.username, 'reset', 'on', `#${sha256(u.password)}`, ...u.rules);
    }
    try {
      await node.call('ACL', 'SAVE');
    } catch (e) {
      if (!/not configured to use an ACL file/i.test((e as Error).message)) throw e;
      persisted = false;
    }
  });
  return { persisted, nodes };
}

/** A Redis URL (any target.ts form) with the credential embedded (for processes that take one URL). */
export function credentialUrl(baseUrl: string, c: RedisCredential): string {
  return formatRedisTarget({ ...parseRedisTarget(baseUrl), username: c.username, password: c.password }, { credentials: true });
}
