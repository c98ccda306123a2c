// ETSI GS QKD 014 V1.1.1 key-delivery API, served by each node process (runtime/processes/node-kme.ts), so
// an existing 014 client (an SAE next to the node) can fetch keys from hetqn. This node is the KME; the SAE
// directory (sae.ts) says which node every SAE is attached to, and only SAEs attached to this node may call.
//   GET  /api/v1/keys/{slave_SAE_ID}/status      Status of this node's pool with the slave's node
//   POST /api/v1/keys/{slave_SAE_ID}/enc_keys    Get key: the caller is the master SAE; withdraws by size from
//        (GET with ?number=&size= too)           this node's pool with the slave's node and publishes each
//                                                key's references for that node, bound to (master, slave)
//   POST /api/v1/keys/{master_SAE_ID}/dec_keys   Get key with key IDs: the caller is the slave SAE; resolves
//        (GET with ?key_ID= too)                 the key_IDs bound to (master, caller) and takes exactly those
//                                                bits by reference from this node's pool, once
// Status codes (clause 5): 200 OK; 400 bad request format (malformed body, unknown SAE, unsupported
// size/number/extension, unknown or already delivered key_ID); 401 unauthorized (no or wrong bearer token,
// untrusted client certificate, an SAE not attached to this node); 503 error on the server side (not enough
// key in the pool, key not yet committed here, Redis down).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { KeyPoolStore, PoolError } from '../keypool/store.ts';
import { keyIdsSchema, keyRequestSchema, zodError, type ErrorBody, type KeyContainer, type Status } from './schemas.ts';
import { certificateNames, saeOfToken, SaeDirectory, type SaeSpec } from './sae.ts';

/** Server certificate and key, and the CA whose certificates identify SAEs (mutual TLS); PEM text. */
export interface KmeTls { cert: string; key: string; clientCa?: string }

export interface KmeOptions {
  store: KeyPoolStore;
  /** Pool kind the API delivers (default 'secret'). */
  kind?: PoolKind;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** KME_ID of this node's KME (default `KME-<node>`), and of a peer's. */
  kmeId?: (node: NodeId) => string;
  /** Every SAE of the network with its node, and the token digests of this node's SAEs.
   *  Default: each node is one SAE named after it. */
  saes?: SaeSpec[];
  /** SAEs not in `saes` are named after their node (default: true when `saes` is empty or absent). */
  unlistedSaesAreNodes?: boolean;
  /** 'none' serves without client authentication, every caller acting as localSaeId (tests only). */
  auth?: 'none';
  /** SAE ID a caller acts as when auth is 'none' (default the node id). */
  localSaeId?: string;
  /** HTTPS instead of HTTP; with clientCa, client certificates identify SAEs. */
  tls?: KmeTls;
  keySize?: number; minKeySize?: number; maxKeySize?: number; maxKeyPerRequest?: number; maxKeyCount?: number;
}

export interface KmeServer { url: string; port: number; app: FastifyInstance; close(): Promise<void> }

class HttpError extends Error { constructor(readonly status: 400 | 401 | 503, readonly body: ErrorBody) { super(body.message); } }
const bad = (message: string, details?: Record<string, unknown>[]) => new HttpError(400, details ? { message, details } : { message });
const unavailable = (message: string, details?: Record<string, unknown>[]) => new HttpError(503, details ? { message, details } : { message });
const unauthorized = (message: string) => new HttpError(401, { message: `unauthorized: ${message}` });

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The key-ID directory entry of a key is named by (master SAE, slave SAE, key_ID), so only the slave SAE
 *  the master asked for can resolve it on its KME; any other SAE asking for the same key_ID finds nothing. */
export function boundKeyId(masterSae: string, slaveSae: string, keyId: string): string {
  return `k-${createHash('sha256').update(`${masterSae}\n${slaveSae}\n${keyId}`).digest('hex')}`;
}

