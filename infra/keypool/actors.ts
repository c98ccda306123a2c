// The promise actors the key-pool machine (actors/node/key-pool.ts) invokes, backed by a KeyPoolStore.
// A node process does: keyPoolMachine.provide({ actors: keyPoolActors(store) }).
import { fromPromise } from 'xstate';
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { KeyMaterial, type BlockIn, type StageIn, type TakeIn, type WithdrawIn, type WithdrawOut } from '../../actors/node/key-pool.ts';
import type { KeyPoolStore, WithdrawResult } from './store.ts';

type Pool = { peer: NodeId; kind: PoolKind };

const wrap = (r: WithdrawResult): WithdrawOut => ({
  keys: r.keys.map((k) => ({ refs: k.refs, key: new KeyMaterial(k.bytes, k.length) })),
  available: r.available, lowWater: r.lowWater, replayed: r.replayed, requestId: r.requestId,
});

export function keyPoolActors(store: KeyPoolStore) {
  return {
    'pool.stage': fromPromise<'staged' | 'already', StageIn>(async ({ input }) => store.stage(input.peer, input.kind, input.block, { ttlMs: input.ttlMs })),
    'pool.commit': fromPromise<'committed' | 'already', BlockIn>(async ({ input }) => store.commit(input.peer, input.kind, input.blockId)),
    'pool.abort': fromPromise<'aborted' | 'already', BlockIn>(async ({ input }) => store.abort(input.peer, input.kind, input.blockId)),
    'pool.withdraw': fromPromise<WithdrawOut, WithdrawIn>(async ({ input }) =>
      wrap(await store.withdraw(input.peer, input.kind, input.bits, { count: input.count, requestId: input.requestId }))),
    'pool.take': fromPromise<WithdrawOut, TakeIn>(async ({ input }) =>
      wrap(await store.take(input.peer, input.kind, input.keys, { requestId: input.requestId }))),
    'pool.stats': fromPromise<object, Pool>(async ({ input }) => store.stats(input.peer, input.kind)),
    'pool.sweep': fromPromise<{ expiredStages: number; expiredKeyBits: number }, Pool>(async ({ input }) => store.sweep(input.peer, input.kind)),
  };
}
