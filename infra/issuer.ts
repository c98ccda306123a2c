// The issuer: the admin secrets of one network, kept in one owner-only (0600) file on the admin host
// (`<state dir>/<net>/issuer.json`) and in no running server or node process. From it come:
//   - one NATS nkey identity per process role: the server, every topology node (attachLater ones
//     too), the CLI client and the inspector (infra/nkey.ts); the nats-server authorization config
//     lists their public keys with least-privilege permissions (infra/nats-config.ts);
//   - one independent 256-bit pre-shared-key seed per pair of topology nodes (infra/psk.ts);
//   - the per-node and server Redis users (infra/keypool/acl.ts);
//   - with TLS, the CA that signs the servers' certificates (its key stays here);
//   - the bundles (infra/bundle.ts): each holds only its own identity's part of the above.
// A node added to the topology later gets its identity, Redis user and pair seeds when a bundle is
// first issued for it (`ensureTopology`); the NATS config must then be rewritten and nats-server reloaded.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Topology } from './topology.ts';
import { newUserNkey, isUserSeed, publicKeyOf } from './nkey.ts';
import { drawPairSeeds, pairKey } from './psk.ts';
import { generatePoolUsers, type PoolUsers } from './keypool/acl.ts';
import { parseBundle, writeSecretFile, type Bundle } from './bundle.ts';
import { CLIENT, INSPECTOR, roleOf, SERVER } from '../runtime/subjects.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64);
const redisUser = z.object({ username: z.string(), password: z.string(), rules: z.array(z.string()) });

export const issuerSchema = z.object({
  kind: z.literal('hetqn-issuer'),
  version: z.literal(1),
  network: name,
  createdAt: z.string(),
  /** NATS URLs handed out in bundles. */
  natsServers: z.array(z.string()).min(1),
  /** Redis URL handed out in bundles (no credentials in it). */
  redisUrl: z.string().optional(),
  /** TLS to Redis (PEM), handed out in the bundles of the processes that use Redis. */
  redisTls: z.object({ ca: z.string(), cert: z.string().optional(), key: z.string().optional() }).optional(),
  /** The sentinels' discovery-only user (a Sentinel target), handed out with the Redis user. */
  redisSentinel: z.object({ username: z.string(), password: z.string() }).optional(),
  /** The TLS CA (PEM) clients trust, when TLS is on; its key only when hetqn made it (to sign the
   *  private servers' certificates), not when the user gave the CA of their own servers. */
  ca: z.object({ cert: z.string(), key: z.string().optional() }).optional(),
  identities: z.record(name, z.object({ seed: z.string().refine(isUserSeed, 'not a user nkey seed') })),
  /** "A|B" -> the pair's pre-shared-key seed (hex). */
  pairs: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  redisUsers: z.object({ nodes: z.record(name, redisUser), server: redisUser, admin: redisUser }),
}).strict();

export type Issuer = z.infer<typeof issuerSchema>;

export interface IssuerOptions { natsServers: string[]; redisUrl?: string; ca?: { cert: string; key?: string } }

/** Fresh secrets for every identity and pair of a topology. */
export function createIssuer(topology: Topology, o: IssuerOptions): Issuer {
  const nodes = topology.nodes.map((n) => n.name);
  const identities: Issuer['identities'] = {};
  for (const id of [SERVER, CLIENT, INSPECTOR, ...nodes]) identities[id] = { seed: newUserNkey().seed };
  const users: PoolUsers = generatePoolUsers(topology.network, nodes);
  return {
    kind: 'hetqn-issuer', version: 1, network: topology.network, createdAt: new Date().toISOString(),
    natsServers: o.natsServers, ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}), ...(o.ca ? { ca: o.ca } : {}),
    identities, pairs: drawPairSeeds(nodes),
    redisUsers: { nodes: users.nodes, server: users.server, admin: users.admin },
  };
}

/** Add what nodes new to the topology need (identity, Redis user, a seed with every other node).
 *  Returns the names added: the NATS config must be rewritten and reloaded, and their peers'
 *  bundles issued again (they hold the new pairs' seeds). */
