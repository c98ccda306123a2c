// Measures the reconciliation efficiency f = disclosed / (n h(QBER)) of the platform's Cascade
// (variant yanetal, the sessions' default) on keys of n bits with i.i.d. errors at rate p, Cascade's
// blocks set from a QBER estimate drawn as the pipelines draw it (a disclosed sample of
// min(n/100, 4000) bits, pipeline-core.ts). Prints the table of
// protocols/postprocessing/cascade-efficiency.ts. Run: npx tsx test/postprocessing/cascade-efficiency-gen.ts
import { cascadeAlice, cascadeBob } from '../../protocols/postprocessing/cascade.ts';
import { binaryEntropy } from '../../protocols/postprocessing/cascade-variants.ts';
import { memoryChannelPair } from '../../protocols/postprocessing/channel.ts';
import { defaultQberSampleBits } from '../../protocols/postprocessing/cascade-efficiency.ts';
import { randomBits, type BitString } from '../../protocols/bits.ts';
import { createRng, type Rng } from '../../protocols/rng.ts';
import { sampleBinomial } from '../../protocols/physics/sampler-random.ts';

function noisyPair(n: number, p: number, rng: Rng): { alice: BitString; bob: BitString; errors: number } {
  const alice = randomBits(n, () => rng.nextUint32());
  const bob: BitString = { length: n, words: alice.words.slice() };
  const lq = Math.log1p(-p);
  let errors = 0;
  for (let i = Math.floor(Math.log(1 - rng.nextDouble()) / lq); i < n; i += 1 + Math.floor(Math.log(1 - rng.nextDouble()) / lq)) {
    bob.words[i >>> 5] ^= 1 << (i & 31); errors++;
  }
  return { alice, bob, errors };
}

const LOG2N = [14, 16, 18, 20, 22];
const QBER = [0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06];
const rng = createRng('cascade-efficiency');
const rows: string[] = [];
for (const l of LOG2N) {
  const n = 2 ** l;
  const frames = Math.max(4, Math.round(2 ** 24 / n));
  const fs: number[] = [];
  for (const p of QBER) {
    let disclosed = 0, ideal = 0;
    for (let k = 0; k < Math.min(frames, 64); k++) {
      const { alice, bob, errors } = noisyPair(n, p, rng);
      const s = defaultQberSampleBits(n);
      const estimate = Math.max(1e-3, sampleBinomial(rng, s, p) / s);
      const [a, b] = memoryChannelPair({ copy: false });
      const [, rb] = await Promise.all([cascadeAlice(a, alice, { variant: 'yanetal', qber: estimate, rng: rng.fork() }), cascadeBob(b, bob)]);
      disclosed += rb.disclosedBits; ideal += n * binaryEntropy(errors / n);
    }
    fs.push(+(disclosed / ideal).toFixed(4));
  }
  rows.push(`    [${fs.join(', ')}], // n = 2^${l}`);
  process.stderr.write(`2^${l}: ${fs.join(' ')}\n`);
}
process.stdout.write(`  log2n: [${LOG2N.join(', ')}],\n  qber: [${QBER.join(', ')}],\n  f: [\n${rows.join('\n')}\n  ],\n`);
