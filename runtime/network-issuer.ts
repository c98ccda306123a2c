// The issuer side of a launch on the admin host (runtime/launcher.ts): the network's issuer file in a
// directory (infra/issuer.ts; created, or reused so pair keys stay the same across runs), the NATS
// authorization config for its servers, and the Redis users. A private nats-server gets the config
// before it starts (with TLS: a certificate from the issuer's CA for the address nodes dial); for a
// user's own NATS the config is written for its operator to load.
import fs from 'node:fs';
import path from 'node:path';
import type { Topology } from '../infra/topology.ts';
import { createIssuer, ensureTopology, issuerFile, loadIssuer, saveIssuer, type Issuer } from '../infra/issuer.ts';
import { makeNatsTls, natsConfigFile, writeNatsConfig } from '../infra/nats-config.ts';
import { nodeRules, serverRules, type PoolUsers } from '../infra/keypool/acl.ts';
import type { RedisTlsFiles } from '../infra/keypool/connect.ts';
import { installPoolUsers } from './pool-users.ts';
import { createCa } from '../infra/tls.ts';

export interface PreparedIssuer { issuer: Issuer; file: string; configFile: string }

/** The issuer of `dir` for these NATS URLs: created, or loaded and brought up to date with the topology. */
export function prepareIssuer(dir: string, topology: Topology, natsServers: string[]): { issuer: Issuer; file: string; added: string[] } {
  const file = issuerFile(dir, topology.network);
  if (!fs.existsSync(file)) {
    const issuer = createIssuer(topology, { natsServers });
    saveIssuer(file, issuer);
    return { issuer, file, added: topology.nodes.map((n) => n.name) };
  }
  const issuer = loadIssuer(file);
  const added = ensureTopology(issuer, topology);
  issuer.natsServers = natsServers;
  saveIssuer(file, issuer);
  return { issuer, file, added };
}

const clearTls = (configFile: string) => fs.rmSync(path.join(path.dirname(configFile), 'nats-tls'), { recursive: true, force: true });

/** For private nats-servers reached at `urls` (one, or the members of a private cluster): their
 *  config, with TLS from the issuer's CA when asked. */
export async function issuerForPrivateNats(dir: string, topology: Topology, urls: string[], o: { tls?: boolean; listen?: string }): Promise<PreparedIssuer> {
  const { issuer, file } = prepareIssuer(dir, topology, urls);
  const configFile = natsConfigFile(file);
  clearTls(configFile);
  if (o.tls) {
    issuer.ca = issuer.ca?.key ? issuer.ca : await createCa(`hetqn ${topology.network} CA`);
    // "localhost" too: plain nats.js clients check an IP URL's certificate against it (runtime/nats-bus.ts).
    await makeNatsTls(configFile, issuer.ca, [o.listen ?? '127.0.0.1', '127.0.0.1', 'localhost']);
  } else delete issuer.ca;
  saveIssuer(file, issuer);
  writeNatsConfig(configFile, issuer);
  return { issuer, file, configFile };
}

/** For the user's own NATS servers (TLS with their CA when given): the config for its operator. */
export function issuerForUserNats(dir: string, topology: Topology, servers: string[], ca?: string): PreparedIssuer {
  const { issuer, file } = prepareIssuer(dir, topology, servers);
  const configFile = natsConfigFile(file);
  clearTls(configFile);
  if (ca) issuer.ca = { cert: ca }; else delete issuer.ca;
  saveIssuer(file, issuer);
  writeNatsConfig(configFile, issuer);
  return { issuer, file, configFile };
}

/** Install the issuer's Redis users (current rules), the pool functions and the ACL file with the
 *  admin's URL (runtime/pool-users.ts: an open Redis is refused unless insecure); false when Redis is
 *  unreachable or refused the users (insecure). */
export async function installRedisUsers(redisUrl: string, issuer: Issuer, log: (s: string) => void, o: { tls?: RedisTlsFiles; insecure?: boolean }): Promise<boolean> {
  const net = issuer.network;
  const users: PoolUsers = {
    nodes: Object.fromEntries(Object.entries(issuer.redisUsers.nodes).map(([n, u]) => [n, { ...u, rules: nodeRules(net, n) }])),
    server: { ...issuer.redisUsers.server, rules: serverRules(net) },
    admin: issuer.redisUsers.admin,
    aclLines: [],
  };
  return !!(await installPoolUsers(redisUrl, net, Object.keys(users.nodes), log, { tls: o.tls, insecure: o.insecure, users }));
}

/** The PEM contents of Redis TLS files, for the bundles. */
export function readRedisTls(f: RedisTlsFiles): { ca: string; cert?: string; key?: string } {
  const read = (x?: string) => (x ? fs.readFileSync(x, 'utf8') : undefined);
  return { ca: read(f.caFile)!, ...(f.certFile ? { cert: read(f.certFile) } : {}), ...(f.keyFile ? { key: read(f.keyFile) } : {}) };
}
