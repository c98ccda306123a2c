// (c) Privacy amplification throughput: Toeplitz hash of 1, 16 and 64 Mbit blocks to half their
// length (exact NTT, two worker threads), input Mbit/s = n / wall time; cpuS is the process CPU
// time. PA_BENCH_SYNC=1 also times the single-thread product at every size.
import type { Emit } from './run.ts';
import { toeplitzHash, toeplitzHashSync, toeplitzSeedBits } from '../../protocols/postprocessing/toeplitz.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';
import { randomBits } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';

export default async function (emit: Emit): Promise<void> {
  const rng = createRng('pa-bench');
  const sizes = (process.env.PA_BENCH_MBIT ?? '1,16,64').split(',').map(Number);
  // warm-up: worker start-up and kernel compilation are not part of a block's cost
  { const x = randomBits(1 << 19, () => rng.nextUint32()); await toeplitzHash(x, randomBits(toeplitzSeedBits(x.length, 1 << 18), () => rng.nextUint32()), 1 << 18, { parallel: true }); }
  for (const mbit of sizes) {
    const n = mbit * 2 ** 20, l = n / 2;
    const key = randomBits(n, () => rng.nextUint32());
    const seed = randomBits(toeplitzSeedBits(n, l), () => rng.nextUint32());
    const t0 = performance.now(), c0 = process.cpuUsage();
    await toeplitzHash(key, seed, l, { parallel: true });
    const s = (performance.now() - t0) / 1000, cu = process.cpuUsage(c0);
    // cpuS: process CPU (main thread and both workers), the fair figure on a shared machine
    emit({ bench: 'pa.seconds', value: +s.toFixed(3), unit: 's', inputMbit: mbit, outputBits: l, threads: 2, cpuS: +((cu.user + cu.system) / 1e6).toFixed(3) });
    emit({ bench: 'pa.throughput', value: +(mbit / s).toFixed(2), unit: 'Mbit/s', inputMbit: mbit, outputBits: l, threads: 2 });
    if (mbit === 1 || process.env.PA_BENCH_SYNC === '1') {
      const t1 = performance.now(), c1 = process.cpuUsage();
      toeplitzHashSync(key, seed, l);
      const s1 = (performance.now() - t1) / 1000, cu1 = process.cpuUsage(c1);
      emit({ bench: 'pa.seconds', value: +s1.toFixed(3), unit: 's', inputMbit: mbit, outputBits: l, threads: 1, cpuS: +((cu1.user + cu1.system) / 1e6).toFixed(3) });
      emit({ bench: 'pa.throughput', value: +(mbit / s1).toFixed(2), unit: 'Mbit/s', inputMbit: mbit, outputBits: l, threads: 1 });
    }
  }
  await closeToeplitzPool();
}
