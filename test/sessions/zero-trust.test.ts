// Attacks during a real D–A BB84 session (one process per node, the launcher's private secured NATS
// and Redis): a compromised node identity (Bob's, with his real bundle) tries to read the parties'
// fabric views and channel, forge commit/abort and reports, and ask for others' decisions. The
// session still commits the same key on both sides and nothing else. Then the pre-shared keys: a
// node holds only its own pairs' seeds, and another pair's key is in nothing it has.
import test from 'ava';
import fs from 'node:fs';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { startEnv, stopEnv, submit, sameKeyBothEnds, store, waitUntil, type Env } from './helpers.ts';
import { encodeFrame, PROTOCOL_VERSION } from '../../runtime/codec.ts';
import { fullSubject, inboxPrefix, SERVER, subject } from '../../runtime/subjects.ts';
import { loadIssuer } from '../../infra/issuer.ts';
import { pairKey, pskBlock, PSK_BLOCK_BITS } from '../../infra/psk.ts';
import { poolPrefix } from '../../infra/keypool/names.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import '../../actors/sessions/decision.messages.ts';

let env: Env | undefined;
const conns: NatsConnection[] = [];
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { for (const c of conns) await c.close().catch(() => undefined); await stopEnv(env); });

async function asNode(name: string): Promise<{ nc: NatsConnection; errors: string[] }> {
  const b = env!.cluster.bundle(name);
  const nc = await connect({ servers: b.nats.servers, authenticator: nkeyAuthenticator(new TextEncoder().encode(b.nats.seed)), inboxPrefix: inboxPrefix(b.network, name), maxReconnectAttempts: 0 });
  conns.push(nc);
  const errors: string[] = [];
  (async () => { for await (const s of nc.status()) if (s.type === 'error') errors.push((s as { error: Error }).error.message); })();
  return { nc, errors };
}

const frame = (type: string, body: unknown) => encodeFrame({ v: PROTOCOL_VERSION, type, from: 'server', body, ts: Date.now() });

test.serial('a node identity attacking a D–A session reads nothing, forges nothing, and both ends commit the same key', async (t) => {
  const e = env!;
  const net = e.cluster.net;
  const { nc: bob, errors } = await asNode('Bob');
  const h = await submit(e, 'David', 'Alice', { seconds: 0.05 }, 240_000);
  await waitUntil(() => h.notices.some((n) => n.type === 'task.notice' && n.body.status === 'planned'), 'the session to be planned', 60_000);
  const sid = h.notices.find((n) => n.body.status === 'planned')!.body.plan.sessionId as string;
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && ['running', 'detections', 'post-processing'].includes(n.body.stage)), 'the optics to run', 120_000);

  // Read: every party's view and channel, and their inboxes (each subscribe is refused by the server).
  const stolen: string[] = [];
  const refused: string[] = [];
  for (const s of [`qn.${net}.fabric.${sid}.Alice.server`, `qn.${net}.fabric.${sid}.David.server`, `qn.${net}.session.${sid}.Alice.*`, `qn.${net}.session.${sid}.David.*`,
    `qn.${net}.actor.Alice.>`, `qn.${net}.actor.server.>`, `${inboxPrefix(net, 'Alice')}.>`, `qn.${net}.>`]) {
    bob.subscribe(s, { callback: (err, m) => { if (err) refused.push(s); else stolen.push(m.subject); } });
  }
  // Forge as the server: commit to one party, abort to the other (refused: not Bob's subjects).
  bob.publish(fullSubject(net, subject.actor('Alice', 'local-Alice'), SERVER), frame('session.commit', { sessionId: sid }));
  bob.publish(fullSubject(net, subject.actor('David', 'local-David'), SERVER), frame('session.abort', { sessionId: sid, reason: 'forged' }));
  bob.publish(fullSubject(net, subject.actor('David', 'local-David'), 'Bob'), frame('session.abort', { sessionId: sid, reason: 'forged' }));
  // Or undo the session's switch settings at the router (a server actor: no node may reach it).
  bob.publish(fullSubject(net, subject.actor(SERVER, 'router'), 'Bob'), frame('fabric.release', { sessionId: sid }));
  // Forge under its own name what it may send: reports to the coordinator naming the parties, a
  // stream close into Alice's channel, a heartbeat for David (all reach their receivers, all ignored).
  const coordinator = fullSubject(net, subject.coordinator(sid), 'Bob');
  bob.publish(coordinator, frame('session.failed', { sessionId: sid, node: 'David', stage: 'processing', reason: 'forged failure' }));
  bob.publish(coordinator, frame('session.staged', { sessionId: sid, node: 'Alice', blockId: 'forged', bits: 1, stats: { detections: 1, siftedBits: 1, qber: 0, secretBits: 1, disclosedBits: 0, f: null }, timings: {} }));
  bob.publish(fullSubject(net, subject.session(sid, 'Alice'), 'Bob'), frame('session.frame', { seq: 0, part: 0, parts: 1, close: 'forged close' }));
  bob.publish(fullSubject(net, subject.status(), 'Bob'), frame('node.bye', { node: 'David', processId: 'node-David', reason: 'forged' }));
  // Ask the server for the parties' decision in their name.
  const ask = await bob.request(fullSubject(net, subject.decision(), 'Bob'), frame('session.decision.ask', { sessionId: sid, node: 'Alice' }), { timeout: 10_000 });
  await bob.flush();

  const o = await h.done;
  t.true(o.ok, o.reason);
  const r = o.result!;
  t.deepEqual(stolen, []);
  t.is(refused.length, 8);
  for (const s of [subject.actor('Alice', 'local-Alice'), subject.actor('David', 'local-David')]) {
    t.true(errors.some((x) => x.includes(`Permissions Violation for Publish to "${fullSubject(net, s, SERVER)}"`)), `forged ${s} as server not refused`);
  }
  t.true(errors.some((x) => x.includes(`Permissions Violation for Publish to "${fullSubject(net, subject.actor('David', 'local-David'), 'Bob')}"`)));
  t.true(errors.some((x) => x.includes(`Permissions Violation for Publish to "${fullSubject(net, subject.actor(SERVER, 'router'), 'Bob')}"`)));
  const { decodeFrame } = await import('../../runtime/codec.ts');
  t.regex((decodeFrame(ask.data).body as { message: string }).message, /identity Bob cannot ask for node Alice/);
  // Both ends hold the block committed with identical bytes; nothing one-sided.
  t.is((await store(e, 'Alice').block('David', 'secret', r.keyId))?.state, 'committed');
  t.is((await store(e, 'David').block('Alice', 'secret', r.keyId))?.state, 'committed');
  const same = await sameKeyBothEnds(e, 'Alice', 'David', Math.min(256, Math.floor(r.l_sec / 2)));
  t.true(same.equal);
  t.deepEqual(same.blockIds, [r.keyId]);
  t.is((await e.cluster.status()).nodes.find((n) => n.name === 'David')!.state, 'up');
});

