// The durable session decisions (infra/keypool/decisions.ts) on a real Redis with the launcher's ACL
// users: first decision wins, only the coordinator that opened a session can commit it, a recovery
// abort and a commit exclude each other, and only the server's user may touch the records.
import test from 'ava';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { generatePoolUsers, type PoolUsers } from '../../infra/keypool/acl.ts';
import { SessionDecisions, decisionKey } from '../../infra/keypool/decisions.ts';

const net = 'dec';
let srv: ManagedServer;
let users: PoolUsers;
const conns: Redis[] = [];
const as = (u: { username: string; password: string }) => { const r = new Redis(srv.address, { username: u.username, password: u.password, enableReadyCheck: false }); conns.push(r); return r; };

test.before(async () => {
  users = generatePoolUsers(net, ['Alice', 'Bob'], { disableDefault: true });
  srv = await startRedis({ users: users.aclLines });
});
test.after.always(async () => { for (const c of conns) c.disconnect(); await srv?.stop(); });

test.serial('the opening coordinator records commit once; another incarnation or a recovery abort cannot override it', async (t) => {
  const d = new SessionDecisions(as(users.server), net);
  t.is(await d.get('s1-x'), 'none');
  t.true(await d.open('s1-x', 'n1'));
  t.false(await d.open('s1-x', 'n2'), 'a reused session id is refused');
  t.is(await d.get('s1-x'), 'open');
  t.false(await d.decide('s1-x', 'commit', 'n2'), 'not the opener');
  t.true(await d.decide('s1-x', 'commit', 'n1'));
  t.true(await d.decide('s1-x', 'commit', 'n1'), 'idempotent retry');
  t.false(await d.decide('s1-x', 'abort', 'n1'), 'a decision is final');
  t.is(await d.abortOrphan('s1-x'), 'commit', 'recovery reports the commit, does not abort it');
  t.is(await d.get('s1-x'), 'commit');
});

test.serial('a session without a live coordinator is aborted by recovery, and then cannot be committed', async (t) => {
  const d = new SessionDecisions(as(users.server), net);
  t.true(await d.open('s2-x', 'n1'));
  t.is(await d.abortOrphan('s2-x'), 'abort');
  t.false(await d.decide('s2-x', 'commit', 'n1'));
  t.is(await d.get('s2-x'), 'abort');
  t.is(await d.abortOrphan('s3-never-opened'), 'abort');
  t.false(await d.decide('s3-never-opened', 'commit', 'n1'));
});

test.serial('nodes cannot read or write decisions', async (t) => {
  const alice = as(users.nodes.Alice);
  for (const p of [alice.get(decisionKey(net, 's1-x')), alice.set(decisionKey(net, 's9-x'), 'commit:forged')]) {
    const err = await p.then(() => undefined, (e: Error) => e);
    t.regex(String(err?.message), /NOPERM/);
  }
  const err = await new SessionDecisions(alice, net).open('s9-x', 'n1').then(() => undefined, (e: Error) => e);
  t.regex(String(err?.message), /NOPERM/);
});
