// The key-pool actor of a node: the one place a node's sessions and tasks go to stage, commit, abort,
// withdraw and take key bits. It never touches Redis: every store call is an injected promise actor
// (`pool.stage`, `pool.commit`, `pool.abort`, `pool.withdraw`, `pool.take`, `pool.stats`, `pool.sweep`),
// which the node process provides from infra/keypool/store.ts (see keyPoolActorsFor in that folder's
// actors.ts) and a test provides from anything.
//
// Requests are queued and run one at a time in arrival order, so the actor's state shows what it is
// doing. Each finished request is emitted (`pool.done` / `pool.failed`, xstate emit) and, when the
// request came with `meta.replyTo`, answered with the `bus.reply` action (same signature as the host's;
// a no-op outside a host). A withdrawal that takes a pool below its low-water threshold also emits
// `pool.lowWater`, which the node forwards to the control plane. Every `sweepMs` the actor asks the
// store to expire stale stages of the pools it has seen.
//
// Key bytes in results are wrapped in KeyMaterial, whose toJSON() hides them, so inspection snapshots
// and logs never carry key material; an in-process receiver reads `.bytes`.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { NodeId, PoolKind, SessionId } from '../../protocols/types.ts';

export interface BlockMeta { protocol: string; qber?: number; eps?: number; [extra: string]: unknown }
export interface KeyBlockIn { id: string; bytes: Uint8Array; length: number; createdAt: number; meta: BlockMeta; sessionId?: SessionId; split?: number }
export interface KeyRef { blockId: string; offset: number; length: number }

/** Key bits that stay out of JSON (inspection, logs). */
export class KeyMaterial {
  constructor(readonly bytes: Uint8Array, readonly length: number) {}
  toJSON(): string { return `[${this.length} key bits]`; }
}

export interface KeyOut { refs: KeyRef[]; key: KeyMaterial }
export interface WithdrawOut { keys: KeyOut[]; available: number; lowWater: boolean; replayed: boolean; requestId: string }

export type PoolOp = 'stage' | 'commit' | 'abort' | 'withdraw' | 'take' | 'stats' | 'sweep';

interface Meta { from?: string; subject?: string; ts?: number; id?: string; replyTo?: string }
type Req<T extends string, B> = { type: T; body: B; meta?: Meta };
export type KeyPoolEvent =
  | Req<'pool.stage', { peer: NodeId; kind: PoolKind; block: KeyBlockIn; ttlMs?: number }>
  | Req<'pool.commit', { peer: NodeId; kind: PoolKind; blockId: string }>
  | Req<'pool.abort', { peer: NodeId; kind: PoolKind; blockId: string }>
  | Req<'pool.withdraw', { peer: NodeId; kind: PoolKind; bits: number; count?: number; requestId?: string }>
  | Req<'pool.take', { peer: NodeId; kind: PoolKind; keys: KeyRef[][]; requestId?: string }>
  | Req<'pool.stats', { peer: NodeId; kind: PoolKind }>
  | Req<'pool.sweep', { peer: NodeId; kind: PoolKind }>;

/**
 * A queued request. `requestId` correlates the emitted result (body.requestId, else meta.id, else a
 * counter); only body.requestId is passed to the store as its retry token, since a counter restarts
 * with the actor and would replay another request's receipt.
 */
export interface PoolRequest { op: PoolOp; requestId: string; body: Record<string, unknown> & { peer: NodeId; kind: PoolKind }; meta?: Meta }

export type KeyPoolEmitted =
  | { type: 'pool.done'; op: PoolOp; requestId: string; peer: NodeId; kind: PoolKind; result: unknown }
  | { type: 'pool.failed'; op: PoolOp; requestId: string; peer: NodeId; kind: PoolKind; code: string; message: string }
  | { type: 'pool.lowWater'; peer: NodeId; kind: PoolKind; available: number };

export interface KeyPoolInput { owner: NodeId; sweepMs?: number }

interface Ctx {
  owner: NodeId;
  sweepMs: number;
  queue: PoolRequest[];
  /** "peer:kind" of every pool this actor has served, for the periodic sweep. */
  pools: string[];
  seq: number;
  done: number;
  failed: number;
}

const OPS: Record<string, PoolOp> = {
  'pool.stage': 'stage', 'pool.commit': 'commit', 'pool.abort': 'abort', 'pool.withdraw': 'withdraw',
  'pool.take': 'take', 'pool.stats': 'stats', 'pool.sweep': 'sweep',
};

type PoolIn = { peer: NodeId; kind: PoolKind };
export type StageIn = PoolIn & { block: KeyBlockIn; ttlMs?: number };
export type BlockIn = PoolIn & { blockId: string };
export type WithdrawIn = PoolIn & { bits: number; count?: number; requestId?: string };
export type TakeIn = PoolIn & { keys: KeyRef[][]; requestId?: string };

const notProvided = <O, I>(name: string) => fromPromise<O, I>(async () => {
  throw new Error(`${name} must be provided (infra/keypool/actors.ts keyPoolActors)`);
});

type DoneEvent = { type: string; output: unknown };
type ErrorEvent = { type: string; error: unknown };

