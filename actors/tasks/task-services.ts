// What a node's task roles need from their process, injected by runtime/processes/task-wiring-node.ts
// (machines in actors/ never touch NATS or Redis themselves): the node's key pools, plain classical
// channels to other nodes per task, and a random source standing in for the node's QRNG.
import type { BitString } from '../../protocols/bits.ts';
import type { ClassicalChannel } from '../../protocols/postprocessing/channel.ts';
import type { Rng } from '../../protocols/rng.ts';
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import type { Item } from '../../protocols/tasks/qba.ts';

export interface KeyRefOut { blockId: string; offset: number; length: number }

export interface TaskNodeServices {
  readonly node: NodeId;
  /** Initiator side: `bits` fresh bits from this node's lane of the pool with `peer`. */
  withdraw(peer: NodeId, kind: PoolKind, bits: number): Promise<{ refs: KeyRefOut[]; key: BitString }>;
  /** Responder side: exactly the bits the peer withdrew (by reference). */
  take(peer: NodeId, kind: PoolKind, refs: KeyRefOut[]): Promise<BitString>;
  /** Ordered plain channel to `peer` for one task (frames on taskchan.<peer>). */
  channel(taskId: string, peer: NodeId, opts?: { tamper?: (msg: Record<string, unknown>) => Record<string, unknown> }): ClassicalChannel;
  /** Forget the mailboxes of a finished task. */
  release(taskId: string): void;
  /** The node's QRNG (polynomials, conference keys). */
  rng(): Rng;
  /** Per-node QBA memory: what this node accepted, per broadcast and multicast round. */
  readonly qba: QbaNodeMemory;
}

export interface QbaNodeMemory {
  accept(qbaId: string, roundId: string, items: readonly Item[]): void;
  accepted(qbaId: string, roundId: string): Item[];
  /** Distinct values this node accepted in every round of a broadcast. */
  seen(qbaId: string): string[];
  forget(qbaId: string): void;
}

export function createQbaNodeMemory(): QbaNodeMemory {
  const m = new Map<string, Map<string, Item[]>>();
  const of = (q: string) => { let r = m.get(q); if (!r) { r = new Map(); m.set(q, r); } return r; };
  return {
    accept(q, r, items) { const x = of(q); x.set(r, [...(x.get(r) ?? []), ...items]); },
    accepted: (q, r) => [...(of(q).get(r) ?? [])],
    seen: (q) => [...new Set([...of(q).values()].flat().map((i) => i.value))].sort(),
    forget(q) { m.delete(q); },
  };
}
