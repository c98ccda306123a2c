// The server's record: every record gets a sequence number, the latest `ringSize` stay for replay
// (a page that connects can travel back through them), older ones are folded into the base model
// the page starts from. Listeners get each record as it is added.
import { apply, emptyModel, type Feed, type Model } from './model.ts';
import type { Unstamped } from './convert.ts';

export class Recorder {
  private seq = 0;
  private base: Model = emptyModel();
  private ring: Feed[] = [];
  private listeners = new Set<(f: Feed) => void>();

  constructor(readonly network: string, private readonly ringSize = 20_000) {}

  add(r: Unstamped): Feed {
    const f = { ...r, seq: ++this.seq } as Feed;
    this.ring.push(f);
    if (this.ring.length > this.ringSize) {
      const dropped = this.ring.splice(0, this.ring.length - this.ringSize);
      for (const d of dropped) apply(this.base, d);
    }
    for (const l of this.listeners) l(f);
    return f;
  }

  onRecord(l: (f: Feed) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** What a new page starts from: the base and the records after it (copies, safe to serialise later). */
  hello(): { base: Model; records: Feed[] } {
    return { base: this.base, records: [...this.ring] };
  }

  /** The current model (base + every kept record), e.g. for tests and the CLI summary. */
  model(): Model {
    const m = structuredClone(this.base);
    for (const f of this.ring) apply(m, f);
    return m;
  }

  get size(): number { return this.seq; }
}
