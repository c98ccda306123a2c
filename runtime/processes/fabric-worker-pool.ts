// The server's fabric workers (fabric-worker.ts): one worker thread per session's optical run, so
// sampling and packing never block the server's event loop, and the next frame is sampled while
// the main thread publishes the previous one. One worker is booted with the server (tsx loads the
// sampler once) and serves run after run; a run that finds it busy boots another, kept as the
// spare after a clean run if there is none. A failed or aborted run terminates its worker at once,
// even mid-sample.
import type { Worker } from 'node:worker_threads';
import { startTsWorker, workerEntry } from '../../protocols/ts-worker.ts';
import type { FabricInputs } from '../../actors/server/fabric.ts';
import type { Plan } from '../../actors/server/orchestration-types.ts';
import type { FabricFromWorker, FabricToWorker } from './fabric-worker-messages.ts';

const ENTRY = workerEntry('fabric-worker', import.meta.url);

interface Slot { worker: Worker; ready: Promise<void> }

export interface FabricSink {
  /** The model the sampler uses, before the first delivery. */
  link(link: Record<string, number>): void;
  /** Hand one packed message to `node`'s stream; resolves when it may take the next. */
  deliver(node: string, bytes: Uint8Array, detections: number): Promise<void>;
}

export class FabricWorkerPool {
  private spare?: Slot;
  private readonly all = new Set<Worker>();

  constructor(private readonly entry: URL = ENTRY) {}

  private spawn(): Slot {
    const worker = startTsWorker(this.entry);
    this.all.add(worker);
    worker.once('exit', () => { this.all.delete(worker); if (this.spare?.worker === worker) this.spare = undefined; });
    worker.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: FabricFromWorker) => { if (m.op === 'ready') { worker.off('message', onMsg); resolve(); } };
      worker.on('message', onMsg);
      worker.once('error', (e) => reject(new Error(`fabric worker failed to start: ${e.message}`)));
      worker.once('exit', (code) => reject(new Error(`fabric worker exited (code ${code})`)));
    });
    ready.catch(() => undefined);
    worker.unref();
    return { worker, ready };
  }

  /** Boot the spare now if there is none. */
  warm(): void { this.spare ??= this.spawn(); }

  /** Run the plan's optics in a worker, `ahead` deliveries sampled ahead of the sink; resolves with the detections. */
  async run(plan: Plan, env: FabricInputs, sink: FabricSink, signal: AbortSignal, ahead: number): Promise<number> {
    const slot = this.spare ?? this.spawn();
    this.spare = undefined;
    const w = slot.worker;
    w.ref();
    let clean = false;
    try {
      await slot.ready;
      return await new Promise<number>((resolve, reject) => {
        let over = false;
        const onAbort = () => fail(new Error('aborted'));
        const onError = (e: Error) => fail(new Error(`fabric worker crashed: ${e.message}`));
        const onExit = (code: number) => fail(new Error(`fabric worker exited (code ${code}) before the end of the run`));
        const onMessage = (m: FabricFromWorker) => {
          if (over) return;
          if (m.op === 'link') sink.link(m.link);
          else if (m.op === 'delivery') sink.deliver(m.node, m.bytes, m.detections).then(() => { if (!over) w.postMessage({ op: 'more' } satisfies FabricToWorker); }, fail);
          else if (m.op === 'end') { end(); clean = true; resolve(m.detections); }
          else if (m.op === 'failed') fail(new Error(m.message));
        };
        const end = () => {
          over = true;
          w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
          signal.removeEventListener('abort', onAbort);
        };
        function fail(e: Error) { if (!over) { end(); reject(e); } }
        w.on('message', onMessage);
        w.once('error', onError);
        w.once('exit', onExit);
        if (signal.aborted) { fail(new Error('aborted')); return; }
        signal.addEventListener('abort', onAbort, { once: true });
        w.postMessage({ op: 'run', plan, env, ahead } satisfies FabricToWorker);
      });
    } finally {
      w.unref();
      if (clean && !this.spare && this.all.has(w)) this.spare = slot;
      else void w.terminate();
    }
  }

  async close(): Promise<void> {
    this.spare = undefined;
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
