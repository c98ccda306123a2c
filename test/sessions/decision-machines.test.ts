// The two machines around the durable decision, in one process with a real Redis record
// (infra/keypool/decisions.ts) and the server's answer function (session-recovery.ts answerDecision):
//   - the coordinator records commit before it sends any session.commit; if the record was already
//     taken (a recovery abort won), it aborts instead;
//   - a staged party that never hears the decision (lost message, server crashed after deciding) asks
//     and commits as recorded; while the coordinator runs it waits; a recorded abort aborts it;
//   - a staged party told commit or abort does what the record says, not what the message says, so
//     a forged or replayed decision cannot make a key one-sided.
import test from 'ava';
import { Redis } from 'ioredis';
import { createActor, fromPromise, type AnyActorRef } from 'xstate';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { SessionDecisions } from '../../infra/keypool/decisions.ts';
import { answerDecision } from '../../runtime/processes/session-recovery.ts';
import { coordinatorMachine, type Participant } from '../../actors/sessions/coordinator.ts';
import { partyMachine, type Staged } from '../../actors/sessions/party-machine.ts';
import type { Plan } from '../../actors/server/orchestration-types.ts';
import type { SessionStart } from '../../actors/sessions/session.messages.ts';

let srv: ManagedServer;
let redis: Redis;
let d: SessionDecisions;
test.before(async () => { srv = await startRedis(); redis = new Redis(srv.url); d = new SessionDecisions(redis, 'mach'); });
test.after.always(async () => { redis?.disconnect(); await srv?.stop(); });

const waitFor = (ref: AnyActorRef, ok: (s: any) => boolean, ms = 5000) => new Promise<any>((resolve, reject) => {
  const timer = setTimeout(() => { sub.unsubscribe(); reject(new Error(`state ${JSON.stringify(ref.getSnapshot().value)} after ${ms} ms`)); }, ms);
  const sub = ref.subscribe((s) => { if (ok(s)) { clearTimeout(timer); sub.unsubscribe(); resolve(s); } });
  if (ok(ref.getSnapshot())) { clearTimeout(timer); sub.unsubscribe(); resolve(ref.getSnapshot()); }
});

const participants: Participant[] = [
  { node: 'Alice', role: 'source', peer: 'David', holdsKey: true },
  { node: 'David', role: 'detector', peer: 'Alice', holdsKey: true },
];
const planOf = (sessionId: string) => ({ kind: 'plan', requestId: 'r', sessionId, protocol: 'bb84', a: 'David', b: 'Alice', relay: { kind: 'none' }, pulses: 1e6, params: {}, switchTimeMs: 1 }) as unknown as Plan;

/** A coordinator whose bus sends are logged with whether the durable record said commit at that moment. */
function coordinator(sessionId: string, nonce: string) {
  const sent: Array<{ type: string; recorded: boolean }> = [];
  let recorded = false;
  const ref = createActor(coordinatorMachine.provide({
    actions: {
      'bus.send': (_: unknown, p: { type: string }) => { sent.push({ type: p.type, recorded }); },
      progress: () => {},
    },
    actors: {
      recordAbort: fromPromise(async ({ input }: { input: { sessionId: string } }) => { await d.decide(input.sessionId, 'abort', nonce); }),
      fabric: fromPromise(async () => ({ detections: 1, seed: 's', link: {} })),
      recordDecision: fromPromise(async ({ input }: { input: { sessionId: string } }) => { const ok = await d.decide(input.sessionId, 'commit', nonce); recorded = ok; return ok; }),
    },
  }), { input: { coordinatorId: `coord.${sessionId}`, plan: planOf(sessionId), participants, stepTimeoutMs: 2000, processingTimeoutMs: 2000 } });
  ref.start();
  const drive = () => {
    for (const p of participants) ref.send({ type: 'session.ready', body: { sessionId, node: p.node, calibrationMs: 1, residualMisalignment: 0 }, meta: { from: p.node } } as never);
  };
  const stage = () => {
    for (const p of participants) ref.send({ type: 'session.staged', body: { sessionId, node: p.node, blockId: sessionId, bits: 100, stats: { detections: 1, siftedBits: 1, qber: 0, secretBits: 100, disclosedBits: 0, f: null }, timings: {} }, meta: { from: p.node } } as never);
  };
  return { ref, sent, drive, stage };
}

