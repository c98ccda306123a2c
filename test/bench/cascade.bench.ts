// (b) Cascade efficiency f = disclosed / (n h(p)) and throughput (sifted Mbit/s, both halves on
// one thread) at QBER 1, 2, 3, 5 % on 1 Mbit and 16 Mbit keys for each variant, and the frame
// error rate after key verification (eps_cor = 1e-15). Every configuration runs frames for a
// fixed time budget (at least one frame); with zero failures the 95 % upper bound on the FER is
// 3 / frames. Env: CASCADE_BENCH_SECONDS (per configuration, default 4), CASCADE_BENCH_SIZES
// (Mbit, default "1,16"), CASCADE_BENCH_VARIANTS. perCpuSecond: sifted Mbit per process CPU
// second (both halves, GC threads included).
import type { Emit } from './run.ts';
import { cascadeAlice, cascadeBob } from '../../protocols/postprocessing/cascade.ts';
import { CASCADE_VARIANTS, binaryEntropy, type CascadeVariant } from '../../protocols/postprocessing/cascade-variants.ts';
import { verifyKeyAlice, verifyKeyBob } from '../../protocols/postprocessing/verification.ts';
import { memoryChannelPair } from '../../protocols/postprocessing/channel.ts';
import { randomBits, type BitString } from '../../protocols/bits.ts';
import { createRng, type Rng } from '../../protocols/rng.ts';

/** Alice's key and Bob's with i.i.d. errors at rate p (geometric gaps, so 16 Mbit is quick). */
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

async function frame(n: number, p: number, variant: CascadeVariant, rng: Rng) {
  const { alice, bob, errors } = noisyPair(n, p, rng);
  const [a, b] = memoryChannelPair({ copy: false });
  const t0 = performance.now(), c0 = process.cpuUsage();
  const [ra, rb] = await Promise.all([cascadeAlice(a, alice, { variant, qber: p, rng: rng.fork() }), cascadeBob(b, bob)]);
  const ms = performance.now() - t0, cu = process.cpuUsage(c0), cpuMs = (cu.user + cu.system) / 1000;
  const [va] = await Promise.all([verifyKeyAlice(a, ra.key, { epsCor: 1e-15, random: rng.fork() }), verifyKeyBob(b, rb.key, { epsCor: 1e-15 })]);
  return { ms, cpuMs, disclosed: rb.disclosedBits, ideal: n * binaryEntropy(errors / n), failed: !va.ok, rounds: rb.rounds };
}

export default async function (emit: Emit): Promise<void> {
  const budget = Number(process.env.CASCADE_BENCH_SECONDS ?? 4) * 1000;
  const sizes = (process.env.CASCADE_BENCH_SIZES ?? '1,16').split(',').map(Number);
  const variants = (process.env.CASCADE_BENCH_VARIANTS?.split(',') ?? CASCADE_VARIANTS) as CascadeVariant[];
  const rng = createRng('cascade-bench');
  for (const v of variants) await frame(1 << 18, 0.02, v, rng); // warm-up (JIT)
  for (const mbit of sizes) {
    const n = mbit * 2 ** 20;
    for (const variant of variants) {
      for (const p of [0.01, 0.02, 0.03, 0.05]) {
        let frames = 0, failed = 0, ms = 0, cpuMs = 0, disclosed = 0, ideal = 0, rounds = 0;
        const start = performance.now();
        do {
          const r = await frame(n, p, variant, rng);
          frames++; ms += r.ms; cpuMs += r.cpuMs; disclosed += r.disclosed; ideal += r.ideal; rounds += r.rounds;
          if (r.failed) failed++;
        } while (performance.now() - start < budget && frames < 200);
        const params = { variant, qber: p, keyMbit: mbit, frames };
        emit({ bench: 'cascade.f', value: +(disclosed / ideal).toFixed(4), unit: 'ratio', ...params });
        emit({ bench: 'cascade.throughput', value: +((n * frames) / (ms * 1000)).toFixed(2), unit: 'Mbit/s', ...params, threads: 1, roundsPerFrame: Math.round(rounds / frames), perCpuSecond: +((n * frames) / (cpuMs * 1000)).toFixed(2) });
        emit({ bench: 'cascade.fer', value: failed / frames, unit: 'ratio', ...params, ferUpper95: failed === 0 ? +(3 / frames).toFixed(4) : undefined });
      }
    }
  }
}
