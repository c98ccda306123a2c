// Who is calling a KME, and where an SAE sits. ETSI GS QKD 014 V1.1.1 (clause 4 and 5) leaves SAE
// authentication to the transport; here a caller is one of this node's SAEs, identified either by
// its own bearer token (only the SHA-256 of a token is held; the presented token's digest is compared
// in constant time against every local SAE's digest, so neither timing nor order reveals a match) or
// by a TLS client certificate issued by the configured client CA whose CN or a DNS/URI SAN is the SAE ID.
// A token or certificate of an SAE attached to another node identifies nobody here.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { NodeId } from '../../protocols/types.ts';

export interface SaeSpec {
  id: string;
  /** The node (KME) the SAE is attached to. */
  node: NodeId;
  /** Hex SHA-256 of the SAE's bearer token; only for SAEs attached to this node. */
  tokenSha256?: string;
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The SAEs of a network and the node each is attached to. */
export class SaeDirectory {
  private readonly byId = new Map<string, SaeSpec>();

  /** An SAE not in `specs` is the node of the same name when unlistedAreNodes (the API's original
   *  addressing: every node is one SAE named after it); otherwise it is unknown. */
  constructor(specs: SaeSpec[] = [], private readonly unlistedAreNodes = specs.length === 0) {
    const digests = new Set<string>();
    for (const s of specs) {
      if (this.byId.has(s.id)) throw new Error(`saes: SAE "${s.id}" is listed twice`);
      if (s.tokenSha256) {
        if (digests.has(s.tokenSha256)) throw new Error(`saes: SAE "${s.id}" shares its token with another SAE (a token must identify exactly one SAE)`);
        digests.add(s.tokenSha256);
      }
      this.byId.set(s.id, s);
    }
  }

  nodeOf(saeId: string): NodeId | undefined {
    return this.byId.get(saeId)?.node ?? (this.unlistedAreNodes ? saeId : undefined);
  }

  /** The SAEs attached to `node` that hold a token. */
  tokenHolders(node: NodeId): { id: string; digest: Buffer }[] {
    return [...this.byId.values()]
      .filter((s) => s.node === node && s.tokenSha256)
      .map((s) => ({ id: s.id, digest: Buffer.from(s.tokenSha256!, 'hex') }));
  }
}

export class AuthError extends Error {}

/** The SAE whose token this is, among the SAEs attached to `node`; constant time in the token. */
export function saeOfToken(holders: { id: string; digest: Buffer }[], token: string): string | undefined {
  const d = createHash('sha256').update(token, 'utf8').digest();
  let found: string | undefined;
  for (const h of holders) if (timingSafeEqual(d, h.digest) && found === undefined) found = h.id;
  return found;
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** Identities a verified client certificate names: its CN and DNS/URI subject alternative names. */
export function certificateNames(socket: TLSSocket): { names: string[]; error?: string } | undefined {
  const cert = socket.getPeerCertificate?.();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!socket.authorized) return { names: [], error: `client certificate not trusted (${socket.authorizationError ?? 'unverified'})` };
  if (cert.ext_key_usage && !cert.ext_key_usage.includes(CLIENT_AUTH_OID)) return { names: [], error: 'client certificate is not for client authentication' };
  const names = new Set<string>();
  const cn = cert.subject?.CN;
  for (const c of Array.isArray(cn) ? cn : cn ? [cn] : []) names.add(c);
  for (const part of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^(DNS|URI):(.+)$/.exec(part);
    if (m) names.add(m[2]!);
  }
  return { names: [...names] };
}