test.serial('the coordinator records commit before any party is told to commit', async (t) => {
  t.true(await d.open('s1-m', 'n1'));
  const c = coordinator('s1-m', 'n1');
  await waitFor(c.ref, (s) => s.value === 'calibrating');
  c.drive();
  await waitFor(c.ref, (s) => s.value === 'processing');
  c.stage();
  await waitFor(c.ref, (s) => s.value === 'committing');
  const commits = c.sent.filter((m) => m.type === 'session.commit');
  t.is(commits.length, 2);
  t.true(commits.every((m) => m.recorded), 'every commit message left after the record');
  t.is(await d.get('s1-m'), 'commit');
  c.ref.stop();
});

test.serial('a coordinator whose session was already aborted by recovery aborts instead of committing', async (t) => {
  t.true(await d.open('s2-m', 'n2'));
  t.is(await answerDecision(d, () => false, 's2-m'), 'abort', 'no live coordinator: recovery aborts');
  const c = coordinator('s2-m', 'n2');
  await waitFor(c.ref, (s) => s.value === 'calibrating');
  c.drive();
  await waitFor(c.ref, (s) => s.value === 'processing');
  c.stage();
  const end = await waitFor(c.ref, (s) => s.status === 'done');
  t.is(end.value, 'aborted');
  t.false(c.sent.some((m) => m.type === 'session.commit'));
  t.true(c.sent.some((m) => m.type === 'session.abort'));
});

/** A party that stages at once and whose key services are logged; the decision comes from Redis. */
function party(sessionId: string, running: () => boolean, stepTimeoutMs = 150) {
  const log: string[] = [];
  const published: string[] = [];
  const start = { sessionId, requestId: 'r', protocol: 'bb84', node: 'Alice', role: 'source', peer: 'David', helpers: [], ends: ['David', 'Alice'], pulses: 1e6, params: {}, coordinator: 'coord.x', stepTimeoutMs } as SessionStart;
  const ref = createActor(partyMachine.provide({
    actions: { 'bus.send': () => {}, 'bus.publish': (_: unknown, p: { type: string }) => { published.push(p.type); }, prepare: () => {}, cleanup: () => {}, ended: () => {} },
    actors: {
      receiveFrames: fromPromise(async () => ({ detections: 1 })),
      runProtocol: fromPromise(async (): Promise<Staged> => { log.push('staged'); return { blockId: sessionId, bits: 100, stats: { detections: 1, siftedBits: 1, qber: 0, secretBits: 100, disclosedBits: 0, f: null }, timings: {} }; }),
      commitKey: fromPromise(async () => { log.push('commit'); }),
      abortKey: fromPromise(async () => { log.push('abort'); }),
      askDecision: fromPromise(async ({ input }: { input: { sessionId: string } }) => { const a = await answerDecision(d, running, input.sessionId); log.push(`asked:${a}`); return a; }),
    },
  }), { input: start });
  ref.start();
  ref.send({ type: 'CALIBRATED', calibrationMs: 1, residualMisalignment: 0 });
  return { ref, log, published };
}

test.serial('a staged party that never hears the commit asks, and commits as recorded', async (t) => {
  t.true(await d.open('s3-m', 'n3'));
  t.true(await d.decide('s3-m', 'commit', 'n3'));
  const p = party('s3-m', () => true);
  const end = await waitFor(p.ref, (s) => s.status === 'done');
  t.is(end.value, 'done');
  t.deepEqual(p.log, ['staged', 'asked:commit', 'commit']);
});

test.serial('a staged party waits while the coordinator runs undecided, and aborts once abort is recorded', async (t) => {
  t.true(await d.open('s4-m', 'n4'));
  let coordinatorRuns = true;
  const p = party('s4-m', () => coordinatorRuns);
  await waitFor(p.ref, () => p.log.filter((l) => l === 'asked:pending').length >= 2);
  t.false(p.log.includes('abort'), 'no abort on its own once staged');
  t.true(await d.decide('s4-m', 'abort', 'n4'));
  coordinatorRuns = false;
  const end = await waitFor(p.ref, (s) => s.status === 'done');
  t.is(end.value, 'aborted');
  t.deepEqual(p.log.slice(-2), ['asked:abort', 'abort']);
  t.false(p.log.includes('commit'));
});

const meta = { from: 'server', subject: 'qn.mach.actor.Alice.local-Alice.server', ts: 0 };
const staged = (p: { ref: AnyActorRef }) => waitFor(p.ref, (s) => s.value === 'staged');

