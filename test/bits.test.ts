import test from 'ava';
import * as B from '../protocols/bits.ts';
import { createRng } from '../protocols/rng.ts';

const naive = (n: number, rng = createRng(n)) => Array.from({ length: n }, () => rng.nextInt(2));

test('bytes round trip keeps every bit, for lengths around word and byte edges', (t) => {
  for (const n of [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000]) {
    const bits = naive(n);
    const s = B.fromBits(bits);
    t.deepEqual(Array.from(B.toBits(B.fromBytes(B.toBytes(s), n))), bits, `n=${n}`);
    t.is(B.popcount(s), bits.reduce((a, b) => a + b, 0));
  }
});

test('slice and concat agree with array slicing', (t) => {
  const bits = naive(301, createRng('s'));
  const s = B.fromBits(bits);
  for (const [a, len] of [[0, 301], [5, 70], [31, 33], [32, 64], [100, 0], [250, 51]]) {
    t.deepEqual(Array.from(B.toBits(B.slice(s, a, len))), bits.slice(a, a + len));
  }
  const parts = [B.slice(s, 0, 13), B.slice(s, 13, 50), B.slice(s, 63, 238)];
  t.true(B.equals(B.concat(parts), s));
});

test('xor matches bitwise xor', (t) => {
  const a = naive(77, createRng(1)), b = naive(77, createRng(2));
  const x = B.xor(B.fromBits(a), B.fromBits(b));
  t.deepEqual(Array.from(B.toBits(x)), a.map((v, i) => v ^ b[i]));
});
