// QKD through the control plane, as any agent asks for it: 'platform.request' (kind qkd) answered
// 'task.notice' (or a runtime.error naming the field: unknown node, node not attached...), then
// 'qkd.progress' and one 'qkd.result' on `tasks.<requester>.<requestId>`. Used by `hetqn qkd`, `--fill` of the task
// commands and the demo. The session message schemas belong to the sessions layer; they are loaded on
// demand so the demo can say "not available" when that layer is missing instead of failing to start.
import type { ActorHost } from './host.ts';
import type { ProtocolChoice } from '../actors/server/orchestration-types.ts';
import { subject } from './subjects.ts';
import '../actors/server/orchestration.messages.ts';
import '../actors/sessions/session.messages.ts';

export interface QkdAsk {
  id: string; a: string; b: string; seconds?: number; bits?: number; relay?: string;
  protocol?: ProtocolChoice; keyKind?: 'secret' | 'imperfect'; force?: boolean;
}
export interface QkdOutcome {
  ok: boolean;
  /** done: keys committed; refused: the platform will not run it; failed: it ran and aborted; timeout: no result in time;
   *  rejected: the request itself was refused (`error` is the RemoteError / bus error). */
  status: 'done' | 'refused' | 'failed' | 'timeout' | 'rejected';
  reason?: string;
  error?: unknown;
  result?: Record<string, any>;
  wallMs: number;
}

export async function qkdAvailable(): Promise<string | undefined> {
  try {
    await import('../actors/server/orchestration.messages.ts');
    await import('../actors/sessions/session.messages.ts' as string);
    return undefined;
  } catch (e) {
    return `QKD session layer not loadable (${(e as Error).message.split('\n')[0]})`;
  }
}

type Stage = (stage: string, detail?: Record<string, unknown>, body?: Record<string, any>) => void;

/** Ask for one QKD run and wait for its result; `onStage` sees every notice and progress stage. */
export async function runQkd(host: ActorHost, ask: QkdAsk, onStage: Stage, timeoutMs: number): Promise<QkdOutcome> {
  const t0 = Date.now();
  const wallMs = () => Date.now() - t0;
  let sub: { unsubscribe(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const outcome = new Promise<QkdOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, status: 'timeout', reason: `no result within ${Math.round(timeoutMs / 1000)} s (request ${ask.id}; the session may still finish)`, wallMs: wallMs() }), timeoutMs);
    sub = host.subscribe(subject.tasks(host.identity, ask.id), (env) => {
      const b = env.body as { status?: string; stage?: string; detail?: Record<string, unknown>; ok?: boolean; reason?: string; result?: Record<string, any> };
      if (env.type === 'task.notice') {
        onStage(b.status ?? 'notice', undefined, b);
        if (b.status === 'refused') resolve({ ok: false, status: 'refused', reason: `refused: ${b.reason}`, wallMs: wallMs() });
      } else if (env.type === 'qkd.progress') onStage(b.stage ?? 'progress', b.detail, b);
      else if (env.type === 'qkd.result') resolve({ ok: !!b.ok, status: b.ok ? 'done' : 'failed', reason: b.reason, result: b.result, wallMs: wallMs() });
    });
  });
  try {
    await host.bus.flush();
    const { id, a, b, seconds, bits, relay, protocol, keyKind, force } = ask;
    await host.request(subject.platformRequest(), 'platform.request', {
      id, kind: 'qkd', a, b, ...(seconds !== undefined ? { seconds } : {}), ...(bits !== undefined ? { bits } : {}),
      ...(relay ? { relay } : {}), ...(protocol ? { protocol } : {}), ...(keyKind ? { keyKind } : {}), ...(force ? { force } : {}),
    }, { timeoutMs: 15_000 });
  } catch (e) {
    sub?.unsubscribe(); clearTimeout(timer);
    return { ok: false, status: 'rejected', reason: `platform.request: ${(e as Error).message}`, error: e, wallMs: wallMs() };
  }
  const r = await outcome;
  sub?.unsubscribe(); clearTimeout(timer);
  return r;
}
