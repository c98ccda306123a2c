// Key-pool benchmarks against a private redis-server (AOF on, the pool functions called with FCALL): withdrawals per second of 256-bit keys
// with 1 and 16 concurrent clients (each its own connection), by-reference takes per second, and
// deposit throughput (stage + commit of 1 Mbit blocks), for appendfsync everysec and always.
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { startRedis } from '../../infra/servers.ts';
import { KeyPoolStore, type KeyRef } from '../../infra/keypool/store.ts';
import { createRng } from '../../protocols/rng.ts';
import type { Emit } from './run.ts';

const KEY_BITS = 256;
const BLOCK_BITS = 1 << 20;

function block(id: string, seed: number) {
  const rng = createRng(seed);
  const bytes = new Uint8Array(BLOCK_BITS / 8);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextUint32();
  // split = length: the whole block is Alice's lane, so Alice can withdraw all of it by size
  return { id, bytes, length: BLOCK_BITS, createdAt: Date.now(), meta: { protocol: 'bench' }, split: BLOCK_BITS };
}

export default async function (emit: Emit): Promise<void> {
  for (const appendfsync of ['everysec', 'always'] as const) {
    const srv = await startRedis({ appendfsync });
    const conns: Redis[] = [];
    const open = (owner: string) => { const r = new Redis(srv.url); conns.push(r); return new KeyPoolStore(r, { net: 'bench', owner }); };
    try {
      const alice = open('Alice'), bob = open('Bob');
      // deposit throughput: stage + commit on one end, 1 Mbit blocks, sequential
      const nBlocks = appendfsync === 'always' ? 24 : 48;
      const blocks = Array.from({ length: nBlocks }, (_, i) => block(`blk-${i}`, i + 1));
      let t0 = performance.now();
      for (const b of blocks) { await alice.stage('Bob', 'secret', b); await alice.commit('Bob', 'secret', b.id); }
      const depositS = (performance.now() - t0) / 1000;
      emit({ bench: 'keypool.deposit', value: +(nBlocks * BLOCK_BITS / 1e6 / depositS).toFixed(1), unit: 'Mbit/s', blockBits: BLOCK_BITS, blocks: nBlocks, appendfsync });
      // the peer's copies, for the by-reference takes
      for (const b of blocks) { await bob.stage('Alice', 'secret', b); await bob.commit('Alice', 'secret', b.id); }

      const refs: KeyRef[][] = [];
      // 1 client
      const n1 = appendfsync === 'always' ? 3000 : 6000;
      await conns[0].config('RESETSTAT');
      t0 = performance.now();
      for (let i = 0; i < n1; i++) refs.push((await alice.withdraw('Bob', 'secret', KEY_BITS)).keys[0].refs);
      let s = (performance.now() - t0) / 1000;
      emit({ bench: 'keypool.withdraw', value: Math.round(n1 / s), unit: 'withdrawals/s', clients: 1, keyBits: KEY_BITS, withdrawals: n1, appendfsync });
      // Redis's own time per withdrawal function call (INFO commandstats), which bounds the rate whatever the clients do
      const usec = /cmdstat_fcall:.*usec_per_call=([\d.]+)/.exec(await conns[0].info('commandstats'))?.[1];
      if (usec) emit({ bench: 'keypool.withdraw.redisTime', value: Number(usec), unit: 'us/withdrawal', keyBits: KEY_BITS, appendfsync });
      // 16 clients, each on its own connection
      const clients = Array.from({ length: 16 }, () => open('Alice'));
      const per = appendfsync === 'always' ? 300 : 600;
      t0 = performance.now();
      await Promise.all(clients.map(async (c) => { for (let i = 0; i < per; i++) refs.push((await c.withdraw('Bob', 'secret', KEY_BITS)).keys[0].refs); }));
      s = (performance.now() - t0) / 1000;
      emit({ bench: 'keypool.withdraw', value: Math.round((16 * per) / s), unit: 'withdrawals/s', clients: 16, keyBits: KEY_BITS, withdrawals: 16 * per, appendfsync });
      // by-reference takes on the peer, 1 client
      const nt = Math.min(refs.length, n1);
      t0 = performance.now();
      for (let i = 0; i < nt; i++) await bob.take('Alice', 'secret', [refs[i]]);
      s = (performance.now() - t0) / 1000;
      emit({ bench: 'keypool.take', value: Math.round(nt / s), unit: 'takes/s', clients: 1, keyBits: KEY_BITS, takes: nt, appendfsync });
    } finally {
      for (const c of conns) c.disconnect();
      await srv.stop();
    }
  }
}
