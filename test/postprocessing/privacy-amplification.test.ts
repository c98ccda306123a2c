import test from 'ava';
import { toeplitzHash, toeplitzHashSync, toeplitzSeedBits } from '../../protocols/postprocessing/toeplitz.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';
import { privacyAmplifyAlice, privacyAmplifyBob } from '../../protocols/postprocessing/privacy-amplification.ts';
import { memoryChannelPair, tapChannel } from '../../protocols/postprocessing/channel.ts';
import { P, mulmod, powmod, rootOfUnity } from '../../protocols/postprocessing/ntt.ts';
import { shoup } from '../../protocols/postprocessing/ntt-wasm.ts';
import { createRng } from '../../protocols/rng.ts';
import { randomBits, getBit, equals, type BitString } from '../../protocols/bits.ts';

test.after.always(async () => { await closeToeplitzPool(); });

// Direct O(n l) product from the definition T[i][j] = s[i - j + n - 1], word-parallel over i
// would be the same algorithm family, so this stays deliberately bit by bit.
function naiveToeplitz(x: BitString, s: BitString, l: number): Uint8Array {
  const n = x.length, out = new Uint8Array(l);
  const ones: number[] = [];
  for (let j = 0; j < n; j++) if (getBit(x, j)) ones.push(j);
  for (let i = 0; i < l; i++) { let acc = 0; for (const j of ones) acc ^= getBit(s, i - j + n - 1); out[i] = acc; }
  return out;
}

function expectSame(t: import('ava').ExecutionContext, got: BitString, want: Uint8Array, what: string): void {
  t.is(got.length, want.length, `${what}: length`);
  let bad = -1;
  for (let i = 0; i < want.length; i++) if (getBit(got, i) !== want[i]) { bad = i; break; }
  t.is(bad, -1, `${what}: first wrong output bit ${bad}`);
  // tail bits of the last word are clear
  if (got.length & 31) t.is(got.words[got.words.length - 1] >>> (got.length & 31), 0, `${what}: tail`);
}

test('NTT field: p = 15 * 2^27 + 1, 31 generates roots of unity up to 2^27, modular products exact', (t) => {
  t.is(P, 15 * 2 ** 27 + 1);
  for (const len of [2, 1024, 2 ** 27]) {
    t.is(powmod(rootOfUnity(len), len / 2), P - 1);
    t.is(powmod(rootOfUnity(len), len), 1);
  }
  const rng = createRng('mul');
  for (let i = 0; i < 20000; i++) {
    const a = rng.nextInt(P), b = rng.nextInt(P);
    if (BigInt(mulmod(a, b)) !== (BigInt(a) * BigInt(b)) % BigInt(P)) { t.fail(`mulmod(${a}, ${b})`); return; }
  }
  t.is(mulmod(P - 1, P - 1), 1);
});

test('Shoup companions floor(w 2^32 / p) of the SIMD table levels are exact', (t) => {
  const rng = createRng('shoup');
  const ws = [0, 1, 2, P - 1, P - 2, (P - 1) / 2, rootOfUnity(4), rootOfUnity(1 << 20)];
  for (let i = 0; i < 20000; i++) ws.push(rng.nextInt(P));
  for (const w of ws) {
    const want = Number((BigInt(w) << 32n) / BigInt(P));
    if (shoup(w) !== want) { t.fail(`shoup(${w}) = ${shoup(w)}, want ${want}`); return; }
  }
  t.pass();
});

test('every output bit equals the direct Toeplitz product (single thread, several sizes)', (t) => {
  const rng = createRng('toeplitz');
  for (const [n, l] of [[1, 1], [2, 1], [7, 5], [32, 32], [33, 31], [100, 1], [1000, 999], [4099, 1500], [12_345, 4_321], [20_011, 3_000]]) {
    const x = randomBits(n, () => rng.nextUint32());
    const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
    expectSame(t, toeplitzHashSync(x, s, l), naiveToeplitz(x, s, l), `n=${n} l=${l}`);
  }
});

test('worst case for exactness: all-ones key and seed (every convolution value at its maximum)', (t) => {
  const n = 50_001, l = 20_000;
  const ones = (m: number): BitString => { const s = randomBits(m, () => 0xffffffff); return s; };
  const x = ones(n), s = ones(n + l - 1);
  // every row has n ones -> parity n mod 2 = 1
  const want = new Uint8Array(l).fill(n & 1);
  expectSame(t, toeplitzHashSync(x, s, l), want, 'all ones');
});

test('two-thread product equals the single-thread one and the direct product', async (t) => {
  const rng = createRng('par');
  for (const [n, l] of [[300_007, 1_000], [1 << 19, 1 << 18]]) {
    const x = randomBits(n, () => rng.nextUint32());
    const s = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
    const par = await toeplitzHash(x, s, l, { parallel: true });
    t.true(equals(par, toeplitzHashSync(x, s, l)), `n=${n} l=${l}`);
    if (l <= 1000) expectSame(t, par, naiveToeplitz(x, s, l), `n=${n} l=${l} direct`);
  }
});

test('PA over the channel: Alice sends an n + l - 1 bit seed, both get the same l-bit key', async (t) => {
  const rng = createRng('pa');
  const n = 100_003, l = 41_234;
  const key = randomBits(n, () => rng.nextUint32());
  const [a0, b] = memoryChannelPair();
  let seedBitsOnWire = 0;
  const a = tapChannel(a0, (dir, m) => { if (dir === 'sent' && m.type === 'pa.seed') seedBitsOnWire = (m.seed as Uint32Array).length * 32; });
  const [ra, rb] = await Promise.all([
    privacyAmplifyAlice(a, key, { outputBits: l, random: createRng('qrng') }),
    privacyAmplifyBob(b, { length: n, words: key.words.slice() }, { outputBits: l }),
  ]);
  t.is(ra.key.length, l);
  t.true(equals(ra.key, rb.key));
  t.is(ra.seedBits, n + l - 1);
  t.is(seedBitsOnWire, Math.ceil((n + l - 1) / 32) * 32);
  // a different QRNG seed gives a different key
  const [c, d] = memoryChannelPair();
  const [rc] = await Promise.all([
    privacyAmplifyAlice(c, key, { outputBits: l, random: createRng('qrng2') }),
    privacyAmplifyBob(d, key),
  ]);
  t.false(equals(rc.key, ra.key));
});

test('PA refuses mismatched lengths', async (t) => {
  const key = randomBits(1000, () => 3);
  const [a, b] = memoryChannelPair();
  const alice = privacyAmplifyAlice(a, key, { outputBits: 500, random: createRng(1) });
  await t.throwsAsync(privacyAmplifyBob(b, key, { outputBits: 400 }), { message: /peer wants 500 output bits, we computed 400/ });
  await alice;
  t.throws(() => toeplitzHashSync(key, randomBits(10, () => 1), 5), { message: /seed must have n \+ l - 1 = 1004 bits/ });
  await t.throwsAsync(privacyAmplifyAlice(memoryChannelPair()[0], key, { outputBits: 1001, random: createRng(1) }), { message: /outputBits must be in \[1, 1000\]/ });
});
