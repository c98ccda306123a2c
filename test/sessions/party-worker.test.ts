// Node processes run each session's post-processing in a party worker thread
// (runtime/processes/party-worker-pool.ts). While a D-A BB84 pipeline of several seconds runs, both
// nodes keep heartbeating (the hypervisor never marks them down) and answer pings; killing a node
// mid-pipeline aborts the session through the normal down detection (PARTICIPANT.DOWN), and the
// survivor commits nothing and goes back to idle.
import test from 'ava';
import { startEnv, stopEnv, submit, store, waitUntil, type Env } from './helpers.ts';
import { INSPECTOR, subject } from '../../runtime/subjects.ts';

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

const NODES = ['David', 'Alice'];
const sessionIdOf = (h: { notices: Array<{ type: string; body: any }> }) => h.notices.find((n) => n.type === 'task.notice' && n.body.status === 'planned')!.body.plan.sessionId as string;

test.serial('during a multi-second D-A pipeline both nodes keep heartbeating and answering pings', async (t) => {
  const e = env!;
  const { downAfterMs } = await e.cluster.status();
  const beats = new Map<string, number[]>(NODES.map((n) => [n, []]));
  // The inspector identity may read heartbeats and ping processes (monitoring).
  const inspector = await e.cluster.connect(INSPECTOR);
  const subs = NODES.map((n) => inspector.subscribe(subject.status(), (m) => { if (m.type === 'node.heartbeat') beats.get(n)!.push(Date.now()); }, { from: n }));
  const h = await submit(e, 'David', 'Alice', { seconds: 2 }, 240_000);
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'post-processing'), 'post-processing to start', 120_000);
  const from = Date.now();
  let over = false;
  const pingFailures: string[] = [], notUp: string[] = [];
  let maxPingMs = 0;
  // Ask both node processes and the hypervisor while the pipelines run.
  const watch = (async () => {
    while (!over) {
      await Promise.all([
        ...NODES.map(async (n) => {
          const t0 = Date.now();
          try { await inspector.request(subject.process(n, `node-${n}`), 'runtime.ping', {}, { timeoutMs: downAfterMs }); maxPingMs = Math.max(maxPingMs, Date.now() - t0); } catch (err) { if (!over) pingFailures.push(`${n}: ${(err as Error).message}`); }
        }),
        e.cluster.status(downAfterMs).then((v) => { for (const x of v.nodes) if (NODES.includes(x.name) && x.state !== 'up' && !over) notUp.push(`${x.name} ${x.state}`); }, () => undefined),
      ]);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const o = await h.done;
  const to = Date.now();
  over = true;
  await watch;
  for (const s of subs) s.unsubscribe();
  t.true(o.ok, o.reason);
  t.deepEqual(pingFailures, []);
  t.deepEqual(notUp, []);
  for (const n of NODES) {
    // Gaps between heartbeats inside the post-processing window, its edges included.
    const ts = [from, ...beats.get(n)!.filter((x) => x > from && x < to), to];
    const maxGap = Math.max(...ts.slice(1).map((x, i) => x - ts[i]!));
    t.log(`${n}: post-processing ${to - from} ms, ${ts.length - 2} heartbeats, max gap ${maxGap} ms (down after ${downAfterMs} ms); slowest ping ${maxPingMs} ms`);
    t.true(maxGap < downAfterMs, `${n}: ${maxGap} ms without a heartbeat`);
  }
});

test.serial('killing David mid-pipeline aborts on every side by down detection; Alice commits nothing and is idle again', async (t) => {
  const e = env!;
  const before = await store(e, 'Alice').stats('David', 'secret');
  const h = await submit(e, 'David', 'Alice', { seconds: 2 }, 240_000);
  await waitUntil(() => h.notices.some((n) => n.type === 'qkd.progress' && n.body.stage === 'post-processing'), 'post-processing to start', 120_000);
  // Into the pipelines (full size: seconds of sifting, Cascade and PA on any machine).
  await new Promise((r) => setTimeout(r, 300));
  const david = e.cluster.children.find((c) => c.name === 'David')!;
  const killedAt = Date.now();
  david.child.kill('SIGKILL');
  const o = await h.done;
  t.log(`session result ${Date.now() - killedAt} ms after the kill: ${o.reason}`);
  t.false(o.ok);
  t.regex(o.reason ?? '', /David went down/);
  const sessionId = sessionIdOf(h);
  const alice = await store(e, 'Alice').stats('David', 'secret');
  t.is(alice.bitsIn, before.bitsIn);
  t.is(alice.staged, 0);
  await t.throwsAsync(store(e, 'Alice').commit('David', 'secret', sessionId), { message: /ABORTED|NOSUCH/ });
  // Alice's local control is idle again (its party ended and released the devices).
  let last: Record<string, string> = {};
  const inspector = await e.cluster.connect(INSPECTOR);
  const sub = inspector.subscribe(subject.status(), (m) => { last = (m.body as { actors: Record<string, string> }).actors; }, { from: 'Alice' });
  await waitUntil(() => Object.entries(last).some(([k, v]) => k.startsWith('local-') && v.includes('idle')), 'Alice idle again', 30_000);
  sub.unsubscribe();
});
