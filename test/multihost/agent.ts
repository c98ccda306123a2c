// A long-lived client inside one lab host (test/helpers/netns.ts) for the deployment tests
// (deployment.test.ts): it reads one JSON command per line on stdin and answers each with one JSON
// line {id, ok, result | error} on stdout, so an attack can be made at a precise moment of a session
// (a fresh process per step would start too late on a loaded machine). On a node host it holds no
// more than that host has: a bundle file given by path, the topology's public fields.
//   connect {bundle}                      NATS as the bundle's identity (its nkey, its CA)
//   anon {servers, ca?, seed?}            NATS with no credentials (or an unknown nkey): the error
//   subscribe {subjects}                  each subscription's permission error and what arrived
//   publish {items: [{subject, type, body}]}  raw frames (payload from "server"); the violations reported
//   request {subject, type, body}         one raw request; the reply frame or the error
//   announce {name, credential, ...spec}  challenge + announce as `name` on the connected identity
//   exists {paths}                        which paths this process can see
//   redis-noauth {url}                    PING with no user
//   redis-as {bundle, commands}           each command as the bundle's Redis user: reply or error
//   pools {issuer, pools: [{owner, peer, kind}]}  (admin host) every block's state, and the data's
//                                         SHA-256 and length, read as the issuer's admin user
//   clients {issuer}                      (admin host) Redis's connected clients: address and user
import fs from 'node:fs';
import readline from 'node:readline';
import { createHash } from 'node:crypto';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { readBundle, redisAccessOf } from '../../infra/bundle.ts';
import { loadIssuer } from '../../infra/issuer.ts';
import { newUserNkey } from '../../infra/nkey.ts';
import { openRedis } from '../../infra/keypool/connect.ts';
import { poolPrefix } from '../../infra/keypool/names.ts';
import { announceMac } from '../../infra/credentials.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { ActorHost } from '../../runtime/host.ts';
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from '../../runtime/codec.ts';
import { subject } from '../../runtime/subjects.ts';
import '../../actors/server/registry.messages.ts';
import '../../actors/sessions/session.messages.ts';
import '../../actors/sessions/decision.messages.ts';

type Cmd = { id: number; cmd: string } & Record<string, any>;

