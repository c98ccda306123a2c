import test from 'ava';
import { createShuffle, createHalfSplit, passShuffle, type BitShuffle } from '../../protocols/postprocessing/shuffle.ts';
import { createRng } from '../../protocols/rng.ts';

const bit = (w: Uint32Array, i: number) => (w[i >>> 5] >>> (i & 31)) & 1;

// apply(), source() and locate() must describe one and the same bijection.
function checkBijection(t: import('ava').ExecutionContext, sh: BitShuffle, label: string) {
  const N = sh.size, rng = createRng(label);
  const src = new Uint32Array(N >>> 5).map(() => rng.nextUint32());
  const out = sh.apply(src);
  const seen = new Uint8Array(N);
  for (let j = 0; j < N; j++) {
    const x = sh.source(j);
    if (x < 0 || x >= N || seen[x]) { t.fail(`${label}: source(${j}) = ${x} repeats or is out of range`); return; }
    seen[x] = 1;
    if (sh.locate(x) !== j) { t.fail(`${label}: locate(source(${j})) = ${sh.locate(x)}`); return; }
    if (bit(out, j) !== bit(src, x)) { t.fail(`${label}: apply() bit ${j} is not source bit ${x}`); return; }
  }
  t.pass();
}

for (const N of [1024, 7 * 1024, 1 << 16]) {
  test(`fast, uniform and half-split shuffles are bijections with matching apply/source/locate (N = ${N})`, (t) => {
    checkBijection(t, createShuffle('fast', N, 77), `fast-${N}`);
    checkBijection(t, createShuffle('uniform', N, 78), `uniform-${N}`);
    checkBijection(t, createHalfSplit(N, 79), `split-${N}`);
  });
}

test('the half split takes exactly half of the column words, independently per seed, in order', (t) => {
  // column word 32 g + c = bit c of the 32 source words of group g; its bit 0 is source bit
  // c of word 32 g
  const N = 1 << 18, W = N >>> 5;
  const firstBit = (col: number) => (col - (col & 31)) * 32 + (col & 31);
  const colOf = (x: number) => ((x >>> 5) & ~31) + (x & 31);
  const half = (seed: number) => {
    const sh = createHalfSplit(N, seed), inFirst = new Uint8Array(W);
    let count = 0;
    for (let col = 0; col < W; col++) if (sh.locate(firstBit(col)) < N / 2) { inFirst[col] = 1; count++; }
    // column words keep their order inside each half, and each is whole (its 32 bits adjacent)
    for (let j = 32; j < N; j += 32) if (j !== N / 2 && colOf(sh.source(j)) < colOf(sh.source(j - 32))) t.fail(`order broken at ${j}`);
    for (let j = 0; j < N; j += 997) if (colOf(sh.source(j)) !== colOf(sh.source(j - (j & 31)))) t.fail(`column word split at ${j}`);
    return { inFirst, count };
  };
  const a = half(1), b = half(2);
  t.is(a.count, W / 2);
  t.is(b.count, W / 2);
  let both = 0;
  for (let w = 0; w < W; w++) both += a.inFirst[w] & b.inFirst[w];
  // two independent random halves share ~W/4 words (sd ~ sqrt(W)/4 = 22): 8 sd bound
  t.true(Math.abs(both - W / 4) < 8 * Math.sqrt(W) / 4, `overlap ${both} of ${W}`);
});

test('the half split parts the bits of one source word', (t) => {
  const N = 1 << 18, sh = createHalfSplit(N, 9), rng = createRng('part');
  let mixed = 0;
  for (let k = 0; k < 200; k++) {
    const w = rng.nextInt(N >>> 5);
    let first = 0;
    for (let b = 0; b < 32; b++) if (sh.locate(w * 32 + b) < N / 2) first++;
    if (first > 0 && first < 32) mixed++;
  }
  t.is(mixed, 200); // all 32 bits on one side: probability 2^-31 per word
});

test('passShuffle uses the half split only for fast shuffles of n/2-bit blocks', (t) => {
  const N = 1 << 14;
  const words = (sh: BitShuffle) => Array.from({ length: 64 }, (_, j) => sh.source(j * 32));
  t.deepEqual(words(passShuffle('fast', N, N / 2, 5)), words(createHalfSplit(N, 5)));
  t.deepEqual(words(passShuffle('fast', N, 128, 5)), words(createShuffle('fast', N, 5)));
  t.deepEqual(words(passShuffle('uniform', N, N / 2, 5)), words(createShuffle('uniform', N, 5)));
});

test('the fast shuffle spreads the bits of one source word like a uniform shuffle would', (t) => {
  // Two errors of one word must rarely share a block of the next pass: under a uniform shuffle
  // a pair of bits lands within distance D with probability ~2D/N.
  const N = 1 << 20, D = 256, words = 400, sh = createShuffle('fast', N, 4242), rng = createRng('spread');
  let close = 0;
  for (let i = 0; i < words; i++) {
    const w = rng.nextInt(N >>> 5), pos = Array.from({ length: 32 }, (_, b) => sh.locate(w * 32 + b));
    for (let a = 0; a < 32; a++) for (let b = a + 1; b < 32; b++) if (Math.abs(pos[a] - pos[b]) < D) close++;
  }
  const expected = words * 496 * (2 * D / N); // ~97
  t.true(close < 2 * expected, `${close} close pairs, ~${expected.toFixed(0)} expected`);
  t.log(`${close} close pairs (uniform: ~${expected.toFixed(0)})`);
});
