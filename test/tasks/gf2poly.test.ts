import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { fromBits, zeros } from '../../protocols/bits.ts';
import {
  coprime, degree, gcd, isIrreducible, isIrreducibleBenOr, isIrreducibleRabin, modBitwise, multiply, polyFromLow, randomIrreducibleBenOr,
} from '../../protocols/tasks/gf2poly.ts';
import { berlekampMassey, constantTermSequence, randomIrreducible } from '../../protocols/tasks/irreducible.ts';
import { ModReducer, square } from '../../protocols/tasks/mod-reducer.ts';

/** Gauss: the number of monic irreducible polynomials of degree n over GF(2) is
 *  (1/n) sum_{d | n} mu(d) 2^(n/d). */
function gaussCount(n: number): number {
  const mu = (d: number) => { let r = 1; for (let p = 2; p * p <= d; p++) if (d % p === 0) { d /= p; if (d % p === 0) return 0; r = -r; } return d > 1 ? -r : r; };
  let s = 0;
  for (let d = 1; d <= n; d++) if (n % d === 0) s += mu(d) * 2 ** (n / d);
  return s / n;
}

function polyFromExponents(exps: number[]): Uint32Array {
  const p = new Uint32Array((Math.max(...exps) >>> 5) + 1);
  for (const e of exps) p[e >>> 5] ^= 1 << (e & 31);
  return p;
}

test('Ben-Or and Rabin count exactly Gauss\'s number of irreducible polynomials for degrees 1..12', (t) => {
  for (let n = 1; n <= 12; n++) {
    let benOr = 0, rabin = 0, combined = 0;
    for (let low = 0; low < 2 ** n; low++) {
      const f = new Uint32Array(1); f[0] = (2 ** n + low) >>> 0;
      if (isIrreducibleBenOr(f)) benOr++;
      if (isIrreducibleRabin(f)) rabin++;
      if (isIrreducible(f)) combined++;
    }
    t.is(benOr, gaussCount(n), `Ben-Or, degree ${n}`);
    t.is(rabin, gaussCount(n), `Rabin, degree ${n}`);
    t.is(combined, gaussCount(n), `verifier's test, degree ${n}`);
  }
  t.is(gaussCount(12), 335); // OEIS A001037
});

test('known irreducible trinomials pass both tests; their products do not', (t) => {
  // Primitive trinomials (Zierler & Brillhart 1968; Mersenne-exponent list in Brent & Zimmermann 2003).
  const trinomials = [[89, 38, 0], [127, 1, 0], [521, 32, 0], [607, 105, 0]];
  for (const e of trinomials) {
    const f = polyFromExponents(e);
    t.true(isIrreducibleBenOr(f), `x^${e[0]}+x^${e[1]}+1 (Ben-Or)`);
    t.true(isIrreducibleRabin(f), `x^${e[0]}+x^${e[1]}+1 (Rabin)`);
  }
  const prod = multiply(polyFromExponents([89, 38, 0]), polyFromExponents([127, 1, 0]));
  t.is(degree(prod), 216);
  t.false(isIrreducibleBenOr(prod));
  t.false(isIrreducibleRabin(prod));
  t.false(isIrreducible(prod));
  // x^53 + x^6 + x^2 + x + 1 is a known primitive pentanomial; x^53 + 1 is divisible by x + 1.
  t.true(isIrreducibleBenOr(polyFromExponents([53, 6, 2, 1, 0])));
  t.false(isIrreducibleBenOr(polyFromExponents([53, 0])));
});

test('random irreducible polynomials (both generators) of degree 2..70, 900, 1000 are confirmed by Rabin', (t) => {
  const rng = createRng('gf2-random');
  const degrees = [...Array.from({ length: 69 }, (_, i) => i + 2), 900, 1000];
  for (const n of degrees) {
    for (const gen of n <= 70 ? [randomIrreducible, randomIrreducibleBenOr] : [randomIrreducible]) {
      const { low, tries } = gen(n, rng);
      t.is(low.length, n);
      t.is(low.words[0] & 1, 1);
      t.true(tries >= 1);
      t.true(isIrreducibleRabin(polyFromLow(low)), `${gen.name} degree ${n}`);
    }
  }
});

