// Redis ACL users for the key pools. The launcher calls generatePoolUsers() once per network, then either
// passes `configLines` to startRedis({ extraConfig }) or applies the users to a running Redis with
// applyPoolUsers(). Passwords are random (192 bits); redis.conf gets only their SHA-256.
//
// node user qn-<net>-<node>: read/write qn:<net>:pool:<node>:* (its pools' key material) and
//   qn:<net>:stats:<node>:* (their counters), write qn:<net>:ref:from=<node>:* (key-ID directory entries it
//   publishes) and read qn:<net>:ref:*:to=<node>:* (entries published for it), publish on its low-water
//   channel, and only the commands the pool scripts and store use.
// server user qn-<net>-server: read-only qn:<net>:stats:* and subscribe to low-water channels; no key material;
//   read/write qn:<net>:decision:* (the sessions' commit/abort decisions, decisions.ts) with get/set/eval.
// admin user qn-<net>-admin: everything (for the launcher; the default user can then be disabled).
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NodeId } from '../../protocols/types.ts';
import { checkId } from './names.ts';

export interface RedisCredential { username: string; password: string; rules: string[] }

export interface PoolUsers {
  nodes: Record<NodeId, RedisCredential>;
  server: RedisCredential;
  admin: RedisCredential;
  /** `user ...` lines for redis.conf (startRedis extraConfig); with disableDefault also turns the default user off. */
  configLines: string[];
}

/** Commands the pool scripts call plus what the store and ioredis send outside scripts. */
export const NODE_COMMANDS = [
  'ping', 'info', 'quit', 'eval', 'evalsha', 'script|load', 'script|exists',
  'time', 'get', 'mget', 'set', 'del', 'getrange', 'setrange', 'setbit', 'pexpire',
  'hget', 'hmget', 'hset', 'hsetnx', 'hdel', 'hincrby', 'hgetall',
  'zadd', 'zrem', 'zrange', 'zrangebyscore', 'sadd', 'smembers', 'publish',
];
export const SERVER_COMMANDS = ['ping', 'info', 'quit', 'hgetall', 'hget', 'smembers', 'scan', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe',
  'get', 'set', 'eval', 'evalsha', 'script|load', 'script|exists'];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newPassword = () => randomBytes(24).toString('hex');

export function nodeUserName(net: string, node: NodeId): string { return `qn-${net}-${node}`; }

export function nodeRules(net: string, node: NodeId): string[] {
  checkId('net', net); checkId('node', node);
  return [
    'resetkeys', `~qn:${net}:pool:${node}:*`, `~qn:${net}:stats:${node}:*`,
    `%W~qn:${net}:ref:from=${node}:*`, `%R~qn:${net}:ref:*:to=${node}:*`,
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
  const configLines = all.map((u) => `user ${u.username} reset on #${sha256(u.password)} ${u.rules.join(' ')}`);
  if (opts.disableDefault) configLines.push('user default off');
  return { nodes: nodeCreds, server, admin, configLines };
}

/**
 * Create or replace the users on a running Redis (the connection needs ACL SETUSER rights).
 * `include` limits it, e.g. ['nodes'] to add nodes to a network without replacing the server/admin passwords.
 */
export async function applyPoolUsers(admin: Redis, users: PoolUsers, include: ('nodes' | 'server' | 'admin')[] = ['nodes', 'server', 'admin']): Promise<void> {
  const list = [
    ...(include.includes('nodes') ? Object.values(users.nodes) : []),
    ...(include.includes('server') ? [users.server] : []),
    ...(include.includes('admin') ? [users.admin] : []),
  ];
  for (const u of list) {
    await admin.call('ACL', 'SETUSER', u.username, 'reset', 'on', `#${sha256(u.password)}`, ...u.rules);
  }
}

/** A redis:// URL with the credential embedded (for processes that take one URL). */
export function credentialUrl(baseUrl: string, c: RedisCredential): string {
  const u = new URL(baseUrl);
  u.username = encodeURIComponent(c.username);
  u.password = encodeURIComponent(c.password);
  return u.toString();
}
