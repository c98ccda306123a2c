// A node's party workers: each session's protocol half (runParty, protocols/qkd/run-party.ts) runs in a
// worker_threads Worker (party-worker.ts), so seconds of sifting, Cascade and PA never block the
// node's event loop (heartbeats to the hypervisor, task agents, key pool, inspection keep going).
// The main thread keeps the NATS connection and the key pool and serves the worker's PartyIo
// requests (party-worker-messages.ts); frames and received messages are moved, not copied.
//
// Lifecycle: warm() boots a spare worker when a session is prepared (tsx loads the protocol code
// while the fabric delivers); a run takes the spare (or boots one), and hands it back as the spare
// after a clean result. An abort terminates the worker at once (even inside a synchronous step)
// and ignores whatever it still asked for, so nothing is staged after the abort; a failed run or
// a crashed worker (uncaught error, exit, out of memory) rejects the run with the error's message
// and never reaches the node's own event loop. Idle workers are unref'd (they never keep a process
// alive) and end after SPARE_IDLE_MS unused, so a node between sessions holds no extra thread.
import { randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startTsWorker, workerEntry } from '../../protocols/ts-worker.ts';
import type { ClassicalChannel } from '../../protocols/postprocessing/channel.ts';
import type { PartyIo } from '../../protocols/qkd/party.ts';
import type { Staged } from '../../actors/sessions/party-machine.ts';
import type { SessionStart } from '../../actors/sessions/session.messages.ts';
import type { PpMessage } from '../../protocols/postprocessing/channel.ts';
import { movable, wireError, type FromWorker, type ToWorker } from './party-worker-messages.ts';

/** The main thread's side of a PartyIo: the same services, with the psk exchange returning the
 *  agreed key bits (the worker builds its AuthKeySource from them). */
export interface PartyServices {
  channelTo: PartyIo['channelTo'];
  authKeyBits(raw: ClassicalChannel, peer: string, bits: number, initiator: boolean): Promise<{ length: number; bytes: Uint8Array }>;
  stage: PartyIo['stage'];
}

interface Slot { worker: Worker; ready: Promise<void>; exited: boolean; runs: number; idle?: NodeJS.Timeout }

/** A spare worker unused this long is terminated (the next session boots a new one while it calibrates). */
const SPARE_IDLE_MS = 60_000;

const ENTRY = workerEntry('party-worker', import.meta.url);

export class PartyWorkerPool {
  private readonly spare: Slot[] = [];
  private readonly busy = new Set<Slot>();
  private readonly all = new Set<Slot>();

  /** `entry`: the worker's module (tests substitute a crashing one). */
  constructor(private readonly entry: URL = ENTRY, private readonly spareIdleMs = SPARE_IDLE_MS) {}

