// The page's record and time travel: every record received is kept (up to MAX_RECORDS; older ones
// are folded into the base), the live model is folded as records arrive, and a paused view is the
// fold up to the chosen record (from the nearest checkpoint, built when first needed).
import { apply, emptyModel, type Feed, type Model, type ServerMessage } from '../model.ts';

const MAX_RECORDS = 150_000;
const TRIM = 30_000;
const CHECKPOINT_EVERY = 2_000;

export interface Stats { applied: number; batches: number; latencies: number[]; frames: number }

export class Store {
  network = '';
  connected = false;
  base: Model = emptyModel();
  records: Feed[] = [];
  live: Model = emptyModel();
  /** null: live; else how many records the paused view has applied. */
  cursor: number | null = null;
  readonly stats: Stats = { applied: 0, batches: 0, latencies: [], frames: 0 };
  private checkpoints = new Map<number, Model>();
  private cached?: { at: number; model: Model };
  private listeners = new Set<() => void>();
  private scheduled = false;
  private paintStamps: number[] = [];

  subscribe(l: () => void): () => void { this.listeners.add(l); return () => this.listeners.delete(l); }

  receive(msg: ServerMessage): void {
    if (msg.type === 'hello') {
      this.network = msg.network;
      this.base = msg.base;
      this.records = msg.records;
      this.live = structuredClone(msg.base);
      for (const r of msg.records) apply(this.live, r);
      this.resetCheckpoints();
    } else {
      for (const r of msg.records) { this.records.push(r); apply(this.live, r); this.paintStamps.push(r.t); }
      this.stats.applied += msg.records.length;
      this.stats.batches++;
      if (this.records.length > MAX_RECORDS) this.trim();
    }
    this.changed();
  }

  private trim(): void {
    const dropped = this.records.splice(0, TRIM);
    for (const r of dropped) apply(this.base, r);
    if (this.cursor !== null) this.cursor = Math.max(0, this.cursor - TRIM);
    this.resetCheckpoints();
  }

  private resetCheckpoints(): void { this.checkpoints.clear(); this.cached = undefined; }

  /** The model the page shows: live, or folded up to the cursor. */
  view(): Model {
    if (this.cursor === null) return this.live;
    return this.modelAt(this.cursor);
  }

  private modelAt(n: number): Model {
    if (this.cached?.at === n) return this.cached.model;
    let start = 0;
    let model = this.base;
    for (const [at, m] of this.checkpoints) if (at <= n && at >= start) { start = at; model = m; }
    const m = structuredClone(model);
    for (let i = start; i < n; i++) {
      apply(m, this.records[i]!);
      if ((i + 1) % CHECKPOINT_EVERY === 0 && !this.checkpoints.has(i + 1)) this.checkpoints.set(i + 1, structuredClone(m));
    }
    this.cached = { at: n, model: m };
    return m;
  }

  pause(): void { if (this.cursor === null) { this.cursor = this.records.length; this.changed(); } }
  resume(): void { this.cursor = null; this.cached = undefined; this.changed(); }
  seek(n: number): void { this.cursor = Math.max(0, Math.min(this.records.length, Math.round(n))); this.changed(); }

  setConnected(c: boolean): void { this.connected = c; this.changed(); }

  /** Render at most once a frame; after the frame is painted, record event-to-paint latencies. */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const stamps = this.paintStamps;
      this.paintStamps = [];
      for (const l of this.listeners) l();
      setTimeout(() => {
        const now = Date.now();
        const lat = this.stats.latencies;
        for (const t of stamps) lat.push(now - t);
        if (lat.length > 50_000) lat.splice(0, lat.length - 50_000);
        this.stats.frames++;
      }, 0);
    });
  }
}

/** Connect to the server's live feed, reconnecting (with a fresh hello) when the socket drops. */
export function connect(store: Store): void {
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const open = () => {
    const ws = new WebSocket(url);
    ws.onopen = () => store.setConnected(true);
    ws.onmessage = (m) => store.receive(JSON.parse(m.data as string) as ServerMessage);
    ws.onclose = () => { store.setConnected(false); setTimeout(open, 1000); };
  };
  open();
}
