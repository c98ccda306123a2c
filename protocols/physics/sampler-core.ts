// The protocol-independent core of the detection-event sampler.
//
// Every emulated run (BB84, MDI, BBM92) is, in the device models, a sequence of N i.i.d. slots:
// each slot independently draws the source's settings, the channel and the detector, and ends in
// one of a finite set of outcomes, "nothing detected" being by far the most likely. Such a process
// is sampled exactly, at a cost proportional to the number of detections, by
//   1. gaps between detected slots: i.i.d. Geometric(pEvent) (a Bernoulli process), which makes the
//      detected slots a uniformly random subset given their number, in increasing order;
//   2. the outcome of each detected slot: i.i.d. from the conditional distribution
//      P(outcome | event) = P(outcome and event) / pEvent, by an alias table.
// Together these give per-class counts that are jointly Multinomial(N; p_c) (so each one is
// Binomial(N, p_c)), uniform slot positions and the conditional outcome law: the same law as
// drawing every slot, without visiting the empty ones.
//
// The hot loop uses a local xoshiro128** (same algorithm as protocols/rng.ts) seeded from the
// caller's Rng, filling blocks of uniforms, because method calls per draw cost ~3x more.
import type { Rng } from '../rng.ts';
import { AliasTable } from './sampler-random.ts';

/** Detected slots of one frame: slot[0] = firstSlot, slot[i] = slot[i-1] + deltas[i] (deltas[0] = 0). */
export interface SlotFrame {
  readonly firstSlot: number;
  readonly deltas: Uint32Array;
}

/** Event frame before it is split into local views: the joint outcome index of each detected slot. */
export interface EventFrame extends SlotFrame {
  readonly outcome: Uint16Array;
}

/** A per-slot outcome law: pEvent = P(detection) and the joint weights P(outcome and detection). */
export interface SlotOutcomeLaw {
  readonly weights: ArrayLike<number>;
}

export interface EventSamplerOptions {
  /** Largest number of detections per frame (default 1 << 20). */
  maxFrameEvents?: number;
}

/** Absolute slot index of every detection of a frame (Float64Array: exact up to 2^53). */
export function frameSlots(f: SlotFrame): Float64Array {
  const out = new Float64Array(f.deltas.length);
  let s = f.firstSlot;
  for (let i = 0; i < out.length; i++) { s += f.deltas[i]; out[i] = s; }
  return out;
}

/** Block generator of uniform doubles in [0, 1) with 53 bits (xoshiro128**, Blackman & Vigna 2018). */
export class UniformBlocks {
  private s0: number; private s1: number; private s2: number; private s3: number;
  constructor(rng: Rng) {
    this.s0 = rng.nextUint32() | 0; this.s1 = rng.nextUint32() | 0;
    this.s2 = rng.nextUint32() | 0; this.s3 = rng.nextUint32() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
  fill(out: Float64Array): Float64Array {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      let r = Math.imul(s1, 5); r = Math.imul((r << 7) | (r >>> 25), 9);
      let t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      const hi = r >>> 5;
      r = Math.imul(s1, 5); r = Math.imul((r << 7) | (r >>> 25), 9);
      t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = (hi * 67108864 + (r >>> 6)) / 9007199254740992;
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    return out;
  }
}

/**
 * Geometric(p) gaps (failures before a success). For p >= 1e-3 an alias table over 0..T-1 plus a
 * tail bucket "G >= T" costs one uniform and no logarithm; by memorylessness, G | G >= T is
 * T + Geometric(p), drawn the same way. For smaller p, inversion floor(ln U / ln(1-p)).
 */
export class GeometricGaps {
  readonly tableOrNull: AliasTable | null;
  readonly tailIndex: number;
  readonly invLogQ: number;
  constructor(readonly p: number) {
    if (!(p > 0 && p <= 1)) throw new RangeError(`GeometricGaps: p must be in (0, 1], got ${p}`);
    this.invLogQ = p < 1 ? 1 / Math.log1p(-p) : 0;
    if (p >= 1e-3 && p < 1) {
      // T such that the tail holds about 1 % of the mass, at most 4096 entries.
      const t = Math.min(4096, Math.max(16, Math.ceil(Math.log(0.01) * this.invLogQ)));
      const w = new Float64Array(t + 1);
      // P(G = g) = p (1-p)^g, P(G >= T) = (1-p)^T
      const lq = Math.log1p(-p);
      for (let g = 0; g < t; g++) w[g] = p * Math.exp(g * lq);
      w[t] = Math.exp(t * lq);
      this.tableOrNull = new AliasTable(w);
      this.tailIndex = t;
    } else { this.tableOrNull = null; this.tailIndex = 0; }
  }
  /** One gap from a uniform; `more` supplies extra uniforms for the (rare) tail. */
  draw(u: number, more: () => number): number {
    if (this.p === 1) return 0;
    const table = this.tableOrNull;
    if (table === null) return Math.floor(Math.log(1 - u) * this.invLogQ);
    let base = 0;
    for (;;) {
      const g = table.pick(u);
      if (g !== this.tailIndex) return base + g;
      base += this.tailIndex;
      u = more();
    }
  }
}

/**
 * Sample the detected slots of `pulses` i.i.d. slots whose joint law is `weights[j]` =
 * P(outcome j and detection) (the sum is P(detection) per slot). Frames hold at most
 * maxFrameEvents detections; a new frame also starts when a gap would not fit in 32 bits.
 */
export class EventStream {
  private readonly pulses: number;
  private readonly maxEvents: number;
  private readonly oN: number; private readonly oThr: Float64Array; private readonly oAlias: Int32Array;
  private readonly gN: number; private readonly gThr: Float64Array; private readonly gAlias: Int32Array;
  private readonly gTail: number; private readonly gInv: number; private readonly mode: 0 | 1 | 2 | 3; // 0: p=1, 1: log, 2: table, 3: joint table
  /** Joint (gap, outcome) alias table: entry g * nOut + o for g < T, and entry T * nOut = "gap >= T". */
  private readonly jN: number;
  private readonly jRec: Float64Array;
  private readonly uni: UniformBlocks;
  private readonly buf = new Float64Array(8192);
  private pos = 8192;
  private slot = -1; // last detected slot
  private pending = -1; // a detected slot that did not fit the previous frame
  private done = false;
  /** Probability per slot of a detection. */
  readonly pEvent: number;