  private spawn(): Slot {
    const worker = startTsWorker(this.entry);
    const slot: Slot = { worker, ready: Promise.resolve(), exited: false, runs: 0 };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromWorker) => { if (m.op === 'ready') { worker.off('message', onMsg); resolve(); } };
      worker.on('message', onMsg);
      worker.once('error', (e) => reject(new Error(`party worker failed to start: ${e.message}`)));
      worker.once('exit', (code) => reject(new Error(`party worker failed to start (exit code ${code})`)));
    });
    slot.ready.catch(() => undefined);
    // Always listened to: an uncaught error in the worker must never become one of the node's.
    worker.on('error', () => undefined);
    this.all.add(slot);
    worker.once('exit', () => {
      slot.exited = true;
      this.all.delete(slot);
      const i = this.spare.indexOf(slot);
      if (i >= 0) this.spare.splice(i, 1);
    });
    worker.unref();
    return slot;
  }

  /** Boot a spare worker now if there is none (called when a session is prepared). */
  warm(): void {
    if (this.spare.length === 0) this.keep(this.spawn());
  }

  private keep(slot: Slot): void {
    this.spare.push(slot);
    slot.idle = setTimeout(() => { if (this.spare.includes(slot)) void slot.worker.terminate(); }, this.spareIdleMs).unref();
  }

  /** Run the session's party half in a worker; rejects on the party's error, a worker crash or abort. */
  async run(start: SessionStart, frames: PpMessage[], svc: PartyServices, signal: AbortSignal): Promise<Staged> {
    if (signal.aborted) throw new Error('session aborted');
    const slot = this.spare.shift() ?? this.spawn();
    clearTimeout(slot.idle);
    this.busy.add(slot);
    slot.worker.ref();
    const w = slot.worker;
    const runId = ++slot.runs;
    let over = false;
    const retire = () => { this.busy.delete(slot); void w.terminate(); };
    try {
      await Promise.race([slot.ready, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('session aborted')), { once: true }))]);
    } catch (e) { over = true; retire(); throw e; }

    return new Promise<Staged>((resolve, reject) => {
      const reply = (id: number, p: Promise<unknown>, move = false) => {
        p.then(
          (value) => { if (!over) w.postMessage({ op: 'reply', id, ok: true, value } satisfies ToWorker, move ? movable(value) : []); },
          (e) => { if (!over) w.postMessage({ op: 'reply', id, ok: false, error: wireError(e) } satisfies ToWorker); },
        );
      };
      // Push every message received from `node` to the worker, in order, until the channel closes.
      const pump = async (node: string) => {
        const ch = svc.channelTo(node);
        for (;;) {
          let msg: PpMessage;
          try { msg = await ch.receive(); } catch (e) {
            if (!over) w.postMessage({ op: 'closed', run: runId, node, error: wireError(e) } satisfies ToWorker);
            return;
          }
          if (over) return;
          // Decoded from the wire for this worker only: move its buffers.
          w.postMessage({ op: 'message', run: runId, node, msg } satisfies ToWorker, movable(msg));
        }
      };
      const onMessage = (m: FromWorker) => {
        // After the end (abort above all) the worker gets nothing more: no send, no stage; nor does
        // a late request of the worker's previous session.
        if (over || m.op === 'ready' || m.run !== runId) return;
        switch (m.op) {
          // A failed send closes the channel (natsClassicalChannel): the worker hears it as `closed`.
          case 'send': try { svc.channelTo(m.node).send(m.msg)?.catch(() => undefined); } catch { /* closed: the worker hears it as `closed` */ } break;
          case 'pump': void pump(m.node); break;
          case 'close': svc.channelTo(m.node).close?.(m.reason); break;
          // Small, and may be a view into the Redis client's reply buffer: copied.
          case 'authKeys': reply(m.id, svc.authKeyBits(svc.channelTo(m.node), m.peer, m.bits, m.initiator)); break;
          case 'stage': reply(m.id, svc.stage(m.block)); break;
          case 'done': end(); resolve(m.value); break;
          case 'failed': end(true); reject(Object.assign(new Error(m.error.message), { name: m.error.name })); break;
          default: end(true); reject(new Error(`party worker: unknown request ${(m as { op?: unknown }).op}`));
        }
      };
      const onError = (e: Error) => { end(true); reject(new Error(`party worker crashed: ${e.message}`)); };
      const onExit = (code: number) => { end(true); reject(new Error(`party worker exited (code ${code}) before the session's result`)); };
      const onAbort = () => { end(true); reject(new Error('session aborted')); };
      const end = (kill = false) => {
        over = true;
        w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        if (kill || slot.exited) { retire(); return; }
        // Clean result: keep it as the spare (one is enough), idle and unref'd.
        this.busy.delete(slot);
        w.unref();
        if (this.spare.length === 0) this.keep(slot); else void w.terminate();
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      const run: ToWorker = { op: 'run', run: runId, start, frames, seed: randomBytes(4).readUInt32LE(0) };
      try { w.postMessage(run, movable(frames)); } catch (e) { end(true); reject(e as Error); }
    });
  }

  /** Worker threads alive now (booting, busy or spare). */
  threads(): number { return this.all.size; }

  /** Terminate every worker (node stopping). */
  async close(): Promise<void> {
    const all = [...this.all];
    this.spare.length = 0;
    this.busy.clear();
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