test.serial('a node holds only its own pairs\' pre-shared keys: another pair\'s key is in nothing it has', async (t) => {
  const e = env!;
  const issuer = loadIssuer(e.cluster.issuerFile);
  const names = loadTopology(referenceTopologyPath()).nodes.map((n) => n.name);
  const david = e.cluster.children.find((c) => c.name === 'David' && c.child.exitCode === null)!;
  const bundleText = fs.readFileSync(e.cluster.bundleFile('David'), 'utf8');
  const bundle = JSON.parse(bundleText);
  t.deepEqual(Object.keys(bundle.psk).sort(), names.filter((n) => n !== 'David').sort());
  for (const [peer, seed] of Object.entries(bundle.psk)) t.is(seed, issuer.pairs[pairKey('David', peer)]);
  // Everything David's process was given: its bundle, environment and command line.
  const holdings = [bundleText, fs.readFileSync(`/proc/${david.pid}/environ`, 'latin1'), fs.readFileSync(`/proc/${david.pid}/cmdline`, 'latin1')].join('\n');
  const foreign = Object.entries(issuer.pairs).filter(([pair]) => !pair.split('|').includes('David'));
  t.is(foreign.length, (names.length - 1) * (names.length - 2) / 2);
  for (const [pair, seed] of foreign) {
    t.false(holdings.includes(seed), `${pair}'s seed reached David`);
    const first = Buffer.from(pskBlock(seed, 0).subarray(0, 32));
    t.false(holdings.includes(first.toString('hex')) || holdings.includes(first.toString('base64')), `${pair}'s key bits reached David`);
  }
  // No network-wide secret: pair seeds are pairwise distinct, and the pair keys installed by the
  // session above are the Alice|David seed's expansion (the tail of block 0; its head was consumed).
  t.is(new Set(Object.values(issuer.pairs)).size, Object.keys(issuer.pairs).length);
  const want = pskBlock(issuer.pairs[pairKey('Alice', 'David')]!, 0);
  const tail = want.length - 4096;
  for (const [owner, peer] of [['Alice', 'David'], ['David', 'Alice']] as const) {
    const got = await store(e, owner).redis.getBuffer(`${poolPrefix(e.cluster.net, owner, peer, 'psk')}:d:psk-0`);
    t.is(got?.length, PSK_BLOCK_BITS / 8);
    t.true(Buffer.from(got!.subarray(tail)).equals(Buffer.from(want.subarray(tail))), `${owner}'s psk block with ${peer}`);
  }
  // No process of the network got a secret in its environment or argv (each has its bundle path only).
  for (const c of e.cluster.children.filter((x) => x.child.exitCode === null)) {
    const env = fs.readFileSync(`/proc/${c.pid}/environ`, 'latin1') + fs.readFileSync(`/proc/${c.pid}/cmdline`, 'latin1');
    for (const seed of Object.values(issuer.pairs)) t.false(env.includes(seed), `${c.name}: a pair seed in its environment or argv`);
    for (const id of Object.values(issuer.identities)) t.false(env.includes(id.seed), `${c.name}: an nkey seed in its environment or argv`);
  }
});