export function ensureTopology(issuer: Issuer, topology: Topology): string[] {
  if (topology.network !== issuer.network) throw new Error(`topology network ${topology.network} is not the issuer's ${issuer.network}`);
  const added = topology.nodes.map((n) => n.name).filter((n) => !issuer.identities[n]);
  for (const n of added) {
    issuer.identities[n] = { seed: newUserNkey().seed };
    issuer.redisUsers.nodes[n] = generatePoolUsers(issuer.network, [n]).nodes[n]!;
    for (const other of Object.keys(issuer.identities)) {
      if (other === n || roleOf(other) !== 'node' || issuer.pairs[pairKey(n, other)]) continue;
      issuer.pairs[pairKey(n, other)] = drawPairSeeds([n, other])[pairKey(n, other)]!;
    }
  }
  if (added.length > 0) byNode.delete(issuer.pairs);
  return added;
}

/** Replace an identity's nkey (a lost or leaked bundle); reload NATS afterwards. */
export function rotateIdentity(issuer: Issuer, identity: string): void {
  if (!issuer.identities[identity]) throw new Error(`identity ${identity} is not in network ${issuer.network}`);
  issuer.identities[identity] = { seed: newUserNkey().seed };
}

/** Public keys of every identity (what nats-server learns). */
export function publicKeys(issuer: Issuer): Record<string, string> {
  return Object.fromEntries(Object.entries(issuer.identities).map(([id, v]) => [id, publicKeyOf(v.seed)]));
}

/** The bundle of one identity: its own secrets only. */
export function issueBundle(issuer: Issuer, identity: string, topology?: Topology): Bundle {
  const id = issuer.identities[identity];
  if (!id) throw new Error(`--node: ${identity} is not an identity of network ${issuer.network} (${Object.keys(issuer.identities).join(', ')})`);
  const role = roleOf(identity);
  const redisCred = role === 'server' ? issuer.redisUsers.server : role === 'node' ? issuer.redisUsers.nodes[identity] : undefined;
  const b: Bundle = {
    kind: 'hetqn-bundle', version: 1, network: issuer.network, identity, role, issuedAt: new Date().toISOString(),
    nats: { servers: issuer.natsServers, seed: id.seed },
    ...(issuer.redisUrl && redisCred ? { redis: { url: issuer.redisUrl, username: redisCred.username, password: redisCred.password, ...(issuer.redisTls ? { tls: issuer.redisTls } : {}), ...(issuer.redisSentinel ? { sentinel: issuer.redisSentinel } : {}) } } : {}),
    ...(issuer.ca ? { ca: issuer.ca.cert } : {}),
  };
  if (role === 'node') {
    const spec = topology?.nodes.find((n) => n.name === identity);
    if (!spec) throw new Error(`--node: ${identity} is not in the topology ${topology?.file ?? ''}`.trim());
    b.node = { name: spec.name, type: spec.type, dof: spec.dof, linkKm: spec.linkKm, credential: spec.credential };
    b.psk = { ...pairsByNode(issuer.pairs).get(identity) };
  }
  return parseBundle(b, `bundle of ${identity}`);
}

const byNode = new WeakMap<Issuer['pairs'], Map<string, Record<string, string>>>();
/** node -> peer -> the pair's seed, indexed once per pairs table: a network of N nodes has N(N-1)/2
 *  pairs, and scanning them all for each of N bundles would be cubic (1 000 nodes: 5e8 steps). */
function pairsByNode(pairs: Issuer['pairs']): Map<string, Record<string, string>> {
  let m = byNode.get(pairs);
  if (!m) {
    m = new Map();
    const add = (a: string, b: string, seed: string) => { let r = m!.get(a); if (!r) m!.set(a, r = {}); r[b] = seed; };
    for (const [pair, seed] of Object.entries(pairs)) { const [x, y] = pair.split('|') as [string, string]; add(x, y, seed); add(y, x, seed); }
    byNode.set(pairs, m);
  }
  return m;
}

export function issuerDir(stateDir: string, net: string): string {
  return path.join(stateDir, net);
}

export function issuerFile(stateDir: string, net: string): string {
  return path.join(issuerDir(stateDir, net), 'issuer.json');
}

export function loadIssuer(file: string): Issuer {
  let raw: unknown;
  try { raw = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { throw new Error(`issuer file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`); }
  const r = issuerSchema.safeParse(raw);
  if (!r.success) { const i = r.error.issues[0]!; throw new Error(`${file}: ${i.path.join('.')}: ${i.message}`); }
  return r.data;
}

export function saveIssuer(file: string, issuer: Issuer): void {
  writeSecretFile(file, JSON.stringify(issuerSchema.parse(issuer), null, 2) + '\n');
}
