// Toeplitz hashing for privacy amplification (Carter & Wegman universal family; Krawczyk,
// CRYPTO '94): the l x n matrix T[i][j] = s[i - j + n - 1] built from a seed s of n + l - 1
// bits maps the key x to y_i = XOR_j T[i][j] x_j. That is y_i = c[i + n - 1] mod 2 for the
// integer convolution c = s * x, computed exactly with an NTT modulo p = 2013265921 (every
// c[t] <= n < p, so no information is lost) in O((n + l) log(n + l)); the cyclic length is 2^k
// or 3 * 2^k, whichever is the smaller one >= n + l - 1 (ntt-wasm.ts layout()).
// Inputs of at least PARALLEL_MIN_BITS run on two worker threads; smaller ones inline.
import { type BitString, zeros } from '../bits.ts';
import { layout, acquireMemory, releaseMemory, instantiate, loadInputs, toeplitzSingleThread, scaleFor, kernelModule, type WasmMemory } from './ntt-wasm.ts';
import { toeplitzPool } from './toeplitz-pool.ts';
import type { WorkerTask } from './toeplitz-worker.ts';

export const PARALLEL_MIN_BITS = 1 << 18;

/** Start the worker threads ahead of a product of about `bits` input bits, so that their start-up
 *  (tsx and module loading, ~0.2 s CPU each) overlaps the stages before PA instead of delaying it. */
export function warmToeplitz(bits: number): void {
  if (bits < PARALLEL_MIN_BITS) return;
  kernelModule();
  toeplitzPool();
}

export function toeplitzSeedBits(n: number, l: number): number { return n + l - 1; }

function check(key: BitString, seed: BitString, l: number): void {
  if (!Number.isInteger(l) || l < 1) throw new RangeError(`Toeplitz: output length must be a positive integer, got ${l}`);
  if (key.length < 1) throw new RangeError('Toeplitz: empty key');
  if (seed.length !== key.length + l - 1) throw new RangeError(`Toeplitz: seed must have n + l - 1 = ${key.length + l - 1} bits, got ${seed.length}`);
}

function readOut(mem: WasmMemory, out: number, l: number): BitString {
  const r = zeros(l);
  r.words.set(new Uint32Array(mem.buffer, out * 4, r.words.length));
  return r;
}

/** Toeplitz hash on the calling thread. */
export function toeplitzHashSync(key: BitString, seed: BitString, l: number): BitString {
  check(key, seed, l);
  const lay = layout(key.length, l);
  const mem = acquireMemory(lay);
  loadInputs(mem, lay, key.words, seed.words);
  toeplitzSingleThread(instantiate(mem), lay);
  const out = readOut(mem, lay.out, l);
  releaseMemory(mem, lay);
  return out;
}

/** Toeplitz hash, on two worker threads for large inputs. */
export async function toeplitzHash(key: BitString, seed: BitString, l: number, opts: { parallel?: boolean } = {}): Promise<BitString> {
  check(key, seed, l);
  const parallel = opts.parallel ?? key.length + l >= PARALLEL_MIN_BITS;
  if (!parallel) return toeplitzHashSync(key, seed, l);
  const lay = layout(key.length, l);
  const { L } = lay;
  const mem = acquireMemory(lay);
  loadInputs(mem, lay, key.words, seed.words);
  kernelModule();
  const pool = toeplitzPool();
  const job = pool.job();
  const both = (a: WorkerTask, b: WorkerTask) => Promise.all([pool.run(job, mem, lay, a), pool.run(job, mem, lay, b)]);
  await both({ op: 'forward', which: 'seed' }, { op: 'forward', which: 'key' });
  const scale = scaleFor(L);
  if (L % 3 === 0) {
    // thirds 0 and 1 one per worker, third 2 by halves, then its last level and the radix-3 level split
    const m = L / 3, h = m / 2;
    await both({ op: 'inverseRange', from: 0, len: m, scale }, { op: 'inverseRange', from: m, len: m, scale });
    await both({ op: 'inverseRange', from: 2 * m, len: h, scale }, { op: 'inverseRange', from: 2 * m + h, len: h, scale });
    await both({ op: 'topAt', off: 2 * m, len: m, j0: 0, j1: h / 2 }, { op: 'topAt', off: 2 * m, len: m, j0: h / 2, j1: h });
    await both({ op: 'top3', j0: 0, j1: h }, { op: 'top3', j0: h, j1: m });
  } else {
    await both({ op: 'inverseHalf', half: 0, scale }, { op: 'inverseHalf', half: 1, scale });
    await both({ op: 'top', j0: 0, j1: L / 4 }, { op: 'top', j0: L / 4, j1: L / 2 });
  }
  const W = (l + 31) >>> 5, mid = W >>> 1;
  await both({ op: 'pack', w0: 0, w1: mid }, { op: 'pack', w0: mid, w1: W });
  const out = readOut(mem, lay.out, l);
  releaseMemory(mem, lay);
  return out;
}