test.serial('a staged party told commit while the record says abort aborts; told abort while it says commit, commits', async (t) => {
  // The attack of the issue: commit to one party, abort to the other, for one session.
  t.true(await d.open('s5-m', 'n5'));
  t.true(await d.decide('s5-m', 'abort', 'n5'));
  const told = party('s5-m', () => false, 60_000);
  await staged(told);
  told.ref.send({ type: 'session.commit', body: { sessionId: 's5-m' }, meta });
  t.is((await waitFor(told.ref, (s) => s.status === 'done')).value, 'aborted');
  t.deepEqual(told.log, ['staged', 'asked:abort', 'abort']);

  t.true(await d.open('s6-m', 'n6'));
  t.true(await d.decide('s6-m', 'commit', 'n6'));
  const other = party('s6-m', () => false, 60_000);
  await staged(other);
  other.ref.send({ type: 'session.abort', body: { sessionId: 's6-m', reason: 'forged' }, meta });
  t.is((await waitFor(other.ref, (s) => s.status === 'done')).value, 'done');
  t.deepEqual(other.log, ['staged', 'asked:commit', 'commit']);
});

test.serial('a decision message while the record is still open makes the party wait for the record, not act', async (t) => {
  t.true(await d.open('s7-m', 'n7'));
  const p = party('s7-m', () => true, 60_000);
  await staged(p);
  p.ref.send({ type: 'session.commit', body: { sessionId: 's7-m' }, meta });
  await waitFor(p.ref, () => p.log.filter((l) => l === 'asked:pending').length >= 2);
  t.false(p.log.includes('commit'));
  t.true(await d.decide('s7-m', 'commit', 'n7'));
  t.is((await waitFor(p.ref, (s) => s.status === 'done')).value, 'done');
  t.deepEqual(p.log.slice(-2), ['asked:commit', 'commit']);
});

test.serial('a coordinator counts a report only from the node it names', async (t) => {
  t.true(await d.open('s8-m', 'n8'));
  const c = coordinator('s8-m', 'n8');
  await waitFor(c.ref, (s) => s.value === 'calibrating');
  // Bob (a node of the network, not of this session) reports for both parties: ignored.
  for (const p of participants) c.ref.send({ type: 'session.ready', body: { sessionId: 's8-m', node: p.node, calibrationMs: 1, residualMisalignment: 0 }, meta: { from: 'Bob' } } as never);
  c.ref.send({ type: 'session.failed', body: { sessionId: 's8-m', node: 'Alice', stage: 'x', reason: 'forged' }, meta: { from: 'Bob' } } as never);
  await new Promise((r) => setTimeout(r, 100));
  t.is(c.ref.getSnapshot().value, 'calibrating');
  t.deepEqual(c.ref.getSnapshot().context.ready, {});
  c.drive();
  await waitFor(c.ref, (s) => s.value === 'processing');
  c.ref.stop();
});

// A lost NATS server (session-wiring-node/server.ts): the process's bus came back, so a decision sent
// meanwhile may be lost; a staged party asks the record at once (RECHECK) instead of at its step
// timeout, and does what it says; the coordinator sends a recorded commit again (RETELL), and a lost
// server before the decision (CANCEL) aborts with its reason.
test.serial('RECHECK makes a staged party report staged again and ask the record at once: commit as recorded; pending keeps it staged', async (t) => {
  t.true(await d.open('s9-m', 'n9'));
  const p = party('s9-m', () => true, 600_000);
  await staged(p);
  t.is(p.published.filter((x) => x === 'session.staged').length, 1);
  p.ref.send({ type: 'RECHECK' });
  t.is(p.published.filter((x) => x === 'session.staged').length, 2, 'the staged report again (it may have been lost with the server)');
  await waitFor(p.ref, () => p.log.includes('asked:pending'));
  t.is((await waitFor(p.ref, (s) => s.value === 'staged')).value, 'staged', 'an open record: back to staged, no abort of its own');
  t.false(p.log.includes('abort'));
  t.true(await d.decide('s9-m', 'commit', 'n9'));
  p.ref.send({ type: 'RECHECK' });
  t.is((await waitFor(p.ref, (s) => s.status === 'done')).value, 'done');
  t.deepEqual(p.log, ['staged', 'asked:pending', 'asked:commit', 'commit']);
});

