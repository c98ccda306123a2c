// Drives the WebAssembly NTT kernels (ntt-kernel.wat) on a shared memory laid out for one
// Toeplitz product. Pure: no threads here; toeplitz-pool.ts runs the same phases on two workers.
// Every level runs in the 4-lane SIMD kernels (Shoup products from the tables, Montgomery for
// stepped twiddles and scale factors); the scalar kernels only take sizes below 8 and ranges
// that are not multiples of 4.
import { NTT_KERNEL_WASM_BASE64 } from './ntt-kernel-wasm.ts';
import { P, mulmod, powmod, rootOfUnity, MAX_LOG } from './ntt.ts';

// Twiddle tables cover levels with half-size < 2^20 (4 MB each, four of them: forward, inverse and
// their Shoup companions): only the top levels of a big transform step the twiddle (a second
// product per butterfly); the tables are computed once per process and copied into each job's
// memory (kept memories already hold them).
const TABLE = 1 << 20;
const LEAF = 1 << 16;       // sub-transforms of <= 2^16 elements (256 kB) run entirely in one kernel call
const R_MOD_P = 4294967296 % P; // 2^32 mod p (Montgomery R)

export interface Kernel {
  dif_inc(off: number, half: number, j0: number, j1: number, wM: bigint, tM: bigint): void;
  dit_inc(off: number, half: number, j0: number, j1: number, wM: bigint, tM: bigint): void;
  dif_tab(off: number, half: number, j0: number, j1: number, tab: number): void;
  dit_tab(off: number, half: number, j0: number, j1: number, tab: number): void;
  dif_leaf(off: number, len: number, tab: number): void;
  dit_leaf(off: number, len: number, tab: number): void;
  pointwise(a: number, b: number, from: number, to: number, sM: bigint): void;
  unpack(w: number, bits: number, dst: number, from: number, to: number): void;
  pack_parity(src: number, start: number, count: number, dst: number, wfrom: number, wto: number): void;
  dif3(off: number, m: number, j0: number, j1: number, wM: bigint, tM: bigint, om: bigint): void;
  dit3(off: number, m: number, j0: number, j1: number, wM: bigint, tM: bigint, om: bigint): void;
  // SIMD (4 lanes) versions; sizes and ranges multiples of 4 (inc4: of 16; leaf4: len >= 8)
  dif_lv(off: number, len: number, half: number, j0: number, j1: number, tab: number, tabq: number): void;
  dit_lv(off: number, len: number, half: number, j0: number, j1: number, tab: number, tabq: number): void;
  dif_inc4(off: number, half: number, j0: number, j1: number, wM: bigint, tM: bigint): void;
  dit_inc4(off: number, half: number, j0: number, j1: number, wM: bigint, tM: bigint): void;
  dif_leaf4(off: number, len: number, tab: number, tabq: number): void;
  dit_leaf4(off: number, len: number, tab: number, tabq: number): void;
  pointwise4(a: number, b: number, from: number, to: number, sM: bigint): void;
  unpack4(w: number, bits: number, dst: number, len: number): void;
  dif3_4(off: number, m: number, j0: number, j1: number, wM: bigint, tM: bigint, om: bigint): void;
  dit3_4(off: number, m: number, j0: number, j1: number, wM: bigint, tM: bigint, om: bigint): void;
}

