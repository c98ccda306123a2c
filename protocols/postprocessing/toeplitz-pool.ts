// Two worker threads (the machine's two cores) for large Toeplitz products, fed from one task
// queue (a task goes to whichever worker is free). Phases of a job:
//   1. worker 0: spread the seed into A and NTT it; worker 1: the same for the key into B
//   2. worker h: A = A * B / L on half h, then the inverse NTT of that half (the DIT sub-transforms
//      of the two halves are independent)
//   3. the last inverse level, butterflies split in two ranges
//   4. output parities, words split in two ranges
// (radix-3 layouts, L = 3m: phase 2 gives thirds 0 and 1 one worker each, then third 2 by halves,
// its last power-of-two level and the radix-3 level split in two ranges; see toeplitz.ts)
// All data lives in one shared WasmMemory; nothing is copied between threads.
// Workers are unref'd while idle so they never keep a process alive.
import type { Worker } from 'node:worker_threads';
import { startTsWorker, workerEntry } from '../ts-worker.ts';
import { kernelModule, type Layout, type WasmMemory } from './ntt-wasm.ts';
import type { WorkerRequest, WorkerTask } from './toeplitz-worker.ts';

interface Queued { job: number; memory: WasmMemory; layout: Layout; task: WorkerTask; resolve: () => void; reject: (e: Error) => void }

class ToeplitzPool {
  private readonly workers: Worker[] = [];
  /** Tasks not yet handed out, in order; any idle worker takes the next one. */
  private readonly queue: Queued[] = [];
  private readonly idle: number[] = [];
  private readonly pending = new Map<number, Queued & { worker: number }>();
  private nextId = 0;

  constructor(size: number) {
    const url = workerEntry('toeplitz-worker', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = startTsWorker(url);
      w.on('message', (m: { id: number; ok: boolean; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.idle.push(p.worker);
        this.pump();
        if (m.ok) p.resolve(); else p.reject(new Error(`Toeplitz worker: ${m.error}`));
      });
      w.on('error', (e) => {
        for (const p of [...this.pending.values(), ...this.queue]) p.reject(e);
        this.pending.clear(); this.queue.length = 0;
      });
      w.unref();
      this.workers.push(w);
      this.idle.push(i);
    }
  }

  /** Run one task of a job on whichever worker is free first (tasks of one phase are independent;
   *  with two jobs in flight, e.g. both ends of a session in one process, neither waits idle at
   *  the other's phase barriers). */
  run(job: number, memory: WasmMemory, layout: Layout, task: WorkerTask): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ job, memory, layout, task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!, q = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { ...q, worker });
      const req: WorkerRequest = { id, job: q.job, memory: q.memory, module: kernelModule(), layout: q.layout, task: q.task };
      this.workers[worker].postMessage(req);
    }
    // keep the process alive only while there is work
    const busy = this.pending.size > 0;
    for (const w of this.workers) if (busy) w.ref(); else w.unref();
  }

  async close(): Promise<void> { await Promise.all(this.workers.map((w) => w.terminate())); }
}

let pool: ToeplitzPool | undefined;
let jobs = 0;

export function toeplitzPool(): { run: ToeplitzPool['run']; job: () => number } {
  pool ??= new ToeplitzPool(2);
  const p = pool;
  return { run: (...a) => p.run(...a), job: () => jobs++ };
}

/** Stop the worker threads (tests and benchmarks call this at the end; they are unref'd anyway). */
export async function closeToeplitzPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.close();
}
