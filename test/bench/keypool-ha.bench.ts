// What replication costs the key pools: 256-bit keys moved (withdraw by size on one end + take by reference on
// the other) per second on one Redis, behind Sentinel (1 master, 2 replicas, every step waits for both:
// wait=2) and on a Redis Cluster (3 masters with a replica each, wait=1; three pairs, one per master), with 1
// and 8 concurrent clients per pair, each its own connection; and each as a ratio to one Redis measured in
// the same run. All private servers on this machine (AOF everysec), so replication has no network latency.
import { performance } from 'node:perf_hooks';
import { startRedis } from '../../infra/servers.ts';
import { startRedisCluster, startRedisSentinel } from '../../infra/redis-ha.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { blockOf, deposit } from '../keypool/helpers.ts';
import type { Emit } from './run.ts';

const KEY_BITS = 256;
const PAIRS = [['Alice', 'Bob'], ['Carol', 'Dave'], ['Erin', 'Judy']] as const; // one per cluster master
const MOVES = 400;

interface Target { mode: string; url: string; sentinel?: { username: string; password: string }; stop(): Promise<void> }

async function measure(t: Target, clients: number): Promise<number> {
  const stores: KeyPoolStore[] = [];
  const open = (owner: string) => { const s = KeyPoolStore.connect(t.url, { net: `b${clients}`, owner, allowUrlCredentials: true, sentinel: t.sentinel }); stores.push(s); return s; };
  try {
    for (const [a, b] of PAIRS) {
      const [sa, sb] = [open(a), open(b)];
      // enough key for every move: each block gives a's lane half of its bits
      for (let i = 0; i < 4; i++) await deposit(sa, sb, 'secret', blockOf(`${a}-${clients}-${i}`, Math.ceil((2 * MOVES * KEY_BITS) / 4) + 64, i + 1));
    }
    const per = Math.floor(MOVES / clients);
    const t0 = performance.now();
    await Promise.all(PAIRS.flatMap(([a, b]) => Array.from({ length: clients }, async () => {
      const [sa, sb] = [open(a), open(b)];
      for (let i = 0; i < per; i++) {
        const w = await sa.withdraw(b, 'secret', KEY_BITS);
        await sb.take(a, 'secret', [w.keys[0].refs]);
      }
    })));
    return (PAIRS.length * clients * per) / ((performance.now() - t0) / 1000);
  } finally {
    for (const s of stores) await s.close();
  }
}

export default async function (emit: Emit): Promise<void> {
  const single = await startRedis();
  const sentinel = await startRedisSentinel();
  const cluster = await startRedisCluster();
  const targets: Target[] = [
    { mode: 'single', url: single.url, stop: () => single.stop() },
    { mode: 'sentinel', url: sentinel.url, sentinel: sentinel.sentinelAuth, stop: () => sentinel.stop() },
    { mode: 'cluster', url: cluster.url, stop: () => cluster.stop() },
  ];
  try {
    for (const clients of [1, 8]) {
      const rates: Record<string, number> = {};
      for (const t of targets) {
        rates[t.mode] = await measure(t, clients);
        emit({ bench: 'keypool-ha.moves', value: Math.round(rates[t.mode]), unit: 'keys/s', mode: t.mode, clientsPerPair: clients, pairs: PAIRS.length, keyBits: KEY_BITS });
      }
      for (const mode of ['sentinel', 'cluster']) {
        emit({ bench: 'keypool-ha.ratio', value: +(rates[mode] / rates.single).toFixed(2), unit: 'ratio to one Redis', mode, clientsPerPair: clients });
      }
    }
  } finally {
    for (const t of targets) await t.stop();
  }
}
