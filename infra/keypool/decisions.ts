// Durable commit/abort decisions of QKD sessions (the coordinator's side of the key pools' two-phase
// commit; see runtime/processes/session-recovery.ts for the crash analysis). One Redis string per session,
// `qn:<net>:decision:<sessionId>`, written only by the server (acl.ts serverRules), never by a node:
//   open:<nonce>    a coordinator (nonce = its incarnation) runs the session, nothing decided yet
//   commit:<nonce>  that coordinator decided commit, BEFORE it told any party to commit
//   abort:<who>     the session is aborted (by its coordinator, or by the server for a session that has no
//                   live coordinator any more: its coordinator died with the server before deciding)
// The first decision wins (one compare-and-set, the library function qn_decide in lua.ts), so a commit and a recovery abort can never both
// happen, and a commit stays visible to a node that comes back later. Records live `ttlMs` (default
// 1 day: much longer than a staged block, store.ts stageTtlMs 10 min, so a staged block never outlives
// its decision).
import type { RedisClient } from './connect.ts';
import { durableCall, retrying } from './durable.ts';
import { FN } from './lua.ts';
import { checkBlockId, checkId } from './names.ts';

export type Decision = 'commit' | 'abort';
export type DecisionState = Decision | 'open' | 'none';

export function decisionKey(net: string, sessionId: string): string {
  return `qn:${checkId('net', net)}:decision:${checkBlockId(sessionId)}`;
}

const stateOf = (v: string | null): DecisionState => (v ? (v.split(':')[0] as DecisionState) : 'none');

export class SessionDecisions {
  constructor(private readonly redis: RedisClient, readonly net: string, private readonly ttlMs = 86_400_000) {}

  /** On a replicated Redis, a step is acknowledged once its replicas have the record (durable.ts); the fence,
   *  refreshing the record's ttl, is a write that propagates even when the step itself wrote nothing. */
  private step(key: string, args: (string | number)[]): Promise<unknown> {
    return durableCall(this.redis, args, { fence: ['PEXPIRE', key, this.ttlMs] });
  }

  private async decideCall(sessionId: string, want: Decision, owner: string): Promise<string> {
    const key = decisionKey(this.net, sessionId);
    return String(await retrying(this.redis, () => this.step(key, ['FCALL', FN.decide, 1, key, want, owner, this.ttlMs])));
  }

  /** A coordinator takes the session: false when the id already has a record (a reused session id). */
  async open(sessionId: string, nonce: string): Promise<boolean> {
    const key = decisionKey(this.net, sessionId);
    const mine = `open:${checkId('nonce', nonce)}`;
    // A retry after a lost reply finds its own record: still this coordinator's.
    return retrying(this.redis, async () => (await this.step(key, ['SET', key, mine, 'PX', this.ttlMs, 'NX'])) === 'OK'
      || (await this.redis.get(key)) === mine);
  }

  /** The coordinator `nonce` decides; true when the record now holds its decision (idempotent). */
  async decide(sessionId: string, want: Decision, nonce: string): Promise<boolean> {
    const v = await this.decideCall(sessionId, want, checkId('nonce', nonce));
    return v === `${want}:${nonce}`;
  }

  /** Abort a session nobody runs any more (open or unknown); returns what is recorded afterwards. */
  async abortOrphan(sessionId: string): Promise<Decision> {
    const v = await this.decideCall(sessionId, 'abort', '*');
    return stateOf(v) === 'commit' ? 'commit' : 'abort';
  }

  async get(sessionId: string): Promise<DecisionState> {
    return stateOf(await retrying(this.redis, () => this.redis.get(decisionKey(this.net, sessionId))));
  }
}
