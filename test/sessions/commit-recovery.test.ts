// No one-sided keys (issue 6): a node killed around the commit decision settles its staged block on
// restart as the coordinator recorded it (runtime/processes/session-recovery.ts). Real NATS + Redis, one
// process per node; the crashes come from the node wiring's test hook HETQN_FAULT (session-wiring-node.ts).
import test from 'ava';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { poolPrefix } from '../../infra/keypool/names.ts';
import { startEnv, stopEnv, submit, store, waitUntil, type Env, type QkdHandle } from './helpers.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { delete process.env.HETQN_FAULT; await stopEnv(env); });

const spec = (name: string) => loadTopology(referenceTopologyPath()).nodes.find((n) => n.name === name)!;
const exited = (c: { child: { exitCode: number | null; signalCode: string | null } }) => c.child.exitCode !== null || c.child.signalCode !== null;

/** Replace node `name`'s process by a new one (with `fault` set in its environment only). */
async function restart(e: Env, name: string, fault?: string): Promise<void> {
  const old = e.cluster.children.find((c) => c.name === name && !exited(c));
  if (old) { old.child.kill('SIGKILL'); await waitUntil(() => exited(old), `${name} to exit`); }
  e.cluster.children.splice(0, e.cluster.children.length, ...e.cluster.children.filter((c) => c.name !== name));
  if (fault) process.env.HETQN_FAULT = fault;
  try { await e.cluster.attach(spec(name)); } finally { delete process.env.HETQN_FAULT; }
  // The server polls the hypervisor every 500 ms and aborts sessions of a node it sees re-registered:
  // let it see this registration before the next session starts.
  await new Promise((r) => setTimeout(r, 1500));
}

/** Submit David-Alice until Alice's fault hook kills her in a session (a session the server started
 *  before it saw her new registration is aborted as 'restarted': submit again). */
async function sessionKilling(e: Env, name: string, what: string): Promise<QkdHandle> {
  for (let attempt = 0; ; attempt++) {
    const h = await submit(e, 'David', name, { seconds: 0.01 }, 240_000);
    let ended = false;
    void h.done.then(() => { ended = true; });
    await waitUntil(() => !alive(e, name) || ended, what, 240_000);
    if (!alive(e, name)) return h;
    const o = await h.done;
    if (attempt >= 3 || !/restarted/.test(o.reason ?? '')) throw new Error(`${name} survived the session: ${o.ok ? 'ok' : o.reason}`);
  }
}

const sessionOf = (h: QkdHandle) => h.notices.find((n) => n.type === 'task.notice' && n.body.status === 'planned')?.body.plan.sessionId as string | undefined;
const alive = (e: Env, name: string) => e.cluster.children.some((c) => c.name === name && !exited(c));
const blockData = (e: Env, owner: string, peer: string, id: string) => store(e, owner).redis.getBuffer(`${poolPrefix(e.cluster.net, owner, peer, 'secret')}:d:${id}`);

test.serial('a node killed after the commit decision, before committing, commits the same block on restart', async (t) => {
  const e = env!;
  await restart(e, 'Alice', 'crash-before-commit');
  const h = await sessionKilling(e, 'Alice', 'Alice to die at the commit');
  const sid = sessionOf(h)!;
  t.truthy(sid);
  // The peer committed; the dead node's copy is still only staged.
  await waitUntil(async () => (await store(e, 'David').block('Alice', 'secret', sid))?.state === 'committed', 'David to commit', 120_000);
  t.is((await store(e, 'Alice').block('David', 'secret', sid))?.state, 'staged');

  await restart(e, 'Alice');
  await waitUntil(async () => (await store(e, 'Alice').block('David', 'secret', sid))?.state === 'committed', 'Alice to commit on restart', 120_000);
  const [a, d] = [await blockData(e, 'Alice', 'David', sid), await blockData(e, 'David', 'Alice', sid)];
  t.truthy(a && a.length > 0);
  t.true(a!.equals(d!), 'both pools hold the same key bytes for the block');
  t.is((await store(e, 'Alice').stats('David', 'secret')).staged, 0);
  await h.done;
  // The server recorded the decision with its own Redis user (decisions only, no key material).
  const clients = String(await store(e, 'David').redis.call('CLIENT', 'LIST'));
  t.regex(clients, new RegExp(`user=${e.cluster.poolUsers!.server.username} `));
});

test.serial('a node killed after staging, before the decision: after restart neither side has the block', async (t) => {
  const e = env!;
  const before = { a: (await store(e, 'Alice').stats('David', 'secret')).bitsIn, d: (await store(e, 'David').stats('Alice', 'secret')).bitsIn };
  await restart(e, 'Alice', 'crash-before-decision');
  const h = await sessionKilling(e, 'Alice', 'Alice to die after staging');
  const sid = sessionOf(h)!;
  t.is((await store(e, 'Alice').block('David', 'secret', sid))?.state, 'staged');
  await restart(e, 'Alice');
  const o = await h.done;
  t.false(o.ok);
  await waitUntil(async () => (await store(e, 'Alice').block('David', 'secret', sid))?.state === 'aborted', 'Alice to abort her staged block on restart', 120_000);
  const david = await store(e, 'David').block('Alice', 'secret', sid);
  t.true(david === undefined || david.state === 'aborted', `David's block is ${david?.state}`);
  t.is((await store(e, 'Alice').stats('David', 'secret')).bitsIn, before.a);
  t.is((await store(e, 'David').stats('Alice', 'secret')).bitsIn, before.d);
  t.is((await store(e, 'Alice').stats('David', 'secret')).staged, 0);
});
