// No one-sided keys: settling staged key blocks after crashes (issue 6: "a participant that disappears
// ends the session cleanly ... leaves no staged key committed", "nothing lost").
//
// The two-phase commit: both key holders stage their block (store.ts stage; a staged block is never
// handed out: withdraw/take only read committed blocks' queues), report `session.staged`, the
// coordinator (actors/sessions/coordinator.ts) records `commit` durably in Redis (infra/keypool/decisions.ts,
// first decision wins, server-only ACL) and only then sends `session.commit` (an abort, too, is recorded
// before it is sent); a staged party that hears commit or abort asks the server for the record and does
// what it says (party-machine.ts `verifying`), so a decision message alone never commits or aborts a
// staged block; commit is idempotent. A party that got no decision asks the server (`askDecision`,
// party-machine.ts `resolving`), and every node runs `startRecovery`: at start and every `everyMs` it asks the server
// about each block staged in its secret/imperfect pools by a session it does not run any more, and
// commits or aborts it as recorded. The server (`serveDecisions`) answers from the record; a session
// with no live coordinator and no decision is aborted first (recorded `abort`), so a late commit is
// impossible. Only the server identity can answer (it alone subscribes to sessions.decision; the
// reply goes to the asking node's own inbox), and it answers a node about its own sessions' blocks
// only. psk pools are not touched (their install is its own idempotent stage+commit).
//
// Crash point (X = one key holder, Y = its peer)      -> outcome
// 1 X dies before staging                              -> coordinator aborts (participant down /
//     restarted / timeout) and records abort; Y aborts its block (or pre-empts the stage). Neither has it.
// 2 X dies after staging, before the decision          -> as 1; Y aborts. X's recovery on restart finds
//     the staged block, asks, gets abort, aborts it. Neither has it (if X never returns, its staged
//     copy expires after the stage ttl, 10 min: still never usable).
// 3 X dies after the decision (recorded commit), before its own commit (fault hook crash-before-commit)
//     -> Y commits; the coordinator ends 'commit not confirmed by X'. X's recovery on restart asks, gets
//     commit, commits the same block: both hold the same bytes. Window: X away longer than the stage
//     ttl: its copy expires, Y's copy is one-sided but its bits can never be handed out twice (the peer's
//     take fails EXPIRED), they are lost.
// 4 X dies after its commit                            -> committed on X (Redis AOF, store.ts guarantee).
// 5 Y (or both) in case 3/4                             -> symmetric: each restarted node commits itself.
// After a server restart the restarted hypervisor makes every node register again; a node that does
// tells its parties (party-machine.ts SERVER.RESTARTED: one not staged aborts, a staged one asks now)
// and runs its recovery at once, so 6 and 7 settle seconds after the server is back, not a step
// later (commit-recovery-server.test.ts logs it: 2-3 s, against 61.6 s before).
// 6 server dies before recording commit               -> parties wait a step (or the restart), ask; the restarted server
//     has no coordinator and an `open` record: records abort, both abort. Server still down: parties end
//     `undecided` with blocks staged; recovery settles them when the server answers (or they expire:
//     neither has the key).
// 7 server dies after recording commit                 -> parties (or their recovery) ask: commit on both.
// 8 session.commit lost (no crash)                     -> the party asks after a step: commit.
// 9 the decision cannot be written (Redis down)        -> coordinator aborts; no party ever heard commit.
// 10 a reused session id                               -> its `open` record exists: the coordinator is
//     cancelled, and its commit could not be recorded anyway (the record is another coordinator's).
// Tests: 2 and 3 test/sessions/commit-recovery.test.ts, 7 commit-recovery-server.test.ts (cluster, fault
// hooks HETQN_FAULT); the machines' side of 6-10 test/sessions/decision-machines.test.ts, the record
// itself decisions.test.ts.
import type { ActorHost } from '../host.ts';
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import type { SessionDecisions } from '../../infra/keypool/decisions.ts';
import type { DecisionAnswer } from '../../actors/sessions/decision.messages.ts';
import { subject } from '../subjects.ts';

export type Answer = DecisionAnswer['decision'];

/** Node side: ask the server what was decided for a session. */
export async function askDecision(host: ActorHost, node: string, sessionId: string, timeoutMs = 5000): Promise<Answer> {
  const r = await host.request<DecisionAnswer>(subject.decision(), 'session.decision.ask', { sessionId, node }, { timeoutMs });
  if (r.type !== 'session.decision' || r.body.sessionId !== sessionId) throw new Error(`decision for ${sessionId}: unexpected reply ${r.type}`);
  return r.body.decision;
}

/** The server's answer: the recorded decision; pending while the session's coordinator runs; else
 *  (its coordinator is gone without deciding) abort, recorded first so no commit can follow. */
export async function answerDecision(d: SessionDecisions, running: (sessionId: string) => boolean, sessionId: string): Promise<Answer> {
  const now = await d.get(sessionId);
  if (now === 'commit' || now === 'abort') return now;
  if (running(sessionId)) return 'pending';
  return d.abortOrphan(sessionId);
}

/** Server side: answer decision requests (the codec validated the body against decision.messages.ts);
 *  a node asks for itself only. */
export function serveDecisions(host: ActorHost, decisions: () => SessionDecisions, running: (sessionId: string) => boolean): { stop(): void } {
  const sub = host.serve(subject.decision(), async (env, meta) => {
    const { sessionId, node } = env.body as { sessionId: string; node: string };
    if (node !== meta.from) throw Object.assign(new Error(`identity ${meta.from} cannot ask for node ${node}`), { field: 'node' });
    return { type: 'session.decision', body: { sessionId, decision: await answerDecision(decisions(), running, sessionId) } };
  });
  return { stop: () => sub.unsubscribe() };
}

export interface RecoveryOptions {
  host: ActorHost;
  node: string;
  store: () => KeyPoolStore;
  /** Sessions this process still runs a party for (their blocks are theirs to settle). */
  live: () => Set<string>;
  everyMs?: number;
  log?: (line: string) => void;
}

/** Node side: settle this node's staged blocks of ended sessions now and every `everyMs`. */
export function startRecovery(o: RecoveryOptions): { runOnce(): Promise<{ committed: number; aborted: number; pending: number }>; stop(): void } {
  const log = o.log ?? ((l: string) => process.stderr.write(`${o.node}: ${l}\n`));
  let running: Promise<{ committed: number; aborted: number; pending: number }> | undefined;
  const once = async () => {
    const n = { committed: 0, aborted: 0, pending: 0 };
    const s = o.store();
    for (const { peer, kind } of await s.listPools()) {
      if (kind === 'psk') continue;
      for (const b of await s.stagedBlocks(peer, kind)) {
        const sid = b.sessionId ?? b.id;
        if (o.live().has(sid)) continue;
        const d = await askDecision(o.host, o.node, sid);
        if (d === 'commit') { await s.commit(peer, kind, b.id); n.committed++; log(`recovery: committed block ${b.id} with ${peer} (${kind}) as decided`); }
        else if (d === 'abort') { await s.abort(peer, kind, b.id); n.aborted++; log(`recovery: aborted block ${b.id} with ${peer} (${kind}) as decided`); }
        else n.pending++;
      }
    }
    return n;
  };
  const runOnce = () => (running ??= once().finally(() => { running = undefined; }));
  const tick = () => { runOnce().catch((e) => log(`recovery: ${(e as Error).message} (retrying)`)); };
  const first = setTimeout(tick, 500);
  const timer = setInterval(tick, o.everyMs ?? 10_000);
  first.unref(); timer.unref();
  return { runOnce, stop() { clearTimeout(first); clearInterval(timer); } };
}
