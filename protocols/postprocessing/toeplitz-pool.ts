// Two worker threads (the machine's two cores) for large Toeplitz products. Phases:
//   1. worker 0: spread the seed into A and NTT it; worker 1: the same for the key into B
//   2. worker h: A = A * B / L on half h, then the inverse NTT of that half (the DIT sub-transforms
//      of the two halves are independent)
//   3. the last inverse level, butterflies split in two ranges
//   4. output parities, words split in two ranges
// (radix-3 layouts, L = 3m: phase 2 gives thirds 0 and 1 one worker each, then third 2 by halves,
// its last power-of-two level and the radix-3 level split in two ranges; see toeplitz.ts)
// All data lives in one shared WasmMemory; nothing is copied between threads.
// Workers are unref'd while idle so they never keep a process alive.
import { Worker } from 'node:worker_threads';
import { kernelModule, type Layout, type WasmMemory } from './ntt-wasm.ts';
import type { WorkerRequest, WorkerTask } from './toeplitz-worker.ts';

interface Pending { resolve: () => void; reject: (e: Error) => void }

class ToeplitzPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private busy = 0;

  constructor(size: number) {
    const url = new URL('./toeplitz-worker.ts', import.meta.url);
    // Node 20 does not carry the parent's module hooks into workers, so a worker running from
    // TypeScript source registers tsx itself before importing its entry file.
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`
      + `.catch((e) => { console.error(e); process.exit(1); });`;
    for (let i = 0; i < size; i++) {
      const w = new Worker(boot, { eval: true });
      w.on('message', (m: { id: number; ok: boolean; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (--this.busy === 0) for (const x of this.workers) x.unref();
        if (m.ok) p.resolve(); else p.reject(new Error(`Toeplitz worker: ${m.error}`));
      });
      w.on('error', (e) => { for (const p of this.pending.values()) p.reject(e); this.pending.clear(); });
      w.unref();
      this.workers.push(w);
    }
  }

  run(worker: number, job: number, memory: WasmMemory, layout: Layout, task: WorkerTask): Promise<void> {
    const id = this.nextId++;
    if (this.busy++ === 0) for (const x of this.workers) x.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, job, memory, module: kernelModule(), layout, task };
      this.workers[worker].postMessage(req);
    });
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
