// A node's KME configuration: a JSON file (`--kme-config FILE`, HETQN_KME_CONFIG) or the `kme` section of a
// node bundle. Only this node's SAEs need credentials; the other SAEs are listed so the KME knows their node.
//   {
//     "bind": "127.0.0.1",            address to listen on (default 127.0.0.1; another needs "tls")
//     "port": 0,                      0 = a free port (default)
//     "saes": [                       every SAE of the network; default: each node is one SAE named after it
//       { "id": "AliceApp", "node": "Alice", "token": "..." },        bearer token (>= 32 characters)
//       { "id": "AliceVpn", "node": "Alice", "tokenSha256": "<hex>" },  or only its SHA-256
//       { "id": "BobApp", "node": "Bob" }                              an SAE of another node
//     ],
//     "tls": { "cert": "kme.pem", "key": "kme-key.pem", "clientCa": "sae-ca.pem" }   PEM text or file paths
//   }
// Errors name the field ("kme config: saes[1].token: ..."); token values never appear in a message.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { KmeTls } from './server.ts';
import { SaeDirectory, sha256Hex, type SaeSpec } from './sae.ts';

const saeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, 'letters, digits and _ . : @ - (at most 128)');
const nodeName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a node name');

const saeSchema = z.object({
  id: saeId,
  node: nodeName,
  token: z.string().min(32, 'at least 32 characters').max(512).regex(/^\S+$/, 'no white space').optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits').optional(),
}).strict().refine((s) => !(s.token && s.tokenSha256), { message: 'give token or tokenSha256, not both' });

export const kmeConfigSchema = z.object({
  bind: z.string().refine((a) => net.isIP(a) !== 0, 'an IP address').default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  saes: z.array(saeSchema).optional(),
  tls: z.object({ cert: z.string().min(1), key: z.string().min(1), clientCa: z.string().min(1).optional() }).strict().optional(),
}).strict().superRefine((c, ctx) => {
  if (!isLoopback(c.bind) && !c.tls) {
    ctx.addIssue({ code: 'custom', path: ['bind'], message: `${c.bind} is not a loopback address: tokens and keys would cross the network in clear; configure tls` });
  }
});
export type KmeConfigFile = z.input<typeof kmeConfigSchema>;
/** A checked configuration (defaults filled in): a bundle's `kme` section. */
export type KmeSection = z.output<typeof kmeConfigSchema>;

/** What startKme needs from a configuration: addresses, the SAE directory with token digests, TLS in PEM. */
export interface KmeConfig {
  bind: string;
  port: number;
  saes?: SaeSpec[];
  /** SAEs not in `saes` are named after their node (true when the configuration lists none). */
  unlistedSaesAreNodes: boolean;
  tls?: KmeTls;
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1';
}

const pem = (v: string, base: string) => (v.includes('-----BEGIN') ? v : fs.readFileSync(path.resolve(base, v), 'utf8'));

/** Validate a configuration object; relative TLS file paths are taken from `base`. */
export function parseKmeConfig(raw: unknown, source = 'kme config', base = process.cwd()): KmeConfig {
  const r = kmeConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${source}: ${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1) || '(root)'}: ${i.message}`);
  }
  const c = r.data;
  const saes = c.saes?.map((s) => ({ id: s.id, node: s.node, tokenSha256: s.tokenSha256 ?? (s.token ? sha256Hex(s.token) : undefined) }));
  try { if (saes) new SaeDirectory(saes); } catch (e) { throw new Error(`${source}: ${(e as Error).message}`); }
  let tls: KmeTls | undefined;
  if (c.tls) {
    try {
      tls = { cert: pem(c.tls.cert, base), key: pem(c.tls.key, base), clientCa: c.tls.clientCa ? pem(c.tls.clientCa, base) : undefined };
    } catch (e) { throw new Error(`${source}: tls: ${(e as Error).message}`); }
  }
  return { bind: c.bind, port: c.port, saes, unlistedSaesAreNodes: !saes, tls };
}

function readKmeFile(file: string): Record<string, unknown> {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new Error(`kme config ${file}: ${(e as Error).message}`); }
  // JSON.parse quotes the text around an error, which may hold a token: say only that it failed.
  try { return JSON.parse(text) as Record<string, unknown>; } catch { throw new Error(`kme config ${file}: not valid JSON`); }
}

/** A configuration file as a bundle's `kme` section: checked, its TLS files read in (PEM text), so
 *  the bundle alone configures the node's KME on its host. */
export function kmeSectionOf(file: string): KmeSection {
  const raw = readKmeFile(file);
  parseKmeConfig(raw, `kme config ${path.basename(file)}`, path.dirname(path.resolve(file)));
  const section = kmeConfigSchema.parse(raw);
  if (section.tls) {
    const base = path.dirname(path.resolve(file));
    const t = section.tls;
    section.tls = { cert: pem(t.cert, base), key: pem(t.key, base), ...(t.clientCa ? { clientCa: pem(t.clientCa, base) } : {}) };
  }
  return section;
}

/** The configuration in `file` (else a bundle's `kme` section, if any), with bind/port given on the
 *  command line taking precedence. */
export function loadKmeConfig(file?: string, overrides: { bind?: string; port?: number } = {}, section?: KmeConfigFile): KmeConfig {
  const raw: Record<string, unknown> = file ? readKmeFile(file) : { ...section };
  if (overrides.bind !== undefined) raw.bind = overrides.bind;
  if (overrides.port !== undefined) raw.port = overrides.port;
  return parseKmeConfig(raw, file ? `kme config ${path.basename(file)}` : section ? 'bundle kme' : 'kme', file ? path.dirname(path.resolve(file)) : process.cwd());
}
