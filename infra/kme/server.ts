// ETSI GS QKD 014 V1.1.1 key-delivery API, served by each node process on a local port, so an existing 014
// client (an SAE next to the node) can fetch keys from hetqn. This node is the KME; SAEs are named by
// the node they sit next to unless saeToNode says otherwise.
//   GET  /api/v1/keys/{slave_SAE_ID}/status      Status of this node's pool with the slave's node
//   POST /api/v1/keys/{slave_SAE_ID}/enc_keys    Get key: withdraws by size from this node's pool with the
//        (GET with ?number=&size= too)           slave's node, publishes each key_ID -> references for that node
//   POST /api/v1/keys/{master_SAE_ID}/dec_keys   Get key with key IDs: resolves the master node's key_IDs and
//        (GET with ?key_ID= too)                 takes exactly those bits by reference from this node's pool
// Status codes (clause 5): 200 OK; 400 bad request format (malformed body, unknown SAE, unsupported
// size/number/extension, unknown or already delivered key_ID); 401 unauthorized (bearer token missing or
// wrong, when apiTokens is set; the standard uses TLS client certificates, a deployment can put a TLS proxy
// in front); 503 error on the server side (not enough key in the pool, key not yet committed here, Redis down).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { KeyPoolStore, PoolError } from '../keypool/store.ts';
import { keyIdsSchema, keyRequestSchema, zodError, type ErrorBody, type KeyContainer, type Status } from './schemas.ts';

export interface KmeOptions {
  store: KeyPoolStore;
  /** Pool kind the API delivers (default 'secret'). */
  kind?: PoolKind;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** KME_ID of this node's KME (default `KME-<node>`), and of a peer's. */
  kmeId?: (node: NodeId) => string;
  /** Node an SAE sits next to (default: the SAE ID is the node id). undefined = unknown SAE. */
  saeToNode?: (saeId: string) => NodeId | undefined;
  /** SAE ID of the local applications (master_SAE_ID in status; default the node id). */
  localSaeId?: string;
  /** When set, requests need `Authorization: Bearer <token>` with one of these tokens. */
  apiTokens?: string[];
  keySize?: number; minKeySize?: number; maxKeySize?: number; maxKeyPerRequest?: number; maxKeyCount?: number;
}

export interface KmeServer { url: string; port: number; app: FastifyInstance; close(): Promise<void> }

