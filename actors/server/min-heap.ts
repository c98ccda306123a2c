// A binary min-heap of items by priority; equal priorities come out in insertion order (the
// order a stable sort of the open list gave), so paths tie-break the same way on every run.
export class MinHeap<T> {
  private items: Array<{ item: T; p: number; seq: number }> = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T, priority: number): void {
    const h = this.items;
    h.push({ item, p: priority, seq: this.seq++ });
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0]!.item;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i]!, b = this.items[j]!;
    return a.p < b.p || (a.p === b.p && a.seq < b.seq);
  }
}
