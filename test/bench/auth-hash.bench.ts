// Authentication hash throughput: the polynomial hash mod 2^127 - 1 (poly-hash.ts) that tags every
// post-processing message, on one 64 MB message and on 200-byte messages (Cascade-sized), MB per
// CPU second (process.cpuUsage, fair on a shared machine).
import type { Emit } from './run.ts';
import { polyHash127, P127 } from '../../protocols/postprocessing/poly-hash.ts';
import { createRng } from '../../protocols/rng.ts';

export default async function (emit: Emit): Promise<void> {
  const rng = createRng('auth-hash-bench');
  const data = rng.fillBytes(new Uint8Array(64 << 20));
  let key = 0n;
  for (let i = 0; i < 4; i++) key = (key << 32n) | BigInt(rng.nextUint32());
  key %= P127;
  polyHash127(key, data.subarray(0, 1 << 20)); // warm-up
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let c0 = cpu();
  polyHash127(key, data);
  let s = cpu() - c0;
  emit({ bench: 'auth.polyHash.throughput', value: +(data.length / 1e6 / s).toFixed(1), unit: 'MB/s', messageBytes: data.length, cpuS: +s.toFixed(3) });
  const count = 100_000;
  c0 = cpu();
  for (let i = 0; i < count; i++) polyHash127(key, data.subarray(i * 200, i * 200 + 200));
  s = cpu() - c0;
  emit({ bench: 'auth.polyHash.throughput', value: +((count * 200) / 1e6 / s).toFixed(1), unit: 'MB/s', messageBytes: 200, messagesPerSecond: Math.round(count / s) });
}