class HttpError extends Error { constructor(readonly status: 400 | 401 | 503, readonly body: ErrorBody) { super(body.message); } }
const bad = (message: string, details?: Record<string, unknown>[]) => new HttpError(400, details ? { message, details } : { message });
const unavailable = (message: string, details?: Record<string, unknown>[]) => new HttpError(503, details ? { message, details } : { message });

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export async function startKme(opts: KmeOptions): Promise<KmeServer> {
  const { store } = opts;
  const owner = store.owner;
  const kind = opts.kind ?? 'secret';
  const kmeId = opts.kmeId ?? ((n: NodeId) => `KME-${n}`);
  const saeToNode = opts.saeToNode ?? ((s: string) => s);
  const localSae = opts.localSaeId ?? owner;
  const keySize = opts.keySize ?? 256, minKeySize = opts.minKeySize ?? 8, maxKeySize = opts.maxKeySize ?? 8192;
  const maxPerRequest = opts.maxKeyPerRequest ?? 128, maxKeyCount = opts.maxKeyCount ?? 1_000_000;
  const tokens = opts.apiTokens ? new Set(opts.apiTokens) : undefined;

  const app = Fastify({ logger: false });

  // A peer is known when this node has a pool of `kind` with it.
  async function peerOf(saeId: string, field: string): Promise<NodeId> {
    const node = saeToNode(saeId);
    if (node && node !== owner) {
      const pools = await store.listPools().catch(poolFailure);
      if (pools.some((p) => p.peer === node && p.kind === kind)) return node;
    }
    throw bad(`unknown ${field}: "${saeId}" has no key pool with ${localSae}`, [{ [field]: saeId }]);
  }

  function authorize(req: FastifyRequest): void {
    if (!tokens) return;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m || !tokens.has(m[1])) throw new HttpError(401, { message: 'unauthorized: missing or unknown bearer token' });
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

  async function status(slave: string): Promise<Status> {
    const peer = await peerOf(slave, 'slave_SAE_ID');
    const st = await store.stats(peer, kind).catch(poolFailure);
    return {
      source_KME_ID: kmeId(owner), target_KME_ID: kmeId(peer), master_SAE_ID: localSae, slave_SAE_ID: slave,
      key_size: keySize, stored_key_count: Math.floor(st.available / keySize), max_key_count: maxKeyCount,
      max_key_per_request: maxPerRequest, max_key_size: maxKeySize, min_key_size: minKeySize, max_SAE_ID_count: 0,
    };
  }

  async function encKeys(slave: string, raw: unknown): Promise<KeyContainer> {
    const parsed = keyRequestSchema.safeParse(raw ?? {});
    if (!parsed.success) throw new HttpError(400, zodError('body', parsed.error));
    const r = parsed.data;
    const peer = await peerOf(slave, 'slave_SAE_ID');
    const number = r.number ?? 1;
    const size = r.size ?? keySize;
    if (number > maxPerRequest) throw bad(`number ${number} exceeds max_key_per_request ${maxPerRequest}`, [{ number }]);
    if (size < minKeySize || size > maxKeySize || size % 8 !== 0) throw bad(`size ${size} must be a multiple of 8 in [${minKeySize}, ${maxKeySize}]`, [{ size }]);
    if (r.additional_slave_SAE_IDs?.length) throw bad('key multicast is not supported (max_SAE_ID_count is 0)', [{ additional_slave_SAE_IDs: r.additional_slave_SAE_IDs }]);
    if (r.extension_mandatory?.length) {
      throw bad('not all extension_mandatory parameters are supported', r.extension_mandatory.map((e) => ({ extension_mandatory_unsupported: Object.keys(e).join(', ') })));
    }
    const keyIds = Array.from({ length: number }, () => randomUUID());
    const w = await store.withdraw(peer, kind, size, { count: number, keyIds }).catch(poolFailure);
    return { keys: w.keys.map((k, i) => ({ key_ID: keyIds[i], key: b64(k.bytes) })) };
  }

  async function decKeys(master: string, raw: unknown): Promise<KeyContainer> {
    const parsed = keyIdsSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, zodError('body', parsed.error));
    const ids = parsed.data.key_IDs.map((k) => k.key_ID);
    if (ids.length > maxPerRequest) throw bad(`${ids.length} key_IDs exceed max_key_per_request ${maxPerRequest}`, [{ key_IDs: ids.length }]);
    if (new Set(ids).size !== ids.length) throw bad('key_IDs: the same key_ID is requested twice', [{ key_IDs: 'duplicate' }]);
    const peer = await peerOf(master, 'master_SAE_ID');
    const refs = await store.resolveKeyIds(peer, kind, ids).catch(poolFailure);
    const missing = ids.filter((_, i) => !refs[i]);
    if (missing.length) throw bad('unknown key_ID: not issued by the master SAE\'s KME, or expired', missing.map((key_ID) => ({ key_ID })));
    const t = await store.take(peer, kind, refs as NonNullable<(typeof refs)[number]>[]).catch(poolFailure);
    return { keys: t.keys.map((k, i) => ({ key_ID: ids[i], key: b64(k.bytes) })) };
  }

  const handle = (f: (req: FastifyRequest) => Promise<object>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      authorize(req);
      return reply.code(200).send(await f(req));
    } catch (err) {
      const e = err instanceof HttpError ? err : unavailable(`internal error: ${err instanceof Error ? err.message : String(err)}`);
      return reply.code(e.status).send(e.body);
    }
  };
  type P = { Params: { sae: string } };
  const sae = (req: FastifyRequest) => (req.params as { sae: string }).sae;
  const query = (req: FastifyRequest) => req.query as Record<string, string | string[] | undefined>;
  const num = (v: string | string[] | undefined) => (v === undefined ? undefined : Number(Array.isArray(v) ? v[0] : v));

  app.get<P>('/api/v1/keys/:sae/status', handle((req) => status(sae(req))));
  app.post<P>('/api/v1/keys/:sae/enc_keys', handle((req) => encKeys(sae(req), req.body)));
  app.get<P>('/api/v1/keys/:sae/enc_keys', handle((req) => {
    const q = query(req);
    const body: Record<string, unknown> = {};
    if (q.number !== undefined) body.number = num(q.number);
    if (q.size !== undefined) body.size = num(q.size);
    return encKeys(sae(req), body);
  }));
  app.post<P>('/api/v1/keys/:sae/dec_keys', handle((req) => decKeys(sae(req), req.body)));
  app.get<P>('/api/v1/keys/:sae/dec_keys', handle((req) => {
    const q = query(req).key_ID;
    const ids = q === undefined ? [] : Array.isArray(q) ? q : [q];
    return decKeys(sae(req), { key_IDs: ids.map((key_ID) => ({ key_ID })) });
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
