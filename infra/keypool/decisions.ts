// Durable commit/abort decisions of QKD sessions (the coordinator's side of the key pools' two-phase
// commit; see runtime/processes/session-recovery.ts for the crash analysis). One Redis string per session,
// `qn:<net>:decision:<sessionId>`, written only by the server (acl.ts serverRules), never by a node:
//   open:<nonce>    a coordinator (nonce = its incarnation) runs the session, nothing decided yet
//   commit:<nonce>  that coordinator decided commit, BEFORE it told any party to commit
//   abort:<who>     the session is aborted (by its coordinator, or by the server for a session that has no
//                   live coordinator any more: its coordinator died with the server before deciding)
// The first decision wins (one Lua compare-and-set), so a commit and a recovery abort can never both
// happen, and a commit stays visible to a node that comes back later. Records live `ttlMs` (default
// 1 day: much longer than a staged block, store.ts stageTtlMs 10 min, so a staged block never outlives
// its decision).
import type { Redis } from 'ioredis';
import { checkBlockId, checkId } from './names.ts';

export type Decision = 'commit' | 'abort';
export type DecisionState = Decision | 'open' | 'none';

export function decisionKey(net: string, sessionId: string): string {
  return `qn:${checkId('net', net)}:decision:${checkBlockId(sessionId)}`;
}

// KEYS[1] record; ARGV: want ('commit'|'abort'), owner nonce ('*' = any open record or none), ttl ms.
// Sets `want:owner` when the record is this owner's `open:` (or, for owner '*', any `open:` or none);
// returns the record after the call.
const DECIDE = `
local cur = redis.call('GET', KEYS[1])
local want, owner = ARGV[1], ARGV[2]
local mine = (cur == 'open:' .. owner) or (owner == '*' and (not cur or string.sub(cur, 1, 5) == 'open:'))
if mine then
  local v = want .. ':' .. (owner == '*' and 'recovery' or owner)
  redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
  return v
end
return cur or ''
`;

interface DecisionCommands { qnDecide(key: string, want: string, owner: string, ttlMs: number): Promise<string> }

const stateOf = (v: string | null): DecisionState => (v ? (v.split(':')[0] as DecisionState) : 'none');

export class SessionDecisions {
  private readonly redis: Redis & DecisionCommands;
  constructor(redis: Redis, readonly net: string, private readonly ttlMs = 86_400_000) {
    this.redis = redis as Redis & DecisionCommands;
    if (typeof this.redis.qnDecide !== 'function') redis.defineCommand('qnDecide', { numberOfKeys: 1, lua: DECIDE });
  }

  /** A coordinator takes the session: false when the id already has a record (a reused session id). */
  async open(sessionId: string, nonce: string): Promise<boolean> {
    return (await this.redis.set(decisionKey(this.net, sessionId), `open:${checkId('nonce', nonce)}`, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** The coordinator `nonce` decides; true when the record now holds its decision (idempotent). */
  async decide(sessionId: string, want: Decision, nonce: string): Promise<boolean> {
    const v = await this.redis.qnDecide(decisionKey(this.net, sessionId), want, checkId('nonce', nonce), this.ttlMs);
    return v === `${want}:${nonce}`;
  }

  /** Abort a session nobody runs any more (open or unknown); returns what is recorded afterwards. */
  async abortOrphan(sessionId: string): Promise<Decision> {
    const v = await this.redis.qnDecide(decisionKey(this.net, sessionId), 'abort', '*', this.ttlMs);
    return stateOf(v) === 'commit' ? 'commit' : 'abort';
  }

  async get(sessionId: string): Promise<DecisionState> {
    return stateOf(await this.redis.get(decisionKey(this.net, sessionId)));
  }
}