test('Berlekamp-Massey recovers the recurrence of an LFSR sequence', (t) => {
  // s_k = s_{k-1} + s_{k-4} (x^4 + x^3 + 1), from the state 1,0,0,0.
  const s = [1, 0, 0, 0];
  for (let k = 4; k < 20; k++) s.push(s[k - 1] ^ s[k - 4]);
  const m = berlekampMassey(s);
  t.is(m.degree, 4);
  t.deepEqual(Array.from(m.low.words), [0b1000 | 0b0001]); // x^4 + x^3 + 1: low coefficients x^3 and 1
  t.is(berlekampMassey([0, 0, 0, 0]).degree, 0);
});

test('products of two random irreducibles are rejected', (t) => {
  const rng = createRng('gf2-products');
  for (const [a, b] of [[20, 33], [53, 53], [100, 200]]) {
    const f = multiply(polyFromLow(randomIrreducible(a, rng).low), polyFromLow(randomIrreducibleBenOr(b, rng).low));
    t.false(isIrreducibleBenOr(f));
    t.false(isIrreducibleRabin(f));
  }
});

test('table-driven squaring mod f equals bitwise long division', (t) => {
  const rng = createRng('gf2-square');
  for (const n of [3, 7, 8, 9, 31, 32, 33, 53, 63, 64, 65, 200, 900]) {
    const f = polyFromLow(fromBits(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : rng.nextInt(2)))));
    const red = new ModReducer(f);
    for (let k = 0; k < 5; k++) {
      const a = new Uint32Array(red.words);
      for (let i = 0; i < a.length; i++) a[i] = rng.nextUint32();
      if (n & 31) a[a.length - 1] &= (1 << (n & 31)) - 1;
      const viaTable = red.square(a);
      const viaBits = modBitwise(square(a), f);
      t.deepEqual(Array.from(viaTable), Array.from(viaBits.subarray(0, viaTable.length)), `n=${n}`);
    }
  }
});

test('gcd finds the common factor', (t) => {
  const rng = createRng('gf2-gcd');
  const g = polyFromLow(randomIrreducibleBenOr(40, rng).low);
  const a = multiply(g, polyFromLow(randomIrreducible(30, rng).low));
  const b = multiply(g, polyFromLow(randomIrreducible(31, rng).low));
  t.deepEqual(Array.from(gcd(a, b).subarray(0, 2)), Array.from(g.subarray(0, 2)));
  t.is(degree(gcd(a, b)), 40);
  t.false(coprime(a, b));
  t.true(coprime(polyFromLow(randomIrreducible(30, rng).low), polyFromLow(randomIrreducible(31, rng).low)));
  t.is(degree(zeros(5).words), -1);
});

for (const gen of [randomIrreducible, randomIrreducibleBenOr]) {
  test(`${gen.name} is uniform over the irreducible polynomials of its degree (n = 6: all 9; n = 8: all 30)`, (t) => {
    const rng = createRng(`gf2-uniform-${gen.name}`);
    for (const [n, draws] of [[6, 9000], [8, 30000]] as const) {
      const counts = new Map<number, number>();
      for (let k = 0; k < draws; k++) {
        const { low } = gen(n, rng);
        counts.set(low.words[0], (counts.get(low.words[0]) ?? 0) + 1);
      }
      t.is(counts.size, gaussCount(n));
      // Each count is Binomial(draws, 1/count): mean 1000, sd ~31; 5 sd is far outside chance.
      for (const [p, c] of counts) t.true(Math.abs(c - 1000) < 5 * 31.7, `n=${n} x^${n} + ${p.toString(2)}: ${c}`);
      for (const p of counts.keys()) t.true(isIrreducibleBenOr(polyFromLow({ length: n, words: Uint32Array.of(p) })));
    }
  });
}

test('power projection (baby-step giant-step) equals the constant terms of successive powers', (t) => {
  const rng = createRng('gf2-projection');
  for (const n of [2, 5, 31, 32, 33, 64, 100]) {
    const f = polyFromLow(randomIrreducibleBenOr(n, rng).low);
    const field = new ModReducer(f);
    const alpha = new Uint32Array(field.words);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rng.nextUint32();
    if (n & 31) alpha[alpha.length - 1] &= (1 << (n & 31)) - 1;
    const fast = constantTermSequence(field, alpha, 2 * n + 3);
    let beta = new Uint32Array(field.words); beta[0] = 1;
    const slow: number[] = [];
    for (let k = 0; k < 2 * n + 3; k++) { slow.push(beta[0] & 1); beta = modBitwise(multiply(beta, alpha), f).slice(0, field.words) as Uint32Array<ArrayBuffer>; }
    t.deepEqual(Array.from(fast), slow, `n=${n}`);
  }
});
