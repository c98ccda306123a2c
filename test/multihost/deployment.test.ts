// The reference network deployed across real hosts (three network namespaces, lab-deployment.ts):
// srv runs `hetqn server --tls` with its secured NATS and hardened Redis; h1 (Alice) and h2 (David,
// Charlie) run `hetqn node --join` from their bundles alone. A BB84 session (David–Alice) and an MDI
// session (Alice–Charlie via David) cross hosts and land identical keys in both pools, read by the
// admin on srv. Then the attacks of issue #11 against this deployment, by a compromised node (Bob's
// bundle, on h2): the bus refuses what is not its own, forgeries leave no one-sided key, its bundle
// holds only its pairs' keys, Redis refuses it everything but its own pools, and Redis killed with -9
// and restarted on its AOF takes the next session with no manual step.
// Needs root and iproute2 (CI runs as root): without them the before hook fails with the reason.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startDeployment, type Agent, type Deployment } from './lab-deployment.ts';
import { findBinary } from '../../infra/servers.ts';
import { loadIssuer } from '../../infra/issuer.ts';
import { pairKey, pskBlock } from '../../infra/psk.ts';
import { poolPrefix, statsKey } from '../../infra/keypool/names.ts';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { fullSubject, inboxPrefix, SERVER, subject } from '../../runtime/subjects.ts';

let dep: Deployment | undefined;
let admin: Agent, bob: Agent;
const started = Date.now();