const errorCode = (e: unknown) => (e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : 'OTHER');
const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const keyPoolMachine = setup({
  types: {
    context: {} as Ctx,
    input: {} as KeyPoolInput,
    events: {} as KeyPoolEvent,
    emitted: {} as KeyPoolEmitted,
  },
  actors: {
    'pool.stage': notProvided<'staged' | 'already', StageIn>('pool.stage'),
    'pool.commit': notProvided<'committed' | 'already', BlockIn>('pool.commit'),
    'pool.abort': notProvided<'aborted' | 'already', BlockIn>('pool.abort'),
    'pool.withdraw': notProvided<WithdrawOut, WithdrawIn>('pool.withdraw'),
    'pool.take': notProvided<WithdrawOut, TakeIn>('pool.take'),
    'pool.stats': notProvided<object, PoolIn>('pool.stats'),
    'pool.sweep': notProvided<{ expiredStages: number; expiredKeyBits: number }, PoolIn>('pool.sweep'),
  },
  actions: {
    /** Replaced by the host's bus.reply (runtime/port.ts busActions); no-op when unhosted. */
    'bus.reply': (_: unknown, _params: { meta: Meta; type: string; body: unknown }) => undefined,
    enqueue: assign(({ context, event }) => {
      const op = OPS[event.type];
      const body = event.body as PoolRequest['body'];
      const requestId = (body as { requestId?: string }).requestId ?? event.meta?.id ?? `${context.owner}-pool-${context.seq + 1}`;
      const key = `${body.peer}:${body.kind}`;
      return {
        seq: context.seq + 1,
        queue: [...context.queue, { op, requestId, body, meta: event.meta }],
        pools: context.pools.includes(key) ? context.pools : [...context.pools, key],
      };
    }),
    enqueueSweeps: assign(({ context }) => ({
      seq: context.seq + context.pools.length,
      queue: [...context.queue, ...context.pools.map((p, i) => {
        const [peer, kind] = p.split(':');
        return { op: 'sweep' as const, requestId: `${context.owner}-sweep-${context.seq + i + 1}`, body: { peer, kind: kind as PoolKind } };
      })],
    })),
    finish: enqueueActions(({ context, event, enqueue }) => {
      const req = context.queue[0];
      const ok = 'output' in event;
      const base = { op: req.op, requestId: req.requestId, peer: req.body.peer, kind: req.body.kind };
      const out: KeyPoolEmitted = ok
        ? { type: 'pool.done', ...base, result: (event as unknown as DoneEvent).output }
        : { type: 'pool.failed', ...base, code: errorCode((event as unknown as ErrorEvent).error), message: errorMessage((event as unknown as ErrorEvent).error) };
      enqueue.emit(out);
      if (req.meta?.replyTo) enqueue({ type: 'bus.reply', params: { meta: req.meta, type: out.type, body: out } });
      const res = ok ? (event as unknown as DoneEvent).output as Partial<WithdrawOut> : undefined;
      if (res?.lowWater) enqueue.emit({ type: 'pool.lowWater', peer: req.body.peer, kind: req.body.kind, available: res.available ?? 0 });
      enqueue.assign({ queue: context.queue.slice(1), done: context.done + (ok ? 1 : 0), failed: context.failed + (ok ? 0 : 1) });
    }),
  },
  guards: {
    next: ({ context }, op: PoolOp) => context.queue[0]?.op === op,
  },
  delays: { sweep: ({ context }) => context.sweepMs },
}).createMachine({
  id: 'keyPool',
  context: ({ input }) => ({ owner: input.owner, sweepMs: input.sweepMs ?? 60_000, queue: [], pools: [], seq: 0, done: 0, failed: 0 }),
  type: 'parallel',
  on: {
    'pool.stage': { actions: 'enqueue' }, 'pool.commit': { actions: 'enqueue' }, 'pool.abort': { actions: 'enqueue' },
    'pool.withdraw': { actions: 'enqueue' }, 'pool.take': { actions: 'enqueue' }, 'pool.stats': { actions: 'enqueue' },
    'pool.sweep': { actions: 'enqueue' },
  },
  states: {
    worker: {
      initial: 'idle',
      states: {
        idle: {
          always: (['stage', 'commit', 'abort', 'withdraw', 'take', 'stats', 'sweep'] as const).map((op) => ({ guard: { type: 'next' as const, params: op }, target: op })),
        },
        stage: { invoke: { src: 'pool.stage', input: ({ context }) => context.queue[0].body as StageIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        commit: { invoke: { src: 'pool.commit', input: ({ context }) => context.queue[0].body as BlockIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        abort: { invoke: { src: 'pool.abort', input: ({ context }) => context.queue[0].body as BlockIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        withdraw: { invoke: { src: 'pool.withdraw', input: ({ context }) => context.queue[0].body as WithdrawIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        take: { invoke: { src: 'pool.take', input: ({ context }) => context.queue[0].body as TakeIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        stats: { invoke: { src: 'pool.stats', input: ({ context }) => context.queue[0].body as PoolIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
        sweep: { invoke: { src: 'pool.sweep', input: ({ context }) => context.queue[0].body as PoolIn, onDone: { target: 'idle', actions: 'finish' }, onError: { target: 'idle', actions: 'finish' } } },
      },
    },
    sweeper: {
      initial: 'waiting',
      states: { waiting: { after: { sweep: { target: 'waiting', reenter: true, actions: 'enqueueSweeps' } } } },
    },
  },
});

