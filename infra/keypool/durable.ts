// Pool steps that survive a failover (Sentinel or Redis Cluster). Redis replicates asynchronously: a master
// may acknowledge a write and die before any replica has it, and the promoted replica then never saw it. So on
// a replicated target (target.ts wait=N > 0) every state-changing step is sent as one pipeline on one
// connection:  <the step>  <fence>  WAIT N waitMs  and acknowledged only when WAIT reports N replicas.
// The fence is a write in the step's own slot that always propagates: WAIT covers the client's last
// propagated write, and a step that wrote nothing (a replayed receipt, an idempotent 'already') on a fresh
// connection after a reconnect would otherwise be "acknowledged" by WAIT at once, although what it returns
// may still sit unreplicated on this master. Replicas apply the stream in order, so a replica past the
// fence holds everything this master did before it, including what the step returned.
// A step that fails to reach its replicas (WAIT short, connection lost, master demoted, cluster failing
// over) is retried whole until retryMs: every step is idempotent (stage/commit/abort by block id,
// withdraw/take by request id), so a retry on the new master either replays what survived or does it anew,
// and the caller gets one answer, never two.
import type { Cluster, Redis } from 'ioredis';
import { durabilityOf, type RedisClient } from './connect.ts';

type Arg = string | number | Buffer;

/** A step Redis executed but could not confirm on enough replicas in time (it may or may not survive a failover). */
export class NotReplicatedError extends Error {
  constructor(readonly acknowledged: number, readonly wanted: number) {
    super(`NOTREPLICATED ${acknowledged} of ${wanted} replica(s) acknowledged the step`);
    this.name = 'NotReplicatedError';
  }
}

/** Errors a failover or restart produces: the step may be retried (it is idempotent). */
const TRANSIENT = /^(MOVED|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|NOTREPLICATED|UNBLOCKED)\b|Connection is closed|connection close|max retries per request|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Command timed out|sentinels are unreachable|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections|Stream isn't writeable/i;

export function isTransient(err: unknown): boolean {
  return err instanceof Error && TRANSIENT.test(err.message);
}

const LOADING_MAX_MS = 60_000;

/**
 * Run `f`, retrying while Redis fails over: transient errors until the client's retryMs (a one-Redis target:
 * only LOADING, up to 60 s, as a Redis replaying its AOF after a restart answers). Other errors pass through.
 */
export async function retrying<T>(client: RedisClient, f: () => Promise<T>): Promise<T> {
  const { retryMs } = durabilityOf(client);
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try { return await f(); } catch (err) {
      const loading = err instanceof Error && err.message.startsWith('LOADING') && Date.now() - start < LOADING_MAX_MS;
      if (!loading && !(retryMs > 0 && isTransient(err) && Date.now() - start < retryMs)) throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
  }
}

/**
 * One state-changing step (`args` = command and arguments, e.g. FCALL ...), made durable on a replicated
 * target: with `fence` (a write in the step's slot, see above) and WAIT in the same pipeline; without replicas
 * it is just the command. Throws NotReplicatedError when too few replicas acknowledged.
 */
export async function durableCall(client: RedisClient, args: Arg[], opts: { fence: Arg[]; buffer?: boolean }): Promise<unknown> {
  const { replicas, waitMs } = durabilityOf(client);
  const [cmd, ...rest] = args as [string, ...Arg[]];
  if (replicas === 0) return opts.buffer ? client.callBuffer(cmd, ...rest) : client.call(cmd, ...rest);
  const p = (client as Redis | Cluster).pipeline();
  if (opts.buffer) p.callBuffer(cmd, ...rest); else p.call(cmd, ...rest);
  const [fenceCmd, ...fenceArgs] = opts.fence as [string, ...Arg[]];
  p.call(fenceCmd, ...fenceArgs);
  p.call('WAIT', replicas, waitMs);
  const res = await p.exec();
  if (!res || res.length !== 3) throw new Error('Connection is closed (pipeline of a durable step answered incompletely)');
  const [[stepErr, value], [fenceErr], [waitErr, acked]] = res;
  if (stepErr && /^MOVED\b/.test(stepErr.message) && 'refreshSlotsCache' in client) client.refreshSlotsCache();
  if (stepErr && isTransient(stepErr)) throw stepErr;
  if (fenceErr) throw fenceErr;
  if (waitErr) throw waitErr;
  if (Number(acked) < replicas) throw new NotReplicatedError(Number(acked), replicas);
  // A refusal is an answer too, and only once the state it rests on is on the replicas.
  if (stepErr) throw stepErr;
  return value;
}