export async function startKme(opts: KmeOptions): Promise<KmeServer> {
  const { store } = opts;
  const owner = store.owner;
  const kind = opts.kind ?? 'secret';
  const kmeId = opts.kmeId ?? ((n: NodeId) => `KME-${n}`);
  const directory = new SaeDirectory(opts.saes, opts.unlistedSaesAreNodes);
  const tokenHolders = directory.tokenHolders(owner);
  const open = opts.auth === 'none';
  const keySize = opts.keySize ?? 256, minKeySize = opts.minKeySize ?? 8, maxKeySize = opts.maxKeySize ?? 8192;
  const maxPerRequest = opts.maxKeyPerRequest ?? 128, maxKeyCount = opts.maxKeyCount ?? 1_000_000;

  const app = opts.tls
    ? Fastify({ logger: false, https: { cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) } }) as unknown as FastifyInstance
    : Fastify({ logger: false });

  // A peer is known when the SAE sits at another node and this node has a pool of `kind` with it.
  async function peerOf(saeId: string, field: string, caller: string): Promise<NodeId> {
    const node = directory.nodeOf(saeId);
    if (node && node !== owner) {
      const pools = await store.listPools().catch(poolFailure);
      if (pools.some((p) => p.peer === node && p.kind === kind)) return node;
    }
    throw bad(`unknown ${field}: "${saeId}" has no key pool with ${caller}`, [{ [field]: saeId }]);
  }

  /** The calling SAE: one attached to this node, named by its token, its client certificate, or both alike. */
  function caller(req: FastifyRequest): string {
    if (open) return opts.localSaeId ?? owner;
    const local = (id: string) => directory.nodeOf(id) === owner;
    let byCert: string | undefined;
    const cert = opts.tls?.clientCa ? certificateNames(req.raw.socket as TLSSocket) : undefined;
    if (cert) {
      if (cert.error) throw unauthorized(cert.error);
      const saes = cert.names.filter(local);
      if (saes.length !== 1) throw unauthorized(`client certificate names ${saes.length === 0 ? 'no SAE' : 'several SAEs'} of ${kmeId(owner)}`);
      byCert = saes[0];
    }
    let byToken: string | undefined;
    const h = req.headers.authorization;
    if (h !== undefined) {
      const m = /^Bearer +(\S+)$/i.exec(h);
      byToken = m ? saeOfToken(tokenHolders, m[1]!) : undefined;
      if (!byToken) throw unauthorized('bearer token of no SAE of this KME');
    }
    if (byCert && byToken && byCert !== byToken) throw unauthorized('bearer token and client certificate name different SAEs');
    const sae = byCert ?? byToken;
    if (!sae) throw unauthorized(`present the bearer token${opts.tls?.clientCa ? ' or client certificate' : ''} of an SAE attached to ${kmeId(owner)}`);
    return sae;
  }

  function poolFailure(err: unknown): never {
    if (err instanceof HttpError) throw err;
    if (err instanceof PoolError) {
      if (err.code === 'SHORT') throw unavailable('not enough key material: keys are being exhausted', [{ stored_bits: err.available }]);
      if (err.code === 'TAKEN') throw bad('key_ID already delivered', [{ key_IDs: err.message }]);
      if (err.code === 'LANE' || err.code === 'RANGE') throw bad('key_ID does not designate a key of the master SAE', [{ key_IDs: err.message }]);
      throw unavailable(`key not available at this KME: ${err.message}`);
    }
    throw unavailable(`key store unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }

  async function status(master: string, slave: string): Promise<Status> {
    const peer = await peerOf(slave, 'slave_SAE_ID', master);
    const st = await store.stats(peer, kind).catch(poolFailure);
    return {
      source_KME_ID: kmeId(owner), target_KME_ID: kmeId(peer), master_SAE_ID: master, slave_SAE_ID: slave,
      key_size: keySize, stored_key_count: Math.floor(st.available / keySize), max_key_count: maxKeyCount,
      max_key_per_request: maxPerRequest, max_key_size: maxKeySize, min_key_size: minKeySize, max_SAE_ID_count: 0,
    };
  }

  async function encKeys(master: string, slave: string, raw: unknown): Promise<KeyContainer> {
    const parsed = keyRequestSchema.safeParse(raw ?? {});
    if (!parsed.success) throw new HttpError(400, zodError('body', parsed.error));
    const r = parsed.data;
    const peer = await peerOf(slave, 'slave_SAE_ID', master);
    const number = r.number ?? 1;
    const size = r.size ?? keySize;
    if (number > maxPerRequest) throw bad(`number ${number} exceeds max_key_per_request ${maxPerRequest}`, [{ number }]);
    if (size < minKeySize || size > maxKeySize || size % 8 !== 0) throw bad(`size ${size} must be a multiple of 8 in [${minKeySize}, ${maxKeySize}]`, [{ size }]);
    if (r.additional_slave_SAE_IDs?.length) throw bad('key multicast is not supported (max_SAE_ID_count is 0)', [{ additional_slave_SAE_IDs: r.additional_slave_SAE_IDs }]);
    if (r.extension_mandatory?.length) {
      throw bad('not all extension_mandatory parameters are supported', r.extension_mandatory.map((e) => ({ extension_mandatory_unsupported: Object.keys(e).join(', ') })));
    }
    const keyIds = Array.from({ length: number }, () => randomUUID());
    const bound = keyIds.map((id) => boundKeyId(master, slave, id));
    const w = await store.withdraw(peer, kind, size, { count: number, keyIds: bound }).catch(poolFailure);
    return { keys: w.keys.map((k, i) => ({ key_ID: keyIds[i], key: b64(k.bytes) })) };
  }

  async function decKeys(slave: string, master: string, raw: unknown): Promise<KeyContainer> {
    const parsed = keyIdsSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, zodError('body', parsed.error));
    const ids = parsed.data.key_IDs.map((k) => k.key_ID);
    if (ids.length > maxPerRequest) throw bad(`${ids.length} key_IDs exceed max_key_per_request ${maxPerRequest}`, [{ key_IDs: ids.length }]);
    if (new Set(ids).size !== ids.length) throw bad('key_IDs: the same key_ID is requested twice', [{ key_IDs: 'duplicate' }]);
    const peer = await peerOf(master, 'master_SAE_ID', slave);
    const refs = await store.resolveKeyIds(peer, kind, ids.map((id) => boundKeyId(master, slave, id))).catch(poolFailure);
    const missing = ids.filter((_, i) => !refs[i]);
    if (missing.length) throw bad(`unknown key_ID: not issued to ${slave} by ${master}, or expired`, missing.map((key_ID) => ({ key_ID })));
    const t = await store.take(peer, kind, refs as NonNullable<(typeof refs)[number]>[]).catch(poolFailure);
    return { keys: t.keys.map((k, i) => ({ key_ID: ids[i], key: b64(k.bytes) })) };
  }

  // Every request, even a malformed or unknown one, is authenticated first.
  const callers = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', async (req, reply) => {
    try { callers.set(req, caller(req)); } catch (err) {
      const e = err as HttpError;
      return reply.code(e.status).header('www-authenticate', `Bearer realm="${kmeId(owner)}"`).send(e.body);
    }
  });
  const handle = (f: (req: FastifyRequest, who: string) => Promise<object>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return reply.code(200).send(await f(req, callers.get(req)!));
    } catch (err) {
      const e = err instanceof HttpError ? err : unavailable(`internal error: ${err instanceof Error ? err.message : String(err)}`);
      return reply.code(e.status).send(e.body);
    }
  };
  type P = { Params: { sae: string } };
  const sae = (req: FastifyRequest) => (req.params as { sae: string }).sae;
  const query = (req: FastifyRequest) => req.query as Record<string, string | string[] | undefined>;
  const num = (v: string | string[] | undefined) => (v === undefined ? undefined : Number(Array.isArray(v) ? v[0] : v));

  app.get<P>('/api/v1/keys/:sae/status', handle((req, who) => status(who, sae(req))));
  app.post<P>('/api/v1/keys/:sae/enc_keys', handle((req, who) => encKeys(who, sae(req), req.body)));
  app.get<P>('/api/v1/keys/:sae/enc_keys', handle((req, who) => {
    const q = query(req);
    const body: Record<string, unknown> = {};
    if (q.number !== undefined) body.number = num(q.number);
    if (q.size !== undefined) body.size = num(q.size);
    return encKeys(who, sae(req), body);
  }));
  app.post<P>('/api/v1/keys/:sae/dec_keys', handle((req, who) => decKeys(who, sae(req), req.body)));
  app.get<P>('/api/v1/keys/:sae/dec_keys', handle((req, who) => {
    const q = query(req).key_ID;
    const ids = q === undefined ? [] : Array.isArray(q) ? q : [q];
    return decKeys(who, sae(req), { key_IDs: ids.map((key_ID) => ({ key_ID })) });
  }));
  // Malformed JSON and other framework-level failures also answer in the 014 Error shape.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode < 500 ? 400 : 503;
    reply.code(code).send({ message: code === 400 ? `bad request format: ${err.message}` : `server error: ${err.message}` } satisfies ErrorBody);
  });
  app.setNotFoundHandler((req, reply) => { reply.code(400).send({ message: `bad request format: no such API method ${req.method} ${req.url}` } satisfies ErrorBody); });

  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const port = Number(new URL(address).port);
  return { url: address, port, app, close: () => app.close() };
}
