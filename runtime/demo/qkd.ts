// QKD through the control plane, as any agent asks for it: 'platform.request' (kind qkd) answered
// 'task.notice', then 'qkd.progress' and one 'qkd.result' on `tasks.<requestId>`. The session
// message schemas belong to the sessions layer; they are loaded on demand so the demo can say
// "not available" when that layer is missing instead of failing to start.
import type { ActorHost } from '../host.ts';

/** One QKD request: `seconds` of acquisition, or (without seconds) until `bits` key bits. */
export interface QkdAsk { id: string; a: string; b: string; seconds?: number; bits?: number; relay?: string; protocol?: 'auto' | 'bb84' | 'mdi'; keyKind?: 'secret' | 'imperfect' }
export interface QkdOutcome { ok: boolean; reason?: string; result?: Record<string, any>; wallMs: number }

export async function qkdAvailable(): Promise<string | undefined> {
  try {
    await import('../../actors/server/orchestration.messages.ts');
    await import('../../actors/sessions/session.messages.ts' as string);
    return undefined;
  } catch (e) {
    return `QKD session layer not loadable (${(e as Error).message.split('\n')[0]})`;
  }
}

/** Ask for one QKD run and wait for its result; `onStage` sees every progress stage. */
export async function runQkd(host: ActorHost, ask: QkdAsk, onStage: (stage: string, detail?: Record<string, unknown>) => void, timeoutMs: number): Promise<QkdOutcome> {
  const t0 = Date.now();
  let sub: { unsubscribe(): void } | undefined;
  const outcome = new Promise<QkdOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: `no result within ${Math.round(timeoutMs / 1000)} s`, wallMs: Date.now() - t0 }), timeoutMs);
    sub = host.subscribe(`tasks.${ask.id}`, (env) => {
      const b = env.body as { status?: string; stage?: string; detail?: Record<string, unknown>; ok?: boolean; reason?: string; result?: Record<string, any> };
      if (env.type === 'task.notice') {
        onStage(b.status ?? 'notice');
        if (b.status === 'refused') { clearTimeout(timer); resolve({ ok: false, reason: `refused: ${b.reason}`, wallMs: Date.now() - t0 }); }
      } else if (env.type === 'qkd.progress') onStage(b.stage ?? 'progress', b.detail);
      else if (env.type === 'qkd.result') { clearTimeout(timer); resolve({ ok: !!b.ok, reason: b.reason, result: b.result, wallMs: Date.now() - t0 }); }
    });
  });
  try {
    await host.request('platform.request', 'platform.request', { id: ask.id, kind: 'qkd', a: ask.a, b: ask.b, ...(ask.seconds !== undefined ? { seconds: ask.seconds } : { bits: ask.bits }), ...(ask.relay ? { relay: ask.relay } : {}), ...(ask.protocol ? { protocol: ask.protocol } : {}), ...(ask.keyKind ? { keyKind: ask.keyKind } : {}) }, { timeoutMs: 15_000 });
  } catch (e) {
    sub?.unsubscribe();
    return { ok: false, reason: `platform.request: ${(e as Error).message}`, wallMs: Date.now() - t0 };
  }
  const r = await outcome;
  sub?.unsubscribe();
  return r;
}
