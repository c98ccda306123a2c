import test from 'ava';
import { verifyKeyAlice, verifyKeyBob, verificationHashBits } from '../../protocols/postprocessing/verification.ts';
import { hankelHash } from '../../protocols/postprocessing/hankel-hash.ts';
import { memoryChannelPair } from '../../protocols/postprocessing/channel.ts';
import { createRng } from '../../protocols/rng.ts';
import { randomBits, getBit, flipBit, type BitString } from '../../protocols/bits.ts';

function naiveHankel(x: BitString, s: BitString, t: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < t; r++) { let acc = 0; for (let j = 0; j < x.length; j++) acc ^= getBit(x, j) & getBit(s, r + j); out.push(acc); }
  return out;
}

test('Hankel hash equals the direct matrix product (several sizes)', (t) => {
  const rng = createRng('hankel');
  for (const [n, h] of [[1, 1], [31, 5], [32, 32], [33, 40], [100, 64], [1000, 17], [4097, 50]]) {
    const x = randomBits(n, () => rng.nextUint32());
    const s = randomBits(n + h - 1, () => rng.nextUint32());
    const got = hankelHash(x, s, h);
    const want = naiveHankel(x, s, h);
    for (let r = 0; r < h; r++) t.is((got[r >>> 5] >>> (r & 31)) & 1, want[r], `n=${n} t=${h} bit ${r}`);
  }
});

test('collision rate of distinct keys is 2^-t (t = 4, 4000 fresh seeds, 3-sigma band)', (t) => {
  const rng = createRng('coll');
  let coll = 0;
  const trials = 4000, n = 256, h = 4;
  for (let i = 0; i < trials; i++) {
    const x = randomBits(n, () => rng.nextUint32());
    const y: BitString = { length: n, words: x.words.slice() };
    flipBit(y, rng.nextInt(n));
    if (rng.nextDouble() < 0.5) flipBit(y, rng.nextInt(n));
    const s = randomBits(n + h - 1, () => rng.nextUint32());
    if (hankelHash(x, s, h)[0] === hankelHash(y, s, h)[0] && y.words.some((w, k) => w !== x.words[k])) coll++;
  }
  const mean = trials / 16, sd = Math.sqrt(trials * (1 / 16) * (15 / 16));
  t.true(Math.abs(coll - mean) < 3 * sd, `collisions ${coll}, expected ${mean} +- ${3 * sd}`);
});

test('verification passes identical keys and catches a single residual error', async (t) => {
  const rng = createRng('verify');
  const key = randomBits(100_003, () => rng.nextUint32());
  t.is(verificationHashBits(1e-15), 50);
  {
    const [a, b] = memoryChannelPair();
    const [ra, rb] = await Promise.all([
      verifyKeyAlice(a, key, { epsCor: 1e-15, random: createRng(5) }),
      verifyKeyBob(b, { length: key.length, words: key.words.slice() }, { epsCor: 1e-15 }),
    ]);
    t.true(ra.ok && rb.ok);
    t.is(ra.disclosedBits, 50);
  }
  for (const pos of [0, 77_777, 100_002]) {
    const bad: BitString = { length: key.length, words: key.words.slice() };
    flipBit(bad, pos);
    const [a, b] = memoryChannelPair();
    const [ra, rb] = await Promise.all([
      verifyKeyAlice(a, key, { epsCor: 1e-15, random: createRng(pos) }),
      verifyKeyBob(b, bad, { epsCor: 1e-15 }),
    ]);
    t.false(ra.ok); t.false(rb.ok);
  }
});

test('verification refuses mismatched parameters', async (t) => {
  const key = randomBits(1000, () => 7);
  const [a, b] = memoryChannelPair();
  const alice = verifyKeyAlice(a, key, { epsCor: 1e-10, random: createRng(1) });
  await t.throwsAsync(verifyKeyBob(b, key, { epsCor: 1e-15 }), { message: /t = 34 hash bits, we expect 50/ });
  a.close!('done');
  await t.throwsAsync(alice);
});
