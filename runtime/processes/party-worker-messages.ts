// What a node's main thread and its party worker (party-worker.ts) say to each other over the
// worker's MessagePort. The worker runs runParty (protocols/qkd/run-party.ts) and asks the main
// thread for every piece of I/O its PartyIo needs (the NATS session channel, the psk exchange,
// staging in the pool), request/reply by id. Same process, so the structured clone keeps typed
// arrays; large buffers are moved (transfer list), not copied.
import type { PpMessage } from '../../protocols/postprocessing/channel.ts';
import type { Staged } from '../../actors/sessions/party-machine.ts';
import type { SessionStart } from '../../actors/sessions/session.messages.ts';

export interface WireError { name: string; message: string }

/** Main -> worker. `run` numbers the session within the worker's life (a worker serves several in turn). */
export type ToWorker =
  | { op: 'run'; run: number; start: SessionStart; frames: PpMessage[]; seed: number }
  | { op: 'reply'; id: number; ok: true; value?: unknown }
  | { op: 'reply'; id: number; ok: false; error: WireError }
  /** Pushed once the worker asked to `pump` a channel: each message received from `node`, in order, then `closed`. */
  | { op: 'message'; run: number; node: string; msg: PpMessage }
  | { op: 'closed'; run: number; node: string; error: WireError };

/** Worker -> main, tagged with the session's `run` (a late request of an earlier session is
 *  dropped, never sent on the next one's channel). `send`, `pump`, `close` and the two ends need no
 *  reply (a failed send closes the channel, so the next message the worker waits for is `closed`);
 *  the other ops are answered by id. */
export type FromWorker = { op: 'ready' } | ({ run: number } & (
  | { op: 'send'; node: string; msg: PpMessage }
  | { op: 'pump'; node: string }
  | { op: 'close'; node: string; reason?: string }
  | { op: 'authKeys'; id: number; node: string; peer: string; bits: number; initiator: boolean }
  | { op: 'stage'; id: number; block: { id: string; bytes: Uint8Array; length: number; meta: Record<string, unknown> } }
  | { op: 'done'; value: Staged }
  | { op: 'failed'; error: WireError }));

export const wireError = (e: unknown): WireError =>
  e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };

/** Buffers at least this large are moved instead of copied. Smaller ones may sit in Node's shared
 *  Buffer pool (8 KiB slabs), which must not be detached, and cost nothing to copy. */
const MOVE_MIN_BYTES = 64 * 1024;

const typedSlice = Object.getPrototypeOf(Uint8Array.prototype).slice as (this: ArrayBufferView) => ArrayBufferView;

/** `value` with every typed array replaced by its own copy of just the viewed bytes, so the
 *  copies can be moved: a protocol's message may view a slice of a buffer it keeps using, and
 *  cloning the view would copy the whole buffer. */
export function detached<T>(value: T): T {
  // %TypedArray%.prototype.slice copies (Buffer#slice would return a view).
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return typedSlice.call(value) as unknown as T;
  if (Array.isArray(value)) return value.map(detached) as unknown as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, detached(v)])) as T;
  return value;
}

/** The distinct large ArrayBuffers under `value` (typed arrays at any depth), for a transfer list.
 *  Only for values the sender gives up (decoded messages, frames): moving detaches them here. */
export function movable(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= MOVE_MIN_BYTES) out.add(v.buffer);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (v !== null && typeof v === 'object') {
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(value);
  return [...out];
}
