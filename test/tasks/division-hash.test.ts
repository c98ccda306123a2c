import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { type BitString, equals, fromBits, toBits, xor } from '../../protocols/bits.ts';
import { randomIrreducible } from '../../protocols/tasks/irreducible.ts';
import {
  DivisionHasher, divisionHash, divisionHashBitwise, encodedMessageBits, lengthPrefix,
} from '../../protocols/tasks/division-hash.ts';

/** Independent reference with BigInt: E = len64 || M read as a big-endian number is E(x);
 *  reduce E(x) * x^n modulo p(x) = x^n + low(x) one bit at a time. */
function bigintHash(message: Uint8Array, low: BitString): BitString {
  const n = low.length;
  let e = 0n;
  for (const b of [...lengthPrefix(message.length), ...message]) e = (e << 8n) | BigInt(b);
  let a = e << BigInt(n);
  let p = 1n << BigInt(n);
  toBits(low).forEach((bit, i) => { if (bit) p |= 1n << BigInt(i); });
  for (let d = a.toString(2).length - 1; d >= n; d--) if ((a >> BigInt(d)) & 1n) a ^= p << BigInt(d - n);
  return fromBits(Array.from({ length: n }, (_, i) => Number((a >> BigInt(i)) & 1n)));
}

test('the 256-entry table is linear and its single-bit entries are x^(n+j) mod p', (t) => {
  const rng = createRng('hash-table');
  for (const n of [8, 53, 64, 900]) {
    const { low } = randomIrreducible(n, rng);
    const h = new DivisionHasher(low);
    const W = (n + 31) >>> 5, T = h.table;
    const entry = (c: number) => Array.from(T.subarray(c * W, (c + 1) * W));
    for (let j = 0; j < 8; j++) {
      // x^(n+j) mod p by long division of the monomial (independent of the table build).
      const ref = bigintMonomialMod(n + j, low);
      t.deepEqual(entry(1 << j), Array.from(ref.words), `n=${n} j=${j}`);
    }
    for (let c = 0; c < 256; c++) {
      let acc = new Array(W).fill(0);
      for (let j = 0; j < 8; j++) if (c & (1 << j)) acc = acc.map((w, i) => (w ^ T[(1 << j) * W + i]) >>> 0);
      t.deepEqual(entry(c), acc);
    }
  }
});

function bigintMonomialMod(e: number, low: BitString): BitString {
  const n = low.length;
  let a = 1n << BigInt(e);
  let p = 1n << BigInt(n);
  toBits(low).forEach((bit, i) => { if (bit) p |= 1n << BigInt(i); });
  for (let d = e; d >= n; d--) if ((a >> BigInt(d)) & 1n) a ^= p << BigInt(d - n);
  return fromBits(Array.from({ length: n }, (_, i) => Number((a >> BigInt(i)) & 1n)));
}

test('table-driven hash of a 0.1 MB file equals bitwise long division (n = 53 and 900)', (t) => {
  const rng = createRng('hash-file');
  const file = rng.fillBytes(new Uint8Array(100_000));
  for (const n of [53, 900]) {
    const { low } = randomIrreducible(n, rng);
    t.true(equals(divisionHash(file, low), divisionHashBitwise(file, low)), `n=${n}`);
  }
});

test('table-driven hash equals a BigInt reference on short messages of every length 0..40', (t) => {
  const rng = createRng('hash-bigint');
  for (const n of [8, 13, 53, 97]) {
    const { low } = randomIrreducible(n, rng);
    for (let len = 0; len <= 40; len++) {
      const m = rng.fillBytes(new Uint8Array(len));
      t.true(equals(divisionHash(m, low), bigintHash(m, low)), `n=${n} len=${len}`);
    }
  }
});

test('length prefix: leading zero bytes change the hash', (t) => {
  const rng = createRng('hash-prefix');
  const { low } = randomIrreducible(53, rng);
  const m = Uint8Array.from([1, 2, 3]);
  const m0 = Uint8Array.from([0, 1, 2, 3]);
  t.false(equals(divisionHash(m, low), divisionHash(m0, low)));
  t.false(equals(divisionHash(new Uint8Array(0), low), divisionHash(new Uint8Array(1), low)));
  t.is(encodedMessageBits(43_000), 8 * 43_008);
});

test('the hash is GF(2)-linear in equal-length messages', (t) => {
  const rng = createRng('hash-linear');
  const { low } = randomIrreducible(61, rng);
  const a = rng.fillBytes(new Uint8Array(500)), b = rng.fillBytes(new Uint8Array(500));
  const ab = a.map((x, i) => x ^ b[i]);
  const zero = new Uint8Array(500);
  // h(a) + h(b) = h(a + b) + h(0): the prefix contributes the same term to every 500-byte message.
  t.true(equals(xor(divisionHash(a, low), divisionHash(b, low)), xor(divisionHash(ab, low), divisionHash(zero, low))));
});
