// Worker thread for Toeplitz privacy amplification: runs NTT phases on the job's shared
// WebAssembly memory (see toeplitz-pool.ts for the phase plan). The only file besides the pool
// that touches node:worker_threads.
import { parentPort } from 'node:worker_threads';
import { instantiate, forward, inverse, topInverseLevel, radix3Level, unpackInto, pointwiseRange, type Kernel, type Layout, type WasmMemory, type WasmModule } from './ntt-wasm.ts';

export type WorkerTask =
  | { op: 'forward'; which: 'seed' | 'key' }
  | { op: 'inverseHalf'; half: 0 | 1; scale: bigint }
  | { op: 'top'; j0: number; j1: number }
  | { op: 'pack'; w0: number; w1: number }
  // radix-3 layouts (L = 3m): products and inverse NTT of [from, from + len), the last power-of-two
  // level of the transform of `len` at A + off, and the radix-3 level, butterflies [j0, j1)
  | { op: 'inverseRange'; from: number; len: number; scale: bigint }
  | { op: 'topAt'; off: number; len: number; j0: number; j1: number }
  | { op: 'top3'; j0: number; j1: number };

export interface WorkerRequest { id: number; job: number; memory: WasmMemory; module: WasmModule; layout: Layout; task: WorkerTask }

// kernels of the jobs seen last (tasks of two jobs may alternate on one worker)
const kernels = new Map<number, Kernel>();

parentPort!.on('message', (req: WorkerRequest) => {
  try {
    let k = kernels.get(req.job);
    if (!k) {
      k = instantiate(req.memory, req.module);
      kernels.set(req.job, k);
      if (kernels.size > 4) kernels.delete(kernels.keys().next().value as number);
    }
    const lay = req.layout, t = req.task;
    const { n, l, L, A, B } = lay;
    switch (t.op) {
      case 'forward':
        if (t.which === 'seed') { unpackInto(k, lay.seedW, n + l - 1, A, L); forward(k, lay, A, L); }
        else { unpackInto(k, lay.keyW, n, B, L); forward(k, lay, B, L); }
        break;
      case 'inverseHalf': {
        const from = t.half * (L / 2);
        pointwiseRange(k, A, B, from, from + L / 2, t.scale);
        inverse(k, lay, A + from, L / 2);
        break;
      }
      case 'top': topInverseLevel(k, lay, A, L, t.j0, t.j1); break;
      case 'pack': k.pack_parity(A, n - 1, l, lay.out, t.w0, t.w1); break;
      case 'inverseRange':
        pointwiseRange(k, A, B, t.from, t.from + t.len, t.scale);
        inverse(k, lay, A + t.from, t.len);
        break;
      case 'topAt': topInverseLevel(k, lay, A + t.off, t.len, t.j0, t.j1); break;
      case 'top3': radix3Level(k, A, L, t.j0, t.j1, true); break;
    }
    parentPort!.postMessage({ id: req.id, ok: true });
  } catch (e) {
    parentPort!.postMessage({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
