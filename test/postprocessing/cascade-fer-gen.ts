// Frame error rate of the sessions' Cascade (yanetal + `CONFIRM` confirmation passes): keys of n
// bits with i.i.d. errors at rate p, blocks set from a QBER estimate drawn as the pipelines draw it
// (a sample of min(n/100, 4000) bits); a frame error is a corrected key that still differs (what
// verification then discards). One JSON line per frame error and per 100 frames, then the total.
// Run: CONFIRM=0 npx tsx test/postprocessing/cascade-fer-gen.ts 262144 0.0334 4000 s18
// (cascade-efficiency.ts CONFIRM_PASSES quotes its figures).
import { cascadeAlice, cascadeBob } from '../../protocols/postprocessing/cascade.ts';
import { memoryChannelPair } from '../../protocols/postprocessing/channel.ts';
import { defaultQberSampleBits } from '../../protocols/postprocessing/cascade-efficiency.ts';
import { randomBits, type BitString } from '../../protocols/bits.ts';
import { createRng, type Rng } from '../../protocols/rng.ts';
import { sampleBinomial } from '../../protocols/physics/sampler-random.ts';

function noisyPair(n: number, p: number, rng: Rng): { alice: BitString; bob: BitString } {
  const alice = randomBits(n, () => rng.nextUint32());
  const bob: BitString = { length: n, words: alice.words.slice() };
  const lq = Math.log1p(-p);
  for (let i = Math.floor(Math.log(1 - rng.nextDouble()) / lq); i < n; i += 1 + Math.floor(Math.log(1 - rng.nextDouble()) / lq)) bob.words[i >>> 5] ^= 1 << (i & 31);
  return { alice, bob };
}

const n = Number(process.argv[2] ?? 262144), p = Number(process.argv[3] ?? 0.0334), frames = Number(process.argv[4] ?? 1000);
const confirmPasses = Number(process.env.CONFIRM ?? 0);
const rng = createRng(process.argv[5] ?? 'fer');
let frameErrors = 0;
for (let k = 0; k < frames; k++) {
  const { alice, bob } = noisyPair(n, p, rng);
  const s = defaultQberSampleBits(n);
  const estimate = Math.max(1e-3, sampleBinomial(rng, s, p) / s);
  const [a, b] = memoryChannelPair({ copy: false });
  const [, rb] = await Promise.all([cascadeAlice(a, alice, { variant: 'yanetal', qber: estimate, rng: rng.fork(), confirmPasses }), cascadeBob(b, bob)]);
  let residual = 0;
  for (let w = 0; w < alice.words.length; w++) { let x = (alice.words[w] ^ rb.key.words[w]) >>> 0; while (x) { residual++; x &= x - 1; } }
  if (residual > 0) frameErrors++;
  if (residual > 0 || k % 100 === 0) process.stderr.write(JSON.stringify({ k, estimate: +estimate.toFixed(5), residual, leak: rb.disclosedBits }) + '\n');
}
process.stdout.write(JSON.stringify({ n, p, frames, confirmPasses, frameErrors }) + '\n');