test.before(async () => {
  dep = await startDeployment({ h1: ['Alice'], h2: ['David', 'Charlie'] }, { h2: ['Bob'] });
  admin = await dep.agent('srv');
  bob = await dep.agent('h2');
  await bob.ask('connect', { bundle: dep.bundles.Bob! });
  process.stderr.write(`[deployment] up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});
test.after.always(async () => {
  await dep?.stop();
  process.stderr.write(`[deployment] total ${((Date.now() - started) / 1000).toFixed(1)} s, load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
});

const d = () => dep!;
type Block = { state: string | null; length: number; sha256?: string; bytes?: number };
type Pools = Array<{ owner: string; peer: string; kind: string; blocks: Record<string, Block> }>;

/** Both ends' pools of a pair, read by the admin on srv. */
async function pairPools(a: string, b: string, kind = 'secret'): Promise<[Record<string, Block>, Record<string, Block>]> {
  const r = await admin.ask<Pools>('pools', { issuer: d().issuerFile, pools: [{ owner: a, peer: b, kind }, { owner: b, peer: a, kind }] });
  return [r[0]!.blocks, r[1]!.blocks];
}

/** Run `hetqn qkd` on srv (the admin host's client bundle); its JSON result. */
async function qkd(args: string[]): Promise<Record<string, any>> {
  const r = await d().cliOnSrv(['qkd', ...args, '--timeout', '150', '--json'], 170_000);
  if (r.code !== 0 || !r.json) throw new Error(`hetqn qkd ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.json;
}

/** The key of a session committed at both ends with the same bytes, and nothing one-sided in the pair's pools. */
async function sameKeyAtBothEnds(t: import('ava').ExecutionContext, a: string, b: string, keyId: string, bits: number, kind = 'secret') {
  const [pa, pb] = await pairPools(a, b, kind);
  const ka = pa[keyId], kb = pb[keyId];
  t.is(ka?.state, 'c', `${a}'s block ${keyId}`);
  t.is(kb?.state, 'c', `${b}'s block ${keyId}`);
  t.is(ka?.length, bits);
  t.is(kb?.length, bits);
  t.is(ka?.bytes, Math.ceil(bits / 8));
  t.truthy(ka?.sha256);
  t.is(ka?.sha256, kb?.sha256, `${a} and ${b} hold different bytes for ${keyId}`);
  // Every block either end holds, the other holds too, in the same state and with the same bytes.
  t.deepEqual(pa, pb, `${a}-${b}: the two ends' ${kind} pools differ`);
}

test.serial('the nodes joined from their bundles alone: a node host sees its own bundle, not the issuer, state or other hosts\' files', async (t) => {
  const { nodes, dirs, issuerFile } = d();
  t.true(fs.existsSync(issuerFile), issuerFile);
  t.true(issuerFile.startsWith(dirs.srv! + path.sep), issuerFile);
  for (const [name, n] of Object.entries(nodes)) {
    t.is(n.joined.registered, true, name);
    t.is(n.joined.network, d().net);
    // The node process's own view of the file system (/proc/<pid>/root: its mount namespace).
    const seen = (p: string) => fs.existsSync(`/proc/${n.joined.pid}/root${p}`);
    t.true(seen(n.bundle), `${name} cannot read its bundle`);
    t.false(seen(issuerFile), `${name} sees the issuer file`);
    t.false(seen(path.join(dirs.srv!, 'state', `${d().net}.json`)), `${name} sees the state file`);
    for (const [other, o] of Object.entries(nodes)) if (o.host !== n.host) t.false(seen(o.bundle), `${name} sees ${other}'s bundle`);
  }
  // The bus reaches the node hosts at srv's lab address, over TLS.
  t.true(d().server.natsServers.every((u: string) => u.includes(d().lab.hosts.srv!.address)), JSON.stringify(d().server.natsServers));
  const bundle = JSON.parse(fs.readFileSync(nodes.Alice!.bundle, 'utf8'));
  t.regex(bundle.ca, /BEGIN CERTIFICATE/);
  t.true(bundle.redis.url.includes(d().lab.hosts.srv!.address), bundle.redis.url);
});

test.serial('BB84 David (h2) – Alice (h1) across hosts: identical keys in both pools', async (t) => {
  const r = await qkd(['David', 'Alice', '--protocol', 'bb84', '--seconds', '0.02']);
  t.log(`BB84 ${r.sessionId}: ${r.seconds} s, ${r.detections} detections, l_sift ${r.l_sift}, QBER ${r.qber}, l_sec ${r.l_sec}`);
  t.is(r.protocol, 'bb84');
  t.true(r.l_sec > 0, `l_sec ${r.l_sec}`);
  await sameKeyAtBothEnds(t, 'David', 'Alice', r.keyId, r.l_sec);
});

test.serial('MDI Alice (h1) – Charlie (h2) via David (h2) across hosts: identical keys in both pools', async (t) => {
  // The shortest MDI run with a key on these links is minutes of acquisition: the planner sizes it.
  const r = await qkd(['Alice', 'Charlie', '--protocol', 'mdi', '--bits', process.env.HETQN_MH_MDI_BITS ?? '4000']);
  t.log(`MDI ${r.sessionId}: ${r.seconds} s, ${r.detections} detections, l_sift ${r.l_sift}, QBER ${r.qber}, l_sec ${r.l_sec}`);
  t.is(r.protocol, 'mdi');
  t.deepEqual(r.relay, { kind: 'single', node: 'David' });
  t.true(r.l_sec > 0, `l_sec ${r.l_sec}`);
  await sameKeyAtBothEnds(t, 'Alice', 'Charlie', r.keyId, r.l_sec);
});

test.serial('attack: connections without credentials, or with a key the network does not know, are refused', async (t) => {
  const servers = d().server.natsServers;
  const ca = JSON.parse(fs.readFileSync(d().bundles.Bob!, 'utf8')).ca;
  for (const stranger of [false, true]) {
    const r = await bob.ask('anon', { servers, ca, stranger });
    t.false(r.connected, `stranger ${stranger}`);
    t.regex(r.error, /Authorization Violation/);
  }
});

test.serial('attack: a node identity cannot subscribe to another node\'s fabric, session, actor or inbox subjects', async (t) => {
  const net = d().net;
  const theirs = [`qn.${net}.>`, `qn.${net}.fabric.*.Alice.server`, `qn.${net}.fabric.>`, `qn.${net}.session.*.Alice.*`, `qn.${net}.session.*.David.*`,
    `qn.${net}.actor.Alice.>`, `qn.${net}.actor.server.>`, `${inboxPrefix(net, 'Alice')}.>`, '>'];
  const r = await bob.ask<Array<{ subject: string; error?: { name: string; message: string }; got: string[] }>>('subscribe', { subjects: theirs });
  for (const x of r) {
    t.is(x.error?.name, 'PermissionViolationError', x.subject);
    t.true(x.error?.message.includes(`Permissions Violation for Subscription to "${x.subject}"`), x.error?.message);
    t.deepEqual(x.got, []);
  }
  // Its own are allowed (the control: the refusals above are about whose subjects they are).
  const own = await bob.ask<typeof r>('subscribe', { subjects: [`qn.${net}.fabric.*.Bob.server`, `qn.${net}.session.*.Bob.*`] });
  for (const x of own) t.is(x.error, undefined, x.subject);
});

test.serial('attack: forged commit, abort, decision, heartbeat and announce during a D–A session are refused or ignored; no one-sided key', async (t) => {
  const net = d().net;
  const before = await pairPools('David', 'Alice');
  const run = d().spawnCliOnSrv(['qkd', 'David', 'Alice', '--protocol', 'bb84', '--seconds', '0.02', '--timeout', '150', '--json']);
  const sid = /planned bb84 ([\w-]+)/.exec(await run.waitForLine(/planned bb84 [\w-]+/, 120_000))![1]!;
  const f = (rel: string, as: string) => fullSubject(net, rel, as);
  const refusedAsOthers = [
    // The attack: commit to one party, abort to the other, as the server.
    { subject: f(subject.actor('Alice', 'local-Alice'), SERVER), type: 'session.commit', body: { sessionId: sid } },
    { subject: f(subject.actor('David', 'local-David'), SERVER), type: 'session.abort', body: { sessionId: sid, reason: 'forged' } },
    // Under its own name to a party's actor, a decision answer into a party's inbox.
    { subject: f(subject.actor('David', 'local-David'), 'Bob'), type: 'session.abort', body: { sessionId: sid, reason: 'forged' } },
    { subject: `${inboxPrefix(net, 'Alice')}.forged.1`, type: 'session.decision', body: { sessionId: sid, decision: 'abort' } },
    // A heartbeat and an admission in another's name.
    { subject: f(subject.status(), 'Alice'), type: 'node.heartbeat', body: { node: 'Alice', processId: 'node-Alice', seq: 99, state: 'forged', actors: { forged: 'yes' } } },
    { subject: f(subject.actor(SERVER, 'hypervisor'), SERVER), type: 'hypervisor.nodeUp', body: { name: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, processId: 'x' } },
    { subject: f(subject.fabric(sid, 'Alice'), SERVER), type: 'session.frame', body: { seq: 0, part: 0, parts: 1 } },
  ];
  const pub = await bob.ask<{ errors: string[] }>('publish', { items: refusedAsOthers });
  for (const x of refusedAsOthers) t.true(pub.errors.some((e) => e.includes(`Permissions Violation for Publish to "${x.subject}"`)), `not refused: ${x.subject}`);
  // What its identity may send, naming others: reaches the receivers, who ignore it.
  const ignored = [
    { subject: f(subject.coordinator(sid), 'Bob'), type: 'session.failed', body: { sessionId: sid, node: 'David', stage: 'processing', reason: 'forged failure' } },
    { subject: f(subject.status(), 'Bob'), type: 'node.heartbeat', body: { node: 'Alice', processId: 'node-Alice', seq: 99, state: 'forged', actors: { forged: 'yes' } } },
    { subject: f(subject.status(), 'Bob'), type: 'node.bye', body: { node: 'David', processId: 'node-David', reason: 'forged' } },
  ];
  const pub2 = await bob.ask<{ errors: string[] }>('publish', { items: ignored });
  t.deepEqual(pub2.errors, []);
  const ask = await bob.ask('request', { subject: f(subject.decision(), 'Bob'), type: 'session.decision.ask', body: { sessionId: sid, node: 'Alice' } });
  t.regex(JSON.stringify(ask), /identity Bob cannot ask for node Alice/);
  const reference = loadTopology(referenceTopologyPath()).nodes.find((n) => n.name === 'Alice')!;
  const announce = await bob.ask('announce', { net, name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: reference.credential, processId: 'bob-as-alice' });
  t.is(announce.type, 'registry.refused');
  t.is(announce.body.field, 'name');

  const code = await run.exited;
  const out = JSON.parse(run.lines.find((l) => l.startsWith('{')) ?? '{}');
  t.is(code, 0, run.lines.slice(-10).join('\n'));
  t.true(out.l_sec > 0);
  await sameKeyAtBothEnds(t, 'David', 'Alice', out.keyId, out.l_sec);
  const [after] = await pairPools('David', 'Alice');
  t.deepEqual(Object.keys(after).filter((k) => !(k in before[0])), [out.keyId], 'one new block, this session\'s');
  const status = await d().cliOnSrv(['status', '--json']);
  const view = status.json.nodes as Array<{ name: string; state: string; actors: Record<string, string> }>;
  t.is(view.find((n) => n.name === 'David')!.state, 'up', 'a goodbye naming David from Bob took David down');
  t.false('forged' in view.find((n) => n.name === 'Alice')!.actors, 'a heartbeat naming Alice from Bob was counted');
});

test.serial('attack: a node\'s bundle holds only its own pairs\' keys; another pair\'s key is in nothing on its host', (t) => {
  const issuer = loadIssuer(d().issuerFile);
  const names = loadTopology(referenceTopologyPath()).nodes.map((n) => n.name);
  const text = fs.readFileSync(d().bundles.Bob!, 'utf8');
  const b = JSON.parse(text);
  t.deepEqual(Object.keys(b.psk).sort(), names.filter((n) => n !== 'Bob').sort());
  for (const [peer, seed] of Object.entries(b.psk)) t.is(seed, issuer.pairs[pairKey('Bob', peer)]);
  // Everything on h2 of ours: its directory's files (David's, Charlie's and Bob's bundles, the KME
  // tokens), and its node processes' environment and command line.
  const h2 = Object.values(d().nodes).filter((n) => n.host === 'h2');
  const files = fs.readdirSync(d().dirs.h2!, { recursive: true }).map((f) => path.join(d().dirs.h2!, String(f))).filter((f) => fs.statSync(f).isFile());
  const holdings = [...files.map((f) => fs.readFileSync(f, 'latin1')),
    ...h2.flatMap((n) => [fs.readFileSync(`/proc/${n.joined.pid}/environ`, 'latin1'), fs.readFileSync(`/proc/${n.joined.pid}/cmdline`, 'latin1')])].join('\n');
  const h2Nodes = new Set(Object.entries(d().bundles).filter(([, f]) => f.startsWith(d().dirs.h2! + path.sep)).map(([n]) => n));
  t.deepEqual([...h2Nodes].sort(), ['Bob', 'Charlie', 'David']);
  const foreign = Object.entries(issuer.pairs).filter(([pair]) => !pair.split('|').some((x) => h2Nodes.has(x)));
  t.true(foreign.some(([p]) => p === pairKey('Alice', 'Frank')), 'Alice–Frank is another pair');
  for (const [pair, seed] of foreign) {
    t.false(holdings.includes(seed), `${pair}'s seed is on h2`);
    const head = Buffer.from(pskBlock(seed, 0).subarray(0, 32));
    t.false(holdings.includes(head.toString('hex')) || holdings.includes(head.toString('base64')), `${pair}'s key bits are on h2`);
  }
  t.false(holdings.includes(issuer.redisUsers.admin.password), 'the Redis admin password is on h2');
  for (const id of ['server', 'client', 'inspector', 'Alice']) t.false(holdings.includes(issuer.identities[id]!.seed), `${id}'s nkey seed is on h2`);
});

test.serial('every process reaches Redis as its own user: node hosts only as their nodes\' users, none as the admin', async (t) => {
  const issuer = loadIssuer(d().issuerFile);
  const users = issuer.redisUsers;
  const clients = await admin.ask<Array<{ addr: string; user: string }>>('clients', { issuer: d().issuerFile });
  const { hosts } = d().lab;
  const from = (h: string) => clients.filter((c) => c.addr.startsWith(`${hosts[h]!.address}:`)).map((c) => c.user);
  t.deepEqual(clients.filter((c) => !Object.values(hosts).some((h) => c.addr.startsWith(`${h.address}:`))), [], 'a client from outside the lab hosts');
  t.deepEqual([...new Set(from('h1'))], [users.nodes.Alice!.username]);
  t.deepEqual([...new Set(from('h2'))].sort(), [users.nodes.Charlie!.username, users.nodes.David!.username].sort());
  // srv: the server process as its statistics user, and this check itself as the admin.
  t.deepEqual([...new Set(from('srv'))].sort(), [users.admin.username, users.server.username].sort());
  t.is(from('srv').filter((u) => u === users.admin.username).length, 1, 'only this check is the admin');
});

test.serial('attack: Redis refuses no-auth clients, another node\'s pool keys, and EVAL/SCRIPT/FUNCTION for a node user', async (t) => {
  const net = d().net;
  const bundle = JSON.parse(fs.readFileSync(d().bundles.Bob!, 'utf8'));
  const noauth = await bob.ask('redis-noauth', { url: bundle.redis.url });
  t.regex(String(noauth.error), /NOAUTH/);
  const [aliceDavid] = await pairPools('Alice', 'David');
  const keyId = Object.keys(aliceDavid)[0]!;
  const theirs = poolPrefix(net, 'Alice', 'David', 'secret');
  const r = await bob.ask<{ user: string; results: Array<{ command: string; reply?: unknown; error?: string }> }>('redis-as', {
    bundle: d().bundles.Bob!,
    commands: [
      ['MGET', `${theirs}:d:${keyId}`], ['HGETALL', `${theirs}:b:${keyId}`], ['HGETALL', statsKey(net, 'Alice', 'David', 'secret')],
      ['GET', `${theirs}:d:${keyId}`], ['KEYS', '*'],
      ['EVAL', 'while true do end', '0'], ['EVAL', 'return 1', '0'], ['EVALSHA', 'a'.repeat(40), '0'], ['SCRIPT', 'LOAD', 'return 1'],
      ['FUNCTION', 'LOAD', '#!lua name=evil\nredis.register_function("f", function() while true do end end)'], ['FUNCTION', 'DELETE', 'hetqn'], ['FUNCTION', 'FLUSH'],
      ['CONFIG', 'SET', 'appendonly', 'no'], ['ACL', 'LIST'],
      // controls: its own statistics and identity
      ['HGETALL', statsKey(net, 'Bob', 'David', 'secret')], ['ACL', 'WHOAMI'],
    ],
  });
  const refused = r.results.slice(0, -2), allowed = r.results.slice(-2);
  for (const x of refused) t.regex(String(x.error), /NOPERM/, `${x.command}: ${JSON.stringify(x)}`);
  for (const x of allowed) t.is(x.error, undefined, x.command);
  t.is(allowed[1]!.reply, r.user);
  t.is(r.user, loadIssuer(d().issuerFile).redisUsers.nodes.Bob!.username);
});

test.serial('Redis killed with -9 and restarted on its AOF: the next session commits with no manual step, earlier keys intact', async (t) => {
  const lab = d().lab;
  const pids = lab.exec('srv', 'ip', ['netns', 'pids', lab.hosts.srv!.ns]).stdout.split('\n').filter(Boolean).map(Number);
  const redis = pids.filter((p) => { try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'redis-server'; } catch { return false; } });
  t.is(redis.length, 1, `redis-server processes in srv: ${redis.join(', ')}`);
  const pid = redis[0]!;
  // Redis runs in its data directory, where its configuration is (infra/servers.ts startRedis).
  const dir = fs.readlinkSync(`/proc/${pid}/cwd`);
  t.true(fs.existsSync(path.join(dir, 'redis.conf')), dir);
  const before = await pairPools('David', 'Alice');
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  // Its supervisor starts it again with the same configuration (AOF, ACL file) — here the test.
  const again = lab.spawn('srv', findBinary('redis-server')!, [path.join(dir, 'redis.conf')], { cwd: dir });
  await again.waitForLine(/Ready to accept connections/, 60_000);
  const after = await pairPools('David', 'Alice');
  t.deepEqual(after, before, 'the pools after the restart are the pools before it');
  const r = await qkd(['David', 'Alice', '--protocol', 'bb84', '--seconds', '0.02']);
  t.true(r.l_sec > 0);
  await sameKeyAtBothEnds(t, 'David', 'Alice', r.keyId, r.l_sec);
});
