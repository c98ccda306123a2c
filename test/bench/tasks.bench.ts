// Quantum-task figures (pure code, one thread):
//   tasks.irreducible_ms     mean time to draw a random irreducible polynomial of degree n
//                            (n = 53: secret-key QDS; 900: the reference imperfect-key strings;
//                            2000, 4000), as a minimal polynomial (used) and by Ben-Or rejection
//   tasks.hash_MBps          division-hash throughput on a 0.1 MB file (table-driven, 8 bits a step)
//   tasks.hash_bitwise_MBps  the same by bitwise long division (the reference it is checked against)
//   tasks.sign_per_s         signatures per second on a 43 KB contract (sign + both verdicts)
//   tasks.qba_ms             one QBA broadcast, N = 5, d = 2, 0.1 MB trade file (36 QDS runs)
import type { Emit } from './run.ts';
import { createRng } from '../../protocols/rng.ts';
import { randomBits } from '../../protocols/bits.ts';
import { randomIrreducibleBenOr } from '../../protocols/tasks/gf2poly.ts';
import { randomIrreducible } from '../../protocols/tasks/irreducible.ts';
import { DivisionHasher, divisionHashBitwise } from '../../protocols/tasks/division-hash.ts';
import { forward, forwarderVerdict, qdsStringLength, sign, verify } from '../../protocols/tasks/qds.ts';
import { bytesToValue, qbaStringLength } from '../../protocols/tasks/qba.ts';
import { runQba } from '../../protocols/tasks/qba-sim.ts';
import { MemoryLedger } from '../tasks/ledger.ts';

function timeIt(minMs: number, minReps: number, fn: () => void): { reps: number; ms: number } {
  const t0 = performance.now();
  let reps = 0;
  while (reps < minReps || performance.now() - t0 < minMs) { fn(); reps++; }
  return { reps, ms: (performance.now() - t0) / reps };
}

export default async function (emit: Emit): Promise<void> {
  const rng = createRng('tasks-bench');
  for (const [n, reps] of [[53, 200], [900, 10], [2000, 3], [4000, 2]] as const) {
    randomIrreducible(n, rng); // the first call per degree also draws the field modulus (Ben-Or)
    for (const [method, gen] of [['minpoly', randomIrreducible], ['ben-or', randomIrreducibleBenOr]] as const) {
      if (method === 'ben-or' && n > 2000) continue;
      let tries = 0, draws = 0;
      const { ms } = timeIt(0, reps, () => { tries += gen(n, rng).tries; draws++; });
      emit({ bench: 'tasks.irreducible_ms', value: +ms.toFixed(3), unit: 'ms', n, method, draws, mean_tries: +(tries / draws).toFixed(1) });
    }
  }

  const file = rng.fillBytes(new Uint8Array(100_000));
  for (const n of [53, 900]) {
    const h = new DivisionHasher(randomIrreducible(n, rng).low);
    const fast = timeIt(500, 5, () => h.hash(file));
    emit({ bench: 'tasks.hash_MBps', value: +(0.1 / (fast.ms / 1000)).toFixed(1), unit: 'MB/s', n, file_bytes: file.length });
    const low = randomIrreducible(n, rng).low;
    const slow = timeIt(0, 2, () => divisionHashBitwise(file, low));
    emit({ bench: 'tasks.hash_bitwise_MBps', value: +(0.1 / (slow.ms / 1000)).toFixed(2), unit: 'MB/s', n, file_bytes: file.length });
  }

  const contract = rng.fillBytes(new Uint8Array(43_000));
  for (const variant of ['secret', 'imperfect'] as const) {
    const n = qdsStringLength(variant, { messageBytes: contract.length });
    const keys = () => ({ x: randomBits(n, () => rng.nextUint32()), y: randomBits(n, () => rng.nextUint32()) });
    const { ms, reps } = timeIt(2000, 3, () => {
      const kA = keys(), kB = keys();
      const s = sign(contract, kA, kB, rng);
      if (!verify(forward(s, kA), kB).accept || !forwarderVerdict(s, kA, kB).accept) throw new Error('honest signature rejected');
    });
    emit({ bench: 'tasks.sign_per_s', value: +(1000 / ms).toFixed(2), unit: '1/s', variant, n, message_bytes: contract.length, reps });
  }

  const value = bytesToValue(file);
  const nodes = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];
  const n = qbaStringLength(value.length, nodes.length);
  const { ms } = timeIt(0, 1, () => {
    runQba({ nodes, primary: 'Alice', value, depth: 2, n, keys: new MemoryLedger('bench'), rng });
  });
  emit({ bench: 'tasks.qba_ms', value: +ms.toFixed(0), unit: 'ms', N: 5, d: 2, n, value_bytes: file.length, qds_runs: 36 });
}
