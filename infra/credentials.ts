// Node admission: each node has a pre-shared credential (in the topology, or given to `hetqn node`).
// A joining node first asks the platform for a fresh nonce (registry.challenge), then announces
// itself with HMAC-SHA256(credential, announce fields + nonce) (RFC 2104). The secret never travels;
// a nonce is accepted once and only within its lifetime, so a captured announce cannot be replayed.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AnnounceFields {
  net: string;
  name: string;
  type: string;
  dof: string;
  linkKm: number;
  nonce: string;
  processId: string;
}

function canonical(f: AnnounceFields): string {
  return ['hetqn-announce-v1', f.net, f.name, f.type, f.dof, String(f.linkKm), f.nonce, f.processId].join('|');
}

export function announceMac(credential: string, fields: AnnounceFields): string {
  return createHmac('sha256', credential).update(canonical(fields)).digest('hex');
}

export function verifyAnnounceMac(credential: string, fields: AnnounceFields, mac: string): boolean {
  const want = Buffer.from(announceMac(credential, fields), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(mac) ? mac : '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** Credentials may be written literally or as "env:VAR" to read them from the environment. */
export function resolveCredential(value: string, where: string): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const v = process.env[name];
  if (!v) throw new Error(`${where}: environment variable ${name} is not set`);
  return v;
}