let bus: NatsBus | undefined;
let host: ActorHost | undefined;
const errors: string[] = [];
const closers: Array<() => Promise<unknown> | unknown> = [];
const frame = (type: string, body: unknown) => encodeFrame({ v: PROTOCOL_VERSION, type, from: 'server', body, ts: Date.now() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tls = (ca?: string) => (ca ? { tls: { ca } } : {});

function nc(): NatsConnection {
  if (!bus) throw new Error('connect first');
  return bus.nc;
}

async function redisCall(r: Redis, args: string[]): Promise<{ reply?: unknown; error?: string }> {
  try { return { reply: await r.call(args[0]!, ...args.slice(1)) }; } catch (e) { return { error: (e as Error).message }; }
}

/** Redis as the issuer's admin (on the admin host, where the issuer file is). */
function asAdmin(issuerFile: string): Redis {
  const iss = loadIssuer(issuerFile);
  const r = openRedis(iss.redisUrl!, { username: iss.redisUsers.admin.username, password: iss.redisUsers.admin.password, redis: { maxRetriesPerRequest: 2 } }) as Redis;
  r.on('error', () => undefined);
  return r;
}

const handlers: Record<string, (c: Cmd) => Promise<unknown>> = {
  async connect(c) {
    const b = readBundle(c.bundle);
    bus = await NatsBus.connect({ servers: b.nats.servers, name: `agent-${b.identity}`, net: b.network, identity: b.identity, seed: b.nats.seed, ca: b.ca });
    (async () => { for await (const s of bus!.nc.status()) if (s.type === 'error') errors.push((s as { error: Error }).error.message); })();
    host = new ActorHost({ bus, net: b.network, processId: `agent-${b.identity}-${process.pid}`, logFrameErrors: false });
    closers.push(() => host!.stop());
    return { identity: b.identity, servers: b.nats.servers };
  },
  async anon(c) {
    try {
      const x = await connect({ servers: c.servers, maxReconnectAttempts: 0, timeout: 10_000, ...tls(c.ca), ...(c.stranger ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(newUserNkey().seed)) } : {}) });
      await x.close();
      return { connected: true };
    } catch (e) { return { connected: false, error: (e as Error).message }; }
  },
  async subscribe(c) {
    const out = [];
    for (const s of c.subjects as string[]) {
      const got: string[] = [];
      let error: Error | undefined;
      nc().subscribe(s, { callback: (err, m) => { if (err) error = err; else got.push(m.subject); } });
      await nc().flush();
      await sleep(200);
      out.push({ subject: s, error: error && { name: error.name, message: error.message }, got });
    }
    return out;
  },
  async publish(c) {
    const from = errors.length;
    for (const it of c.items as Array<{ subject: string; type: string; body: unknown }>) nc().publish(it.subject, frame(it.type, it.body));
    await nc().flush();
    await sleep(500);
    return { errors: errors.slice(from) };
  },
  async request(c) {
    try {
      const m = await nc().request(c.subject, frame(c.type, c.body), { timeout: 15_000 });
      const f = decodeFrame(m.data);
      return { type: f.type, body: f.body };
    } catch (e) { return { error: (e as Error).message }; }
  },
  async announce(c) {
    const ch = await host!.request<{ nonce: string }>(subject.challenge(), 'registry.challenge', { name: c.name });
    const fields = { net: c.net, name: c.name, type: c.type, dof: c.dof, linkKm: c.linkKm, nonce: ch.body.nonce, processId: c.processId };
    const r = await host!.request(subject.announce(), 'registry.announce', { ...fields, mac: announceMac(c.credential, fields) });
    return { type: r.type, body: r.body };
  },
  async exists(c) {
    return Object.fromEntries((c.paths as string[]).map((p) => [p, fs.existsSync(p)]));
  },
  async 'redis-noauth'(c) {
    // No ready check: its INFO would fail with the very NOAUTH this shows.
    const r = new Redis(c.url, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try { await r.connect(); return await redisCall(r, ['GET', 'anything']); } finally { r.disconnect(); }
  },
  async 'redis-as'(c) {
    const a = redisAccessOf(readBundle(c.bundle))!;
    const r = openRedis(a.url, { ...a, redis: { maxRetriesPerRequest: 0, retryStrategy: () => null } }) as Redis;
    r.on('error', () => undefined);
    try {
      const out = [];
      for (const args of c.commands as string[][]) out.push({ command: args.join(' '), ...await redisCall(r, args) });
      return { user: a.username, results: out };
    } finally { r.disconnect(); }
  },
  async clients(c) {
    const r = asAdmin(c.issuer);
    try {
      const list = String(await r.call('CLIENT', 'LIST'));
      return list.trim().split('\n').map((l) => Object.fromEntries(l.split(' ').map((kv) => kv.split('=', 2)))).map((f) => ({ addr: f.addr, user: f.user }));
    } finally { r.disconnect(); }
  },
  async pools(c) {
    const iss = loadIssuer(c.issuer);
    const r = asAdmin(c.issuer);
    try {
      const out = [];
      for (const p of c.pools as Array<{ owner: string; peer: string; kind: string }>) {
        const P = poolPrefix(iss.network, p.owner, p.peer, p.kind as 'secret');
        const blocks: Record<string, { state: string | null; length: number; sha256?: string; bytes?: number }> = {};
        const keys = await r.keys(`${P}:b:*`);
        for (const k of keys) {
          const id = k.slice(`${P}:b:`.length);
          const [st, len] = await r.hmget(k, 'st', 'len');
          const data = await r.getBuffer(`${P}:d:${id}`);
          blocks[id] = { state: st, length: Number(len), ...(data ? { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length } : {}) };
        }
        out.push({ ...p, blocks });
      }
      return out;
    } finally { r.disconnect(); }
  },
};

const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let c: Cmd;
  try { c = JSON.parse(line) as Cmd; } catch { say({ id: -1, ok: false, error: `not JSON: ${line}` }); return; }
  const h = handlers[c.cmd];
  if (!h) { say({ id: c.id, ok: false, error: `unknown command ${c.cmd}` }); return; }
  h(c).then((result) => say({ id: c.id, ok: true, result }), (e: Error) => say({ id: c.id, ok: false, error: e.message }));
});
rl.on('close', () => { void Promise.allSettled(closers.map((f) => f())).then(() => process.exit(0)); });
process.on('SIGTERM', () => rl.close());
say({ ready: true });