  constructor(rng: Rng, pulses: number, law: SlotOutcomeLaw, opts: EventSamplerOptions = {}) {
    if (!Number.isInteger(pulses) || pulses < 0 || pulses > 2 ** 53) throw new RangeError(`pulses must be an integer in [0, 2^53], got ${pulses}`);
    const w = law.weights;
    if (w.length > 65536) throw new RangeError(`at most 65536 outcomes, got ${w.length}`);
    let pEvent = 0;
    for (let i = 0; i < w.length; i++) pEvent += w[i];
    if (!(pEvent <= 1 + 1e-12)) throw new RangeError(`P(detection) per slot must be <= 1, got ${pEvent}`);
    this.pEvent = pEvent = Math.min(1, pEvent);
    this.pulses = pulses;
    this.maxEvents = opts.maxFrameEvents ?? 1 << 20;
    if (!(this.maxEvents >= 1)) throw new RangeError(`maxFrameEvents must be >= 1, got ${this.maxEvents}`);
    this.done = pEvent <= 0 || pulses === 0;
    const outcomes = new AliasTable(pEvent > 0 ? w : [1]);
    this.oN = outcomes.size; this.oThr = outcomes.threshold; this.oAlias = outcomes.alias;
    const gaps = new GeometricGaps(pEvent > 0 ? pEvent : 1);
    const t = gaps.tableOrNull;
    this.mode = pEvent >= 1 ? 0 : t === null ? 1 : 2;
    // One draw for both the gap and the outcome when the product table stays small: the gap and
    // the outcome are independent, so P(g, o) = P(G = g) P(o | event) for g < T, plus the tail
    // entry P(G >= T) after which (memorylessness) both are drawn afresh with T added to the gap.
    const nOut = outcomes.size;
    if (this.mode === 2 && t !== null && gaps.tailIndex * nOut + 1 <= 1 << 18) {
      const T = gaps.tailIndex, q = pEvent, lq = Math.log1p(-q);
      const jw = new Float64Array(T * nOut + 1);
      let wsum = 0; for (let i = 0; i < w.length; i++) wsum += w[i];
      for (let g = 0; g < T; g++) { const pg = q * Math.exp(g * lq); for (let o = 0; o < nOut; o++) jw[g * nOut + o] = pg * (w[o] / wsum); }
      jw[T * nOut] = Math.exp(T * lq);
      const jt = new AliasTable(jw);
      this.jN = jt.size;
      // one 24-byte record per column i: [threshold, code of entry i, code of alias[i]], code =
      // gap * 65536 + outcome (-1 for the tail entry): one cache line per draw instead of four
      // tables (same comparisons, same results)
      const code = (e: number) => (e === T * nOut ? -1 : Math.floor(e / nOut) * 65536 + (e % nOut));
      this.jRec = new Float64Array(3 * jt.size);
      for (let i = 0; i < jt.size; i++) { this.jRec[3 * i] = jt.threshold[i]; this.jRec[3 * i + 1] = code(i); this.jRec[3 * i + 2] = code(jt.alias[i]); }
      this.mode = 3;
    } else { this.jN = 0; this.jRec = new Float64Array(0); }
    this.gN = t ? t.size : 0; this.gThr = t ? t.threshold : this.oThr; this.gAlias = t ? t.alias : this.oAlias;
    this.gTail = gaps.tailIndex; this.gInv = gaps.invLogQ;
    this.uni = new UniformBlocks(rng);
  }

