import test from 'ava';
import { toeplitzHash, toeplitzSeedBits } from '../../protocols/postprocessing/toeplitz.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';
import { layout, createMemory, instantiate, loadInputs, toeplitzSingleThread } from '../../protocols/postprocessing/ntt-wasm.ts';
import { createRng } from '../../protocols/rng.ts';
import { randomBits, getBit, type BitString } from '../../protocols/bits.ts';

test.after.always(async () => { await closeToeplitzPool(); });

function product(x: BitString, s: BitString, l: number, radix3: boolean): { L: number; out: Uint32Array } {
  const lay = layout(x.length, l, { radix3 });
  const mem = createMemory(lay);
  loadInputs(mem, lay, x.words, s.words);
  toeplitzSingleThread(instantiate(mem), lay);
  return { L: lay.L, out: new Uint32Array(mem.buffer, lay.out * 4, (l + 31) >>> 5).slice() };
}

// Direct product from the definition T[i][j] = s[i - j + n - 1] (bit by bit).
function direct(x: BitString, s: BitString, l: number): Uint32Array {
  const n = x.length, out = new Uint32Array((l + 31) >>> 5), ones: number[] = [];
  for (let j = 0; j < n; j++) if (getBit(x, j)) ones.push(j);
  for (let i = 0; i < l; i++) { let acc = 0; for (const j of ones) acc ^= getBit(s, i - j + n - 1); if (acc) out[i >>> 5] |= 1 << (i & 31); }
  return out;
}

test('radix-3 transform length (3 * 2^k) gives the same bits as 2^k and the direct product, at the size edges', (t) => {
  const rng = createRng('radix3');
  // n + l - 1 = 3 * 2^k exactly, one more (falls back to 2^(k+2)), and inside the range
  for (const [n, l] of [[8, 5], [9, 4], [40, 9], [1000, 537], [1000, 538], [3000, 73], [40_000, 9_153], [40_000, 9_154]]) {
    const x = randomBits(n, () => rng.nextUint32());
    const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
    const a = product(x, s, l, true), b = product(x, s, l, false);
    t.deepEqual(a.out, b.out, `n=${n} l=${l} (L = ${a.L} vs ${b.L})`);
    if (n * l <= 5e6) t.deepEqual(a.out, direct(x, s, l), `n=${n} l=${l} direct`);
  }
  t.is(layout(1000, 537, { radix3: true }).L, 1536);
  t.is(layout(1000, 538, { radix3: true }).L, 2048);
});

test('radix-3 layout on two threads equals the power-of-two single-thread product', async (t) => {
  const rng = createRng('radix3-par');
  const n = 300_000, l = 3 * 2 ** 17 - n + 1; // n + l - 1 = 3 * 2^17
  const x = randomBits(n, () => rng.nextUint32());
  const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
  const par = await toeplitzHash(x, s, l, { parallel: true });
  t.deepEqual(par.words, product(x, s, l, false).out);
});

test('stepped-twiddle levels (half-size beyond the tables) give the same bits as table levels', (t) => {
  const rng = createRng('stepped');
  for (const [n, l] of [[150_000, 100_000], [300_000, 90_000]]) {
    const x = randomBits(n, () => rng.nextUint32());
    const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
    const small = layout(n, l, { table: 1 << 16 });
    t.true(small.tabI - small.tabF < small.L / 2, 'the small-table layout has stepped levels');
    const mem = createMemory(small);
    loadInputs(mem, small, x.words, s.words);
    toeplitzSingleThread(instantiate(mem), small);
    const got = new Uint32Array(mem.buffer, small.out * 4, (l + 31) >>> 5).slice();
    t.deepEqual(got, product(x, s, l, true).out, `n=${n} l=${l} L=${small.L}`);
  }
});

test('every SIMD path at once (radix-3 level, stepped levels, table levels, fused leaf levels, two threads): sampled output rows equal the direct product', async (t) => {
  const rng = createRng('simd-rows');
  const n = 900_001, l = 300_007; // n + l - 1 just above 2^20: L = 3 * 2^19
  const x = randomBits(n, () => rng.nextUint32());
  const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
  const small = layout(n, l, { table: 1 << 16 });
  t.true(small.L % 3 === 0 && small.tabI - small.tabF < small.L / 6, 'radix-3 layout with stepped levels');
  const mem = createMemory(small);
  loadInputs(mem, small, x.words, s.words);
  toeplitzSingleThread(instantiate(mem), small);
  const stepped = new Uint32Array(mem.buffer, small.out * 4, (l + 31) >>> 5).slice();
  const par = await toeplitzHash(x, s, l, { parallel: true });
  t.deepEqual(par.words, stepped);
  const ones: number[] = [];
  for (let j = 0; j < n; j++) if (getBit(x, j)) ones.push(j);
  for (let k = 0; k < 40; k++) {
    const i = k === 0 ? 0 : k === 1 ? l - 1 : rng.nextInt(l);
    let acc = 0;
    for (const j of ones) acc ^= getBit(s, i - j + n - 1);
    t.is((stepped[i >>> 5] >>> (i & 31)) & 1, acc, `row ${i}`);
  }
});
