// In-memory key pools for task tests: each pair's pool is an endless seeded random bit stream
// handed out front to back; every withdrawal is logged so tests can check that the bits a task
// reports match the bits withdrawn and that no bit went out twice.
import { type BitString, randomBits } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import { type TaskKeySource, poolKey } from '../../protocols/tasks/task-keys.ts';

export interface Withdrawal { pool: string; kind: PoolKind; start: number; bits: number }

export class MemoryLedger implements TaskKeySource {
  readonly log: Withdrawal[] = [];
  private readonly cursor = new Map<string, number>();
  private readonly streams = new Map<string, ReturnType<typeof createRng>>();
  constructor(private readonly seed: string) {}

  withdraw(a: NodeId, b: NodeId, bits: number, kind: PoolKind): BitString {
    const pool = poolKey(a, b), id = `${kind}:${pool}`;
    const start = this.cursor.get(id) ?? 0;
    if (!this.streams.has(id)) this.streams.set(id, createRng(`${this.seed}/${id}`));
    this.cursor.set(id, start + bits);
    this.log.push({ pool, kind, start, bits });
    const rng = this.streams.get(id)!;
    return randomBits(bits, () => rng.nextUint32());
  }

  /** Bits withdrawn per pool ("A|B"), all kinds together. */
  totals(): Record<string, number> {
    const t: Record<string, number> = {};
    for (const w of this.log) t[w.pool] = (t[w.pool] ?? 0) + w.bits;
    return t;
  }

  /** True when no two withdrawals of the same pool overlap. */
  disjoint(): boolean {
    const byPool = new Map<string, Withdrawal[]>();
    for (const w of this.log) {
      const k = `${w.kind}:${w.pool}`;
      if (!byPool.has(k)) byPool.set(k, []);
      byPool.get(k)!.push(w);
    }
    for (const ws of byPool.values()) {
      const s = [...ws].sort((x, y) => x.start - y.start);
      for (let i = 1; i < s.length; i++) if (s[i].start < s[i - 1].start + s[i - 1].bits) return false;
    }
    return true;
  }
}