// The project compiles without the DOM lib, so the few WebAssembly API pieces used are typed here.
export interface WasmMemory { readonly buffer: ArrayBuffer }
export type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (mod: WasmModule, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: WasmModule | undefined;
export function kernelModule(): WasmModule {
  if (!compiled) compiled = new WA.Module(Buffer.from(NTT_KERNEL_WASM_BASE64, 'base64'));
  return compiled;
}

export function instantiate(mem: WasmMemory, mod: WasmModule = kernelModule()): Kernel {
  return new WA.Instance(mod, { env: { mem } }).exports as unknown as Kernel;
}

const mont = (x: number) => BigInt(mulmod(x, R_MOD_P));

/** Element offsets of one job's arrays in the shared memory. */
export interface Layout {
  n: number; l: number; L: number;
  /** twiddle tables (normal form), forward and inverse, and their Shoup companions */
  tabF: number; tabI: number; tabFq: number; tabIq: number; A: number; B: number; seedW: number; keyW: number; out: number;
  pages: number;
}

/** Transform length for a product of n + l - 1 terms: the next power of two, or 3 * 2^k when
 *  that suffices (3 divides p - 1; a radix-3 top level, then three power-of-two transforms), which
 *  saves up to 25 % (the 16 Mbit -> 8 Mbit bench needs 3 * 2^23 instead of 2^25). */
export function layout(n: number, l: number, opts: { radix3?: boolean; /** test hook: smaller twiddle tables */ table?: number } = {}): Layout {
  const m = n + l - 1;
  const log = Math.max(1, Math.ceil(Math.log2(m)));
  if (log > MAX_LOG) throw new RangeError(`Toeplitz: n + l - 1 = ${m} exceeds the NTT limit 2^${MAX_LOG}`);
  const L = (opts.radix3 ?? true) && log >= 4 && m <= 3 * 2 ** (log - 2) ? 3 * 2 ** (log - 2) : 2 ** log;
  // tables only as large as this transform's levels need; leaves (<= LEAF) always run from the table
  const T = Math.min(Math.max(opts.table ?? TABLE, LEAF), TABLE, L);
  const tabF = 0, tabI = T, tabFq = 2 * T, tabIq = 3 * T, A = 4 * T, B = A + L, seedW = B + L, keyW = seedW + ((m + 31) >>> 5), out = keyW + ((n + 31) >>> 5);
  const end = out + ((l + 31) >>> 5);
  return { n, l, L, tabF, tabI, tabFq, tabIq, A, B, seedW, keyW, out, pages: Math.ceil((end * 4) / 65536) + 1 };
}

/** Shared memory for a layout, twiddle tables filled in (normal form, with Shoup companions). */
export function createMemory(lay: Layout): WasmMemory {
  const mem = new WA.Memory({ initial: lay.pages, maximum: Math.max(lay.pages, 65536), shared: true });
  const u32 = new Uint32Array(mem.buffer);
  const t = twiddleTables();
  const T = lay.tabI - lay.tabF;
  u32.set(t.subarray(0, T), lay.tabF);
  u32.set(t.subarray(TABLE, TABLE + T), lay.tabI);
  u32.set(t.subarray(2 * TABLE, 2 * TABLE + T), lay.tabFq);
  u32.set(t.subarray(3 * TABLE, 3 * TABLE + T), lay.tabIq);
  return mem;
}

// Memories of finished jobs, kept for the next product: a fresh 300 MB memory costs ~0.1 CPU s of
// page faults on first touch (16 Mbit block). At most two (the two ends of a session in one
// process); dropped after SPARE_MS without use so an idle process gives the memory back.
const SPARE_MS = 5000;
const spare: { mem: WasmMemory; pages: number; T: number }[] = [];
let dropTimer: ReturnType<typeof setTimeout> | undefined;

/** A memory for the layout: a kept one with the same tables and enough pages, else a new one. */
export function acquireMemory(lay: Layout): WasmMemory {
  const T = lay.tabI - lay.tabF;
  const i = spare.findIndex((s) => s.T === T && s.pages >= lay.pages);
  if (i >= 0) return spare.splice(i, 1)[0].mem;
  return createMemory(lay);
}

/** Hand a job's memory back for reuse (its tables stay valid; everything else is rewritten). */
export function releaseMemory(mem: WasmMemory, lay: Layout): void {
  spare.unshift({ mem, pages: mem.buffer.byteLength / 65536, T: lay.tabI - lay.tabF });
  spare.length = Math.min(spare.length, 2);
  if (dropTimer) clearTimeout(dropTimer);
  dropTimer = setTimeout(() => { spare.length = 0; dropTimer = undefined; }, SPARE_MS);
  dropTimer.unref?.();
}

let tables: Uint32Array | undefined;
/** [forward | inverse | forward Shoup | inverse Shoup] tables: entry half + j = w_{2 half}^{+-j}, and
 *  its companion floor(w 2^32 / p). */
function twiddleTables(): Uint32Array {
  if (tables) return tables;
  const u32 = new Uint32Array(4 * TABLE);
  for (let half = 1; half < TABLE; half *= 2) {
    const w = rootOfUnity(2 * half), wi = rootOfUnity(2 * half, true);
    let x = 1, y = 1;
    for (let j = 0; j < half; j++) {
      u32[half + j] = x; u32[TABLE + half + j] = y;
      u32[2 * TABLE + half + j] = shoup(x); u32[3 * TABLE + half + j] = shoup(y);
      x = mulmod(x, w); y = mulmod(y, wi);
    }
  }
  return (tables = u32);
}

const C32 = 4294967296 - 2 * P; // 2^32 = 2 p + C32
/** floor(w 2^32 / p) = 2 w + floor(w C32 / p), the last quotient estimated in float64 minus a margin
 *  (so it is exact or one short) and corrected by the exact remainder mod 2^32 (as ntt.ts mulmod). */
export function shoup(w: number): number {
  let q = Math.floor((w * C32) / P - 2 ** -18);
  const r = (Math.imul(w, C32) - Math.imul(q, P)) >>> 0;
  if (r >= P) q++;
  return (2 * w + q) >>> 0;
}

/** The radix-3 level of a transform of len = 3 m at off, butterflies [j0, j1) of [0, m). */
export function radix3Level(k: Kernel, off: number, len: number, j0: number, j1: number, inverse: boolean): void {
  const m = len / 3, w = rootOfUnity(len, inverse), om = mont(rootOfUnity(3));
  const simd = ((j0 | j1) & 3) === 0;
  if (inverse) (simd ? k.dit3_4 : k.dit3)(off, m, j0, j1, mont(w), mont(powmod(w, j0)), om);
  else (simd ? k.dif3_4 : k.dif3)(off, m, j0, j1, mont(w), mont(powmod(w, j0)), om);
}

/** Forward NTT (DIF, output bit-reversed within each third when len = 3 * 2^k) of elements [off, off+len). */
export function forward(k: Kernel, lay: Layout, off: number, len: number): void {
  if (len % 3 === 0) {
    const m = len / 3;
    radix3Level(k, off, len, 0, m, false);
    for (let t = 0; t < 3; t++) forward(k, lay, off + t * m, m);
    return;
  }
  if (len <= LEAF) { if (len >= 8) k.dif_leaf4(off, len, lay.tabF, lay.tabFq); else k.dif_leaf(off, len, lay.tabF); return; }
  const half = len / 2;
  if (half < lay.tabI - lay.tabF) k.dif_lv(off, len, half, 0, half, lay.tabF, lay.tabFq);
  else k.dif_inc4(off, half, 0, half, mont(rootOfUnity(len)), mont(1));
  forward(k, lay, off, half);
  forward(k, lay, off + half, half);
}

/** Inverse NTT without 1/len (DIT, input bit-reversed) of elements [off, off+len). */
export function inverse(k: Kernel, lay: Layout, off: number, len: number): void {
  if (len % 3 === 0) {
    const m = len / 3;
    for (let t = 0; t < 3; t++) inverse(k, lay, off + t * m, m);
    radix3Level(k, off, len, 0, m, true);
    return;
  }
  if (len <= LEAF) { if (len >= 8) k.dit_leaf4(off, len, lay.tabI, lay.tabIq); else k.dit_leaf(off, len, lay.tabI); return; }
  const half = len / 2;
  inverse(k, lay, off, half);
  inverse(k, lay, off + half, half);
  topInverseLevel(k, lay, off, len, 0, half);
}

/** The last DIT level of a transform of `len` at `off`, butterflies [j0, j1) (split between threads). */
export function topInverseLevel(k: Kernel, lay: Layout, off: number, len: number, j0: number, j1: number): void {
  const half = len / 2, simd = half >= 4 && ((j0 | j1) & 3) === 0;
  if (half < lay.tabI - lay.tabF) {
    if (simd) k.dit_lv(off, len, half, j0, j1, lay.tabI, lay.tabIq); else k.dit_tab(off, half, j0, j1, lay.tabI);
    return;
  }
  const w = rootOfUnity(len, true);
  if (((j1 - j0) & 15) === 0) k.dit_inc4(off, half, j0, j1, mont(w), mont(powmod(w, j0)));
  else k.dit_inc(off, half, j0, j1, mont(w), mont(powmod(w, j0)));
}

/** Spread the first `bits` bits of the words at w into elements [dst, dst + len), zero padded. */
export function unpackInto(k: Kernel, w: number, bits: number, dst: number, len: number): void {
  k.unpack4(w, bits, dst, len);
}

/** a[i] = a[i] b[i] / L on [from, to) (SIMD when the range is 4-aligned). */
export function pointwiseRange(k: Kernel, a: number, b: number, from: number, to: number, sM: bigint): void {
  if (((from | to) & 3) === 0) k.pointwise4(a, b, from, to, sM);
  else k.pointwise(a, b, from, to, sM);
}

/** Montgomery-form factor that turns mont(mont(a, b), s) into a b / L. */
export function scaleFor(L: number): bigint {
  const r2 = mulmod(R_MOD_P, R_MOD_P);
  return BigInt(mulmod(r2, powmod(L, P - 2)));
}

/** Write the input bit strings' words into the memory. */
export function loadInputs(mem: WasmMemory, lay: Layout, keyWords: Uint32Array, seedWords: Uint32Array): void {
  const u32 = new Uint32Array(mem.buffer);
  u32.set(seedWords.subarray(0, (lay.n + lay.l - 1 + 31) >>> 5), lay.seedW);
  u32.set(keyWords.subarray(0, (lay.n + 31) >>> 5), lay.keyW);
}

/** The whole product on the calling thread. Output words are left at lay.out. */
export function toeplitzSingleThread(k: Kernel, lay: Layout): void {
  const { n, l, L, A, B } = lay;
  unpackInto(k, lay.seedW, n + l - 1, A, L);
  unpackInto(k, lay.keyW, n, B, L);
  forward(k, lay, A, L);
  forward(k, lay, B, L);
  pointwiseRange(k, A, B, 0, L, scaleFor(L));
  inverse(k, lay, A, L);
  k.pack_parity(A, n - 1, l, lay.out, 0, (l + 31) >>> 5);
}