test.serial('the coordinator: CANCEL (its NATS server lost) before the decision aborts everywhere with the reason; RETELL after it sends the recorded commit again, CANCEL is then ignored', async (t) => {
  t.true(await d.open('s10-m', 'n10'));
  const a = coordinator('s10-m', 'n10');
  await waitFor(a.ref, (s) => s.value === 'calibrating');
  a.drive();
  await waitFor(a.ref, (s) => s.value === 'processing');
  a.ref.send({ type: 'CANCEL', reason: 'the server lost its NATS server x' });
  const end = await waitFor(a.ref, (s) => s.status === 'done');
  t.is(end.value, 'aborted');
  t.is(end.context.reason, 'the server lost its NATS server x');
  t.is(a.sent.filter((m) => m.type === 'session.abort').length, 2);
  t.is(await d.get('s10-m'), 'abort');

  t.true(await d.open('s11-m', 'n11'));
  const c = coordinator('s11-m', 'n11');
  await waitFor(c.ref, (s) => s.value === 'calibrating');
  c.drive();
  await waitFor(c.ref, (s) => s.value === 'processing');
  c.stage();
  await waitFor(c.ref, (s) => s.value === 'committing');
  c.ref.send({ type: 'CANCEL', reason: 'lost' });
  c.ref.send({ type: 'RETELL' });
  t.is(c.ref.getSnapshot().value, 'committing');
  t.is(c.sent.filter((m) => m.type === 'session.commit').length, 4, 'both parties told twice');
  t.false(c.sent.some((m) => m.type === 'session.abort'));
  t.is(await d.get('s11-m'), 'commit');
  c.ref.stop();
});

test.serial('after a server restart a staged party asks at once (no step wait) and does what the record says', async (t) => {
  // Recorded commit (crash point 7): commits. No record and no live coordinator (point 6): the
  // restarted server records abort first, and the party aborts.
  t.true(await d.open('s19-m', 'n19'));
  t.true(await d.decide('s19-m', 'commit', 'n19'));
  const p = party('s19-m', () => false, 600_000);
  await staged(p);
  p.ref.send({ type: 'SERVER.RESTARTED' });
  t.is((await waitFor(p.ref, (s) => s.status === 'done', 2000)).value, 'done');
  t.deepEqual(p.log, ['staged', 'asked:commit', 'commit']);

  t.true(await d.open('s20-m', 'n20'));
  const q = party('s20-m', () => false, 600_000);
  await staged(q);
  q.ref.send({ type: 'SERVER.RESTARTED' });
  t.is((await waitFor(q.ref, (s) => s.status === 'done', 2000)).value, 'aborted');
  t.deepEqual(q.log, ['staged', 'asked:abort', 'abort']);
  t.is(await d.get('s20-m'), 'abort', 'recorded abort: no late commit is possible');
});

test.serial('after a server restart a party that has not staged aborts at once; one committing goes on', async (t) => {
  const log: string[] = [];
  const start = { sessionId: 's21-m', requestId: 'r', protocol: 'bb84', node: 'Alice', role: 'source', peer: 'David', helpers: [], ends: ['David', 'Alice'], pulses: 1e6, params: {}, coordinator: 'coord.x', stepTimeoutMs: 600_000 } as SessionStart;
  const ref = createActor(partyMachine.provide({
    actions: { 'bus.send': () => {}, 'bus.publish': () => {}, prepare: () => {}, cleanup: () => {}, ended: () => {} },
    actors: {
      receiveFrames: fromPromise(() => new Promise<{ detections: number }>(() => {})), // the fabric (on the dead server) never answers
      abortKey: fromPromise(async () => { log.push('abort'); }),
    },
  }), { input: start });
  ref.start();
  ref.send({ type: 'CALIBRATED', calibrationMs: 1, residualMisalignment: 0 });
  await waitFor(ref, (s) => s.value === 'receiving');
  ref.send({ type: 'SERVER.RESTARTED' });
  const end = await waitFor(ref, (s) => s.status === 'done', 2000);
  t.is(end.value, 'aborted');
  t.regex(end.context.reason, /server restarted/);
  t.deepEqual(log, ['abort']);

  // Committing (the record said commit): a restart does not stop it.
  t.true(await d.open('s22-m', 'n22'));
  t.true(await d.decide('s22-m', 'commit', 'n22'));
  const c = party('s22-m', () => false, 600_000);
  await staged(c);
  c.ref.send({ type: 'session.commit', body: { sessionId: 's22-m' }, meta });
  c.ref.send({ type: 'SERVER.RESTARTED' });
  t.is((await waitFor(c.ref, (s) => s.status === 'done', 2000)).value, 'done');
  t.false(c.log.includes('abort'));
});
