// Attacks on the bus itself (real nats-server with the generated authorization config, real
// processes): an attacker holds one NATS connection, without credentials or with a node's own
// identity (a compromised node), and tries to read or forge what is not its own.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { loadTopology } from '../../infra/topology.ts';
import { newUserNkey } from '../../infra/nkey.ts';
import { launchCluster, type Cluster } from '../../runtime/launcher.ts';
import { encodeFrame, PROTOCOL_VERSION } from '../../runtime/codec.ts';
import { CLIENT, fullSubject, inboxPrefix, INSPECTOR, SERVER, subject } from '../../runtime/subjects.ts';
import '../../actors/server/registry.messages.ts';
import '../../actors/sessions/session.messages.ts';
import '../../actors/sessions/decision.messages.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-zt-'));
const topoFile = path.join(dir, 'zt.json');
fs.writeFileSync(topoFile, JSON.stringify({
  network: 'zt',
  nodes: [
    { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' },
    { name: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, credential: 'bob-secret-0' },
    { name: 'David', type: 'D', dof: 'pol', linkKm: 3, credential: 'david-secret' },
  ],
}));
const NET = 'zt';
let cluster: Cluster;
const conns: NatsConnection[] = [];

test.before(async () => {
  cluster = await launchCluster({ topology: loadTopology(topoFile), redisUrl: 'redis://127.0.0.1:1', forwardChildLogs: false, log: () => {} });
});
test.after.always(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw NATS connection as `identity` (its real seed from its bundle), or with `seed`. */
async function as(identity: string, seed = cluster.bundle(identity).nats.seed): Promise<NatsConnection> {
  const nc = await connect({ servers: cluster.natsServers, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), inboxPrefix: inboxPrefix(NET, identity), maxReconnectAttempts: 0 });
  conns.push(nc);
  return nc;
}

/** Subscribe and report how the server answered: 'allowed' (and what arrived) or the violation. */
async function trySubscribe(nc: NatsConnection, subj: string): Promise<{ error?: Error; got: string[] }> {
  const got: string[] = [];
  let error: Error | undefined;
  nc.subscribe(subj, { callback: (err, m) => { if (err) error = err; else got.push(m.subject); } });
  await nc.flush();
  await new Promise((r) => setTimeout(r, 200));
  return { error, got };
}

/** Errors the server reported on this connection (publish violations arrive asynchronously). */
function errorsOf(nc: NatsConnection): string[] {
  const out: string[] = [];
  (async () => { for await (const s of nc.status()) if (s.type === 'error') out.push((s as { error: Error }).error.message); })();
  return out;
}

const view = async () => (await cluster.status()).nodes;

test.serial('connections without credentials, or with a key the network does not know, are refused', async (t) => {
  const anon = await t.throwsAsync(connect({ servers: cluster.natsServers, maxReconnectAttempts: 0 }));
  t.regex(anon!.message, /Authorization Violation/);
  const stranger = await t.throwsAsync(connect({ servers: cluster.natsServers, maxReconnectAttempts: 0, authenticator: nkeyAuthenticator(new TextEncoder().encode(newUserNkey().seed)) }));
  t.regex(stranger!.message, /Authorization Violation/);
});

test.serial('a node identity cannot subscribe to another node\'s fabric, session, actor, task or inbox subjects, nor to everything', async (t) => {
  const bob = await as('Bob');
  for (const s of [
    `qn.${NET}.>`, `qn.${NET}.fabric.*.Alice.server`, `qn.${NET}.fabric.>`, `qn.${NET}.session.*.Alice.*`, `qn.${NET}.session.*.*.*`,
    `qn.${NET}.actor.Alice.>`, `qn.${NET}.actor.server.>`, `qn.${NET}.taskchan.Alice.*`, `qn.${NET}.status.*`, `qn.${NET}.registry.*.*`,
    `${inboxPrefix(NET, 'Alice')}.>`, `${inboxPrefix(NET, SERVER)}.>`, '_INBOX.>', '>',
  ]) {
    const r = await trySubscribe(bob, s);
    t.is(r.error?.name, 'PermissionViolationError', s);
    t.regex(r.error?.message ?? '', new RegExp(`Permissions Violation for Subscription to "${s.replace(/[.*>]/g, (c) => `\\${c}`)}"`), s);
    t.deepEqual(r.got, [], s);
  }
  // its own are fine
  for (const s of [`qn.${NET}.fabric.*.Bob.server`, `qn.${NET}.session.*.Bob.*`, `qn.${NET}.actor.Bob.>`]) t.is((await trySubscribe(bob, s)).error, undefined, s);
  // the CLI client and the inspector never read fabric or session traffic either
  for (const id of [CLIENT, INSPECTOR]) {
    const nc = await as(id);
    for (const s of [`qn.${NET}.fabric.*.Alice.server`, `qn.${NET}.session.*.Alice.*`]) t.is((await trySubscribe(nc, s)).error?.name, 'PermissionViolationError', `${id}: ${s}`);
  }
});

test.serial('a node identity cannot publish as another identity: forged heartbeat, goodbye, decisions and admissions never reach anyone', async (t) => {
  const bob = await as('Bob');
  const errors = errorsOf(bob);
  // the server's inbox for Alice's local control, as if from the server, and Alice's heartbeat subject
  const frame = (type: string, body: unknown) => encodeFrame({ v: PROTOCOL_VERSION, type, from: 'server', body, ts: Date.now() });
  const forged: Array<[string, Uint8Array]> = [
    [fullSubject(NET, subject.actor('Alice', 'local-Alice'), SERVER), frame('session.abort', { sessionId: 's1', reason: 'forged' })],
    [fullSubject(NET, subject.actor('Alice', 'local-Alice'), 'Bob'), frame('session.commit', { sessionId: 's1' })],
    [fullSubject(NET, subject.status(), 'Alice'), frame('node.bye', { node: 'Alice', processId: 'node-Alice', reason: 'forged' })],
    [fullSubject(NET, subject.actor(SERVER, 'hypervisor'), SERVER), frame('hypervisor.nodeUp', { name: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, processId: 'x' })],
    [fullSubject(NET, subject.fabric('s1', 'Alice'), SERVER), frame('session.frame', { seq: 0, part: 0, parts: 1 })],
    [fullSubject(NET, subject.tasks(CLIENT, 'r1'), SERVER), frame('qkd.result', { requestId: 'r1', ok: true })],
    [`${inboxPrefix(NET, 'Alice')}.x.1`, frame('session.decision', { sessionId: 's1', decision: 'commit' })],
  ];
  const watcher = await as(CLIENT);
  const leaked: string[] = [];
  watcher.subscribe(`qn.${NET}.tasks.client.>`, { callback: (_e, m) => { if (m) leaked.push(m.subject); } });
  await watcher.flush();
  for (const [s, f] of forged) bob.publish(s, f);
  await bob.flush();
  await new Promise((r) => setTimeout(r, 300));
  for (const [s] of forged) t.true(errors.some((e) => e.includes(`Permissions Violation for Publish to "${s}"`)), `no violation reported for ${s}: ${errors.join(' | ')}`);
  t.deepEqual(leaked, []);
  // the same lies under Bob's own name arrive, and are ignored: a goodbye or heartbeat naming Alice
  // from Bob's identity does not touch Alice.
  const before = (await view()).find((n) => n.name === 'Alice')!;
  bob.publish(fullSubject(NET, subject.status(), 'Bob'), frame('node.bye', { node: 'Alice', processId: before.processId!, reason: 'forged' }));
  bob.publish(fullSubject(NET, subject.status(), 'Bob'), frame('node.heartbeat', { node: 'Alice', processId: before.processId!, seq: 99, state: 'forged', actors: { forged: 'yes' } }));
  await bob.flush();
  await new Promise((r) => setTimeout(r, 1500));
  const after = (await view()).find((n) => n.name === 'Alice')!;
  t.is(after.state, 'up');
  t.false('forged' in after.actors, 'a heartbeat naming Alice from Bob\'s identity was counted');
});

test.serial('a node cannot announce itself as another node, even holding that node\'s credential', async (t) => {
  const bob = cluster.connect('Bob', 'bob-attacker');
  const h = await bob;
  const ch = await h.request<{ nonce: string }>(subject.challenge(), 'registry.challenge', { name: 'Alice' });
  const { announceMac } = await import('../../infra/credentials.ts');
  const fields = { net: NET, name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, nonce: ch.body.nonce, processId: 'bob-attacker' };
  const r = await h.request<{ field: string; reason: string }>(subject.announce(), 'registry.announce', { ...fields, mac: announceMac('alice-secret', fields) });
  t.is(r.type, 'registry.refused');
  t.is(r.body.field, 'name');
  t.is((await view()).find((n) => n.name === 'Alice')!.processId, 'node-Alice');
});

test.serial('replies go only to the asker\'s own inbox: a request naming another subject as its reply gets no answer there', async (t) => {
  const bob = await as('Bob');
  const client = await as(CLIENT);
  const leaked: string[] = [];
  client.subscribe(`qn.${NET}.tasks.client.>`, { callback: (_e, m) => { if (m) leaked.push(m.subject); } });
  await client.flush();
  const ask = encodeFrame({ v: PROTOCOL_VERSION, type: 'registry.challenge', from: 'x', body: { name: 'Bob' }, ts: Date.now() });
  // reflected: the server would publish its reply as "server" on the client's task subject
  bob.publish(fullSubject(NET, subject.challenge(), 'Bob'), ask, { reply: `qn.${NET}.tasks.client.r9.server` });
  // the honest way gets an answer
  const ok = await bob.request(fullSubject(NET, subject.challenge(), 'Bob'), ask, { timeout: 5000 });
  t.true(ok.data.length > 0);
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(leaked, []);
});

test.serial('a node may not ask the server about another node\'s session decisions', async (t) => {
  const h = await cluster.connect('Bob', 'bob-asker');
  const e = await t.throwsAsync(h.request(subject.decision(), 'session.decision.ask', { sessionId: 's1', node: 'Alice' }));
  t.regex(e!.message, /identity Bob cannot ask for node Alice/);
});

test.serial('several NATS URLs (a comma list or repeated) are accepted; a dead one is skipped', async (t) => {
  const { NatsBus, serverList } = await import('../../runtime/nats-bus.ts');
  t.deepEqual(serverList(['nats://a:1,nats://b:2', ' nats://c:3 ']), ['nats://a:1', 'nats://b:2', 'nats://c:3']);
  const b = cluster.bundle(CLIENT);
  const bus = await NatsBus.connect({ servers: [`nats://127.0.0.1:1,${b.nats.servers[0]}`], name: 'multi', net: NET, identity: CLIENT, seed: b.nats.seed });
  t.is(bus.identity, CLIENT);
  await bus.close();
});
