// A credentials bundle: everything one process needs to join a network, and nothing of anyone else's.
// `hetqn creds issue` (infra/issuer.ts) writes one per identity as a single owner-only (0600) JSON file;
// `hetqn node --join BUNDLE` runs a node from it on any host, the launcher hands each child process
// the path of its own. A node's bundle holds its NATS nkey seed, its Redis user, the pre-shared-key
// seeds of its own pairs only (infra/psk.ts), its admission credential and node spec, the server URLs,
// with TLS on the CA certificate, and optionally its KME's configuration. Read back, every field is
// checked and a bad one is named: "alice.json: psk.Bob: expected 64 hex characters".
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isUserSeed } from './nkey.ts';
import { roleOf } from '../runtime/subjects.ts';
import type { RedisConnectOptions } from './keypool/connect.ts';
import { kmeConfigSchema } from './kme/config.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').max(64);
const natsUrl = z.string().regex(/^(nats|tls):\/\/[^\s,/]+$/, 'expected nats://host:port or tls://host:port');
const redisUrl = z.string().regex(/^rediss?(-sentinel|-cluster)?:\/\/[^\s@]+$/, 'expected redis://host:port, redis-sentinel://h1:p1,h2:p2/<master> or redis-cluster://h1:p1,h2:p2 (credentials go in username/password, not the URL)');
const seed = z.string().refine(isUserSeed, 'not a NATS user nkey seed (SU..., checksum)');
const pem = z.string().regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, 'expected a PEM certificate');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex characters');

export const nodeSpecInBundle = z.object({
  name,
  type: z.enum(['C', 'E', 'D']),
  dof: z.enum(['pol', 'tbp', 'pha']),
  linkKm: z.number().nonnegative().max(1000),
  credential: z.string().min(8, 'at least 8 characters'),
}).strict();

export const bundleSchema = z.object({
  kind: z.literal('hetqn-bundle'),
  version: z.literal(1),
  network: name,
  identity: name,
  role: z.enum(['server', 'node', 'client', 'inspector']),
  issuedAt: z.string().datetime(),
  nats: z.object({ servers: z.array(natsUrl).min(1), seed }).strict(),
  redis: z.object({
    url: redisUrl, username: z.string().min(1).max(200), password: z.string().min(16).max(200),
    /** TLS to Redis: the CA of its certificate, and a client certificate when Redis asks for one. */
    tls: z.object({ ca: pem, cert: pem.optional(), key: z.string().regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'expected a PEM private key').optional() }).strict().optional(),
    /** The sentinels' discovery-only user (a redis-sentinel:// target). */
    sentinel: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(200) }).strict().optional(),
  }).strict().optional(),
  /** The CA that signed the servers' TLS certificates (TLS on). */
  ca: pem.optional(),
  node: nodeSpecInBundle.optional(),
  /** peer -> the pair's pre-shared-key seed. */
  psk: z.record(name, hex64).optional(),
  /** The node's ETSI GS QKD 014 KME: bind address, port, SAEs, TLS in PEM (infra/kme/config.ts). */
  kme: kmeConfigSchema.optional(),
}).strict().superRefine((b, ctx) => {
  const issue = (p: string, message: string) => ctx.addIssue({ code: 'custom', path: [p], message });
  if (roleOf(b.identity) !== b.role) issue('role', `identity ${b.identity} is a ${roleOf(b.identity)}, not a ${b.role}`);
  if (b.role === 'node') {
    if (!b.node) issue('node', 'a node bundle needs its node spec');
    else if (b.node.name !== b.identity) issue('node', `node.name ${b.node.name} is not the bundle's identity ${b.identity}`);
    if (!b.psk) issue('psk', 'a node bundle needs its pairs\' pre-shared-key seeds');
    else if (b.psk[b.identity]) issue('psk', `a node has no pre-shared key with itself (${b.identity})`);
  } else {
    if (b.node) issue('node', `only a node bundle has a node spec (this is a ${b.role})`);
    if (b.psk) issue('psk', `only a node bundle has pre-shared keys (this is a ${b.role})`);
    if (b.kme) issue('kme', `only a node bundle has a KME section (this is a ${b.role})`);
  }
  if ((b.role === 'client' || b.role === 'inspector') && b.redis) issue('redis', `a ${b.role} has no Redis user`);
});

export type Bundle = z.infer<typeof bundleSchema>;

/** How the bundle's process reaches Redis: where, as its own user, with TLS when the bundle says so. */
export function redisAccessOf(b: Bundle): ({ url: string } & RedisConnectOptions) | undefined {
  const r = b.redis;
  if (!r) return undefined;
  return { url: r.url, username: r.username, password: r.password, ...(r.tls ? { tls: { ca: [r.tls.ca], cert: r.tls.cert, key: r.tls.key } } : {}), ...(r.sentinel ? { sentinel: r.sentinel } : {}) };
}

export class BundleError extends Error {
  constructor(message: string, readonly field: string) { super(message); }
}

const fieldOf = (p: Array<string | number>) => p.map(String).join('.') || '(root)';

/** Validate a parsed bundle; `source` names it in errors. */
export function parseBundle(raw: unknown, source = 'bundle'): Bundle {
  const r = bundleSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = fieldOf(i.path);
    throw new BundleError(`${source}: ${field}: ${i.message}`, field);
  }
  return r.data;
}

/** Read and check a bundle file: owner-only permissions, JSON, every field. */
export function readBundle(file: string): Bundle {
  const base = path.basename(file);
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { throw new BundleError(`bundle ${file} not found`, 'file'); }
  if ((st.mode & 0o077) !== 0) throw new BundleError(`${base}: readable by others (mode ${(st.mode & 0o777).toString(8)}); it holds secrets: chmod 600 ${file}`, 'mode');
  let raw: unknown;
  try { raw = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { throw new BundleError(`${base}: not valid JSON: ${(e as Error).message}`, 'file'); }
  return parseBundle(raw, base);
}

/** Write a bundle owner-only (0600), atomically. */
export function writeBundle(file: string, b: Bundle): void {
  writeSecretFile(file, JSON.stringify(parseBundle(b), null, 2) + '\n');
}

/** Write a file only its owner may read (0600, in a directory created 0700), atomically. */
export function writeSecretFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
