// The reconciliation model the planner predicts with (cascade-efficiency.ts): the measured table
// against the published efficiency of the schedule, against a fresh Cascade run, and the leak
// arithmetic against its definition.
import test from 'ava';
import { CASCADE_YANETAL_EFFICIENCY, cascadeEfficiency, defaultQberSampleBits, effectiveEfficiency, expectedLeak } from '../../protocols/postprocessing/cascade-efficiency.ts';
import { cascadeAlice, cascadeBob } from '../../protocols/postprocessing/cascade.ts';
import { binaryEntropy } from '../../protocols/keyrate/entropy.ts';
import { memoryChannelPair } from '../../protocols/postprocessing/channel.ts';
import { randomBits, type BitString } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';

test('on keys of 2^18 bits and more the table lies in the published range of the yanetal schedule (Martinez-Mateo et al., QIC 15 (2015), f ~ 1.02-1.10)', (t) => {
  const t0 = CASCADE_YANETAL_EFFICIENCY;
  t0.log2n.forEach((l, i) => { if (l >= 18) for (const f of t0.f[i]!) t.true(f >= 1.02 && f <= 1.10, `2^${l}: ${f}`); });
  // and it never beats the Shannon limit anywhere
  for (const row of t0.f) for (const f of row) t.true(f > 1);
});

test('the table is what this Cascade does: a fresh 2^18-bit key at 3 % QBER', async (t) => {
  const rng = createRng('fresh');
  const n = 1 << 18, p = 0.03;
  let disclosed = 0, ideal = 0;
  for (let k = 0; k < 4; k++) {
    const alice = randomBits(n, () => rng.nextUint32());
    const bob: BitString = { length: n, words: alice.words.slice() };
    let errors = 0;
    for (let i = 0; i < n; i++) if (rng.nextDouble() < p) { bob.words[i >>> 5] ^= 1 << (i & 31); errors++; }
    const [a, b] = memoryChannelPair({ copy: false });
    const [, rb] = await Promise.all([cascadeAlice(a, alice, { variant: 'yanetal', qber: p, rng: rng.fork() }), cascadeBob(b, bob)]);
    disclosed += rb.disclosedBits; ideal += n * binaryEntropy(errors / n);
  }
  const measured = disclosed / ideal;
  t.log(`fresh f = ${measured.toFixed(4)}, table ${cascadeEfficiency(p, n).toFixed(4)}`);
  t.true(Math.abs(measured - cascadeEfficiency(p, n)) < 0.015);
});

test('interpolation returns grid values on the grid and stays between neighbours off it', (t) => {
  const t0 = CASCADE_YANETAL_EFFICIENCY;
  t.is(cascadeEfficiency(0.02, 2 ** 20), t0.f[3]![5]!);
  const mid = cascadeEfficiency(0.0225, 2 ** 20);
  t.true(mid >= Math.min(t0.f[3]![5]!, t0.f[3]![6]!) && mid <= Math.max(t0.f[3]![5]!, t0.f[3]![6]!));
  t.is(cascadeEfficiency(0.02, 2 ** 30), t0.f[4]![5]!, 'clamped beyond the largest measured key');
});

test('expected leak: Cascade on the key less the sample, plus the disclosed sample (pipeline-core sampleQber)', (t) => {
  const n = 3_000_000, e = 0.034;
  t.is(defaultQberSampleBits(n), 4000);
  t.is(defaultQberSampleBits(250_000), 2500);
  // the measured schedule's leak, 16 confirmation passes of 2 parities, the sample
  const byHand = cascadeEfficiency(e, n - 4000) * (n - 4000) * binaryEntropy(e) + 32 + 4000;
  t.true(Math.abs(expectedLeak(n, e, 'sample') - byHand) < 1e-6);
  t.true(Math.abs(expectedLeak(n, e, 'none') - (cascadeEfficiency(e, n) * n * binaryEntropy(e) + 32)) < 1e-6);
  t.true(Math.abs(effectiveEfficiency(n, e, 'sample') * n * binaryEntropy(e) - byHand) < 1e-6);
});