  /** The next frame, or null after the last detection. */
  next(): EventFrame | null {
    if (this.done) return null;
    const maxEvents = this.maxEvents;
    const deltas = new Uint32Array(maxEvents);
    const outcome = new Uint16Array(maxEvents);
    const n = this.fill(deltas, outcome);
    if (n < maxEvents && this.pending < 0) this.done = true;
    if (n === 0) return null;
    return { firstSlot: this.firstSlot, deltas: n === maxEvents ? deltas : deltas.slice(0, n), outcome: n === maxEvents ? outcome : outcome.slice(0, n) };
  }

  private firstSlot = 0;

  private fill(deltas: Uint32Array, outcome: Uint16Array): number {
    const buf = this.buf, BLOCK = buf.length, maxEvents = deltas.length, pulses = this.pulses;
    const oN = this.oN, oThr = this.oThr, oAlias = this.oAlias;
    const gN = this.gN, gThr = this.gThr, gAlias = this.gAlias, gTail = this.gTail, gInv = this.gInv, mode = this.mode;
    const jN = this.jN, jRec = this.jRec;
    let pos = this.pos, slot = this.slot, n = 0, prev = 0;
    // a slot (and outcome) held over from the previous frame, in locals for the hot loop
    let pending = this.pending, pendingOut = this.pendingOut;
    this.pending = -1; this.pendingOut = -1;
    while (n < maxEvents) {
      if (pos > BLOCK - 2) { this.uni.fill(buf); pos = 0; }
      let s: number, out = -1;
      if (pending >= 0) { s = pending; pending = -1; }
      else {
        let gap = 0;
        if (mode === 3) {
          for (;;) {
            const x = buf[pos++] * jN;
            const i = x | 0, r = 3 * i;
            const c = jRec[r + 1 + +(x - i >= jRec[r])]; // no branch on the (random) alias coin
            if (c >= 0) { gap += c >>> 16; out = c & 0xffff; break; }
            gap += gTail; // memoryless tail: G | G >= T = T + G'
            if (pos > BLOCK - 2) { this.uni.fill(buf); pos = 0; }
          }
        } else if (mode === 2) {
          for (;;) {
            const x = buf[pos++] * gN;
            const i = x | 0;
            const g = x - i < gThr[i] ? i : gAlias[i];
            if (g !== gTail) { gap += g; break; }
            gap += gTail;
            if (pos > BLOCK - 2) { this.uni.fill(buf); pos = 0; }
          }
        } else if (mode === 1) gap = Math.floor(Math.log(1 - buf[pos++]) * gInv);
        s = slot + 1 + gap;
        if (s >= pulses) break;
        slot = s;
      }
      if (n === 0) { this.firstSlot = s; deltas[0] = 0; }
      else {
        const d = s - prev;
        if (d > 0xffffffff) { this.pending = s; this.pendingOut = out; break; }
        deltas[n] = d;
      }
      prev = s;
      if (out < 0 && pendingOut >= 0) { out = pendingOut; pendingOut = -1; }
      if (out < 0) {
        if (pos > BLOCK - 1) { this.uni.fill(buf); pos = 0; }
        const x = buf[pos++] * oN;
        const i = x | 0;
        out = x - i < oThr[i] ? i : oAlias[i];
      }
      outcome[n] = out;
      n++;
    }
    this.pos = pos; this.slot = slot;
    return n;
  }
  private pendingOut = -1;
}

/** Generator form of EventStream. */
export function* sampleEventFrames(rng: Rng, pulses: number, law: SlotOutcomeLaw, opts: EventSamplerOptions = {}): Generator<EventFrame> {
  const stream = new EventStream(rng, pulses, law, opts);
  for (let f = stream.next(); f !== null; f = stream.next()) yield f;
}
