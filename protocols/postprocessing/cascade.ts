// Cascade information reconciliation (Brassard & Salvail, EUROCRYPT '93), one half per party.
// Alice holds the reference key and only answers parity questions; Bob corrects his key.
// Every message goes through the ClassicalChannel:
//   A->B cascade.start  {n, variant, qber, shuffle, passes, concurrent}   passes: the variant's + confirmation passes
//   A->B cascade.pass   {pass, seed, blockSize, count, parities}  top-level block parities of a pass
//   B->A cascade.ask    {pass, start, len}   ALL parity questions of one round (binary-search left
//                                            halves of every open block, in lockstep); empty = pass done
//   A->B cascade.reply  {count, parities}
// Disclosed bits = every parity bit Alice sends (block parities + replies), counted as sent.
// Bob remembers every Alice parity he has learned (sub-block tree per block), so a correction
// that cascades into an earlier pass restarts its binary search at the smallest known odd
// sub-block (Martinez-Mateo et al., QIC 15 (2015), sec. 3); right halves are inferred from the
// parent, never asked. Bob keeps error parities (his XOR Alice's) for every known node and
// toggles them along the path of each flip, so nothing is recomputed but the one new half per
// question (ParityIndex makes that cheap even inside blocks of n/2 bits). At 16 Mbit nearly all
// the time is cache misses on per-block state, so each block keeps its state in one record.
// Measured (npm run bench -- cascade, both halves in one process, 2-core machine under load ~10):
// yanetal 16 Mbit 43 / 26 / 22 / 17 sifted Mbit per CPU second at QBER 1 / 2 / 3 / 5 % (1 Mbit: 64 / 45 / 40 / 28).
import { type BitString, wordsFor, clearTail } from '../bits.ts';
import type { RandomSource } from './random-source.ts';
import { type ClassicalChannel, type PpMessage, expectMessage, ProtocolError } from './channel.ts';
import { blockParities, ParityIndex } from './word-parity.ts';
import { passShuffle, paddedLength, type BitShuffle, type ShuffleKind } from './shuffle.ts';
import { CASCADE_VARIANTS, MAX_CONFIRM_PASSES, cascadeBlockSize, cascadePasses, cascadePassGroups, type CascadeVariant } from './cascade-variants.ts';

export interface CascadeOptions {
  variant: CascadeVariant;
  /** QBER estimate from parameter estimation; sets the block sizes. */
  qber: number;
  /** Source of the public shuffle seeds (Alice's side; an Rng or the QRNG). */
  rng: RandomSource;
  /** Shuffle family (default 'fast'; see shuffle.ts). */
  shuffle?: ShuffleKind;
  /** Run consecutive huge-block passes together (default false; see cascadePassGroups: fewer
   *  round trips in those passes, but f rises by ~0.01 because concurrent searches overlap). */
  concurrentHugePasses?: boolean;
  /** Half-split (BICONF) passes after the variant's schedule (default 0). An error pattern even in
   *  every block of the scheduled passes survives each further random halving with probability
   *  1/2, at 2 parities per pass (plus one binary search when it is found). */
  confirmPasses?: number;
}

export interface CascadeResult {
  /** Alice: her key unchanged; Bob: his corrected key. */
  key: BitString;
  n: number;
  variant: CascadeVariant;
  qber: number;
  passes: number;
  /** Parity bits Alice revealed (both sides report the same count). */
  disclosedBits: number;
  /** Question/answer rounds (one cascade.ask with questions + one reply each). */
  rounds: number;
  /** Bits Bob flipped (0 for Alice). */
  corrected: number;
}

const SHUFFLES: readonly ShuffleKind[] = ['fast', 'uniform', 'identity'];

function field<T>(msg: PpMessage, name: string, ok: (v: unknown) => boolean): T {
  const v = msg[name];
  if (!ok(v)) throw new ProtocolError(`${msg.type}: bad field '${name}'`);
  return v as T;
}
const isU32 = (v: unknown) => v instanceof Uint32Array;
const isU8 = (v: unknown) => v instanceof Uint8Array;
const isNat = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export async function cascadeAlice(ch: ClassicalChannel, key: BitString, opts: CascadeOptions): Promise<CascadeResult> {
  const { variant, qber, rng } = opts;
  const shuffle = opts.shuffle ?? 'fast';
  if (!CASCADE_VARIANTS.includes(variant)) throw new RangeError(`cascade: unknown variant '${variant}'`);
  if (!(qber >= 0 && qber < 0.5)) throw new RangeError(`cascade: qber must be in [0, 0.5), got ${qber}`);
  const n = key.length;
  if (n < 1) throw new RangeError('cascade: empty key');
  const N = paddedLength(n);
  const padded = new Uint32Array(N >>> 5);
  padded.set(key.words.subarray(0, wordsFor(n)));
  const confirm = opts.confirmPasses ?? 0;
  if (!(Number.isInteger(confirm) && confirm >= 0 && confirm <= MAX_CONFIRM_PASSES)) throw new RangeError(`cascade: confirmPasses must be an integer in [0, ${MAX_CONFIRM_PASSES}], got ${confirm}`);
  const passes = cascadePasses(variant) + confirm;
  const concurrent = opts.concurrentHugePasses ?? false;
  await ch.send({ type: 'cascade.start', n, variant, qber, shuffle, passes, concurrent });
  const copies: ParityIndex[] = [];
  let disclosed = 0, rounds = 0, first = 1;
  for (const pass of cascadePassGroups(variant, qber, N, concurrent, confirm)) {
    for (; first <= pass; first++) {
      const k = cascadeBlockSize(variant, first, qber, N);
      const seed = rng.nextUint32();
      const copy = passShuffle(shuffle, N, k, seed).apply(padded);
      copies.push(new ParityIndex(copy));
      const count = Math.ceil(N / k);
      await ch.send({ type: 'cascade.pass', pass: first, seed, blockSize: k, count, parities: blockParities(copy, N, k) });
      disclosed += count;
    }
    for (;;) {
      const ask = await expectMessage(ch, 'cascade.ask');
      const ps = field<Uint8Array>(ask, 'pass', isU8);
      const st = field<Uint32Array>(ask, 'start', isU32);
      const ln = field<Uint32Array>(ask, 'len', isU32);
      const m = st.length;
      if (ps.length !== m || ln.length !== m) throw new ProtocolError('cascade.ask: pass/start/len lengths differ');
      if (m === 0) break;
      rounds++;
      const out = new Uint32Array((m + 31) >>> 5);
      for (let i = 0; i < m; i++) {
        const p = ps[i], s = st[i], l = ln[i];
        if (p < 1 || p > pass || l < 1 || s + l > N) throw new ProtocolError(`cascade.ask: question ${i} (pass ${p}, [${s}, ${s + l})) out of range`);
        if (copies[p - 1].range(s, l)) out[i >>> 5] |= 1 << (i & 31);
      }
      await ch.send({ type: 'cascade.reply', count: m, parities: out });
      disclosed += m;
    }
  }
  const out: BitString = { length: n, words: key.words.slice(0, wordsFor(n)) };
  return { key: out, n, variant, qber, passes, disclosedBits: disclosed, rounds, corrected: 0 };
}

// Bob's state per block of one pass, one record of R int32 words so that a block's search state
// and everything known about its sub-blocks share a cache line (small blocks; at 16 Mbit every
// block access is a cache miss, so separate arrays cost one miss each):
//   [0] heap index of the node to split next (0 = no open search), [1] where its question sits
//   in the next round's list and [2] that list's generation (see OpenList), [3] unused,
//   [4..] error parities of its sub-blocks (heap-numbered: root 1, children 2i, 2i+1), 2 bits per
//         node: value + 1, 0 = not known. The root's is kept in Pass.rootErr instead.
// A fresh zero-filled array needs no fill pass, and pages no search touches are never written, so
// even the two blocks of n/2 bits are stored this way (8 MB of address space at 16 Mbit, few pages used).
class BlockStates {
  readonly rec: Int32Array;
  readonly R: number;
  constructor(blocks: number, stride: number) {
    const R = 4 + ((stride + 15) >>> 4);
    this.R = R <= 8 ? 8 : R <= 16 ? 16 : R; // 32 / 64-byte records stay within one cache line
    this.rec = new Int32Array(blocks * this.R);
  }
  /** Error parity of node i of block b, -1 = not known. */
  get(b: number, i: number): number {
    return ((this.rec[b * this.R + 4 + (i >>> 4)] >>> ((i & 15) << 1)) & 3) - 1;
  }
  set(b: number, i: number, v: number): void {
    const w = b * this.R + 4 + (i >>> 4), sh = (i & 15) << 1;
    this.rec[w] = (this.rec[w] & ~(3 << sh)) | ((v + 1) << sh);
  }
}

interface Pass {
  shuffle: BitShuffle;
  copy: ParityIndex;   // Bob's key in this pass's shuffled order
  k: number;
  blocks: number;
  rootErr: Uint32Array;
  st: BlockStates;
}

// Growable int buffer (pairs / tuples) without JS-array boxing or per-round garbage.
class IntBuf {
  a = new Int32Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n + 1 > this.a.length) { const b = new Int32Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = x;
  }
  push2(x: number, y: number): void {
    if (this.n + 2 > this.a.length) { const b = new Int32Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = x; this.a[this.n++] = y;
  }
}

// Bob's knowledge, per pass: for the root of every block and every sub-block whose Alice parity
// he has learned, the *error parity* (Alice's parity XOR his own). Each flip toggles it along
// the path of known nodes containing the flipped bit, so no parity is ever recomputed except
// the one new half per question (Bob's side of the answer).
export async function cascadeBob(ch: ClassicalChannel, key: BitString): Promise<CascadeResult> {
  const start = await expectMessage(ch, 'cascade.start');
  const n = field<number>(start, 'n', isNat);
  const variant = field<CascadeVariant>(start, 'variant', (v) => CASCADE_VARIANTS.includes(v as CascadeVariant));
  const qber = field<number>(start, 'qber', (v) => typeof v === 'number' && v >= 0 && v < 0.5);
  const shuffle = field<ShuffleKind>(start, 'shuffle', (v) => SHUFFLES.includes(v as ShuffleKind));
  const passes = field<number>(start, 'passes', (v) => Number.isInteger(v) && (v as number) >= cascadePasses(variant) && (v as number) <= cascadePasses(variant) + MAX_CONFIRM_PASSES);
  const confirm = passes - cascadePasses(variant);
  const concurrent = field<boolean>(start, 'concurrent', (v) => typeof v === 'boolean');
  if (n !== key.length) throw new ProtocolError(`cascade.start: peer key has ${n} bits, ours ${key.length}`);
  const N = paddedLength(n);
  const work = new Uint32Array(N >>> 5);
  work.set(key.words.subarray(0, wordsFor(n)));

  const P: Pass[] = [];
  // Next round's questions, one entry (j, b, heap, start, len) per block with an open search, in
  // the order the searches opened; a block whose search moves (re-evaluated after a flip) or
  // closes updates its entry in place (its record points at it), so collecting a round's
  // questions is a sequential read instead of one cache miss per block.
  let openList = new IntBuf(), nextOpen = new IntBuf(), gen = 1;
  const openSearch = (j: number, st: BlockStates, b: number, heap: number, s: number, len: number) => {
    const o = st.rec, x = b * st.R;
    o[x] = heap;
    let e: number;
    if (o[x + 2] === gen) e = o[x + 1];
    else { e = nextOpen.n; nextOpen.push2(j, b); nextOpen.push2(0, 0); nextOpen.push(0); o[x + 1] = e; o[x + 2] = gen; }
    const a = nextOpen.a;
    a[e + 2] = heap; a[e + 3] = s; a[e + 4] = len;
  };
  const closeSearch = (st: BlockStates, b: number) => {
    const o = st.rec, x = b * st.R;
    o[x] = 0;
    if (o[x + 2] === gen) nextOpen.a[o[x + 1] + 2] = 0;
  };
  const worklist = new IntBuf(); // pairs (j, b) to re-evaluate
  const flipLog = new IntBuf(); // source bits flipped since `work` was last brought up to date
  const syncWork = () => { const a = flipLog.a; for (let i = 0; i < flipLog.n; i++) { const x = a[i]; work[x >>> 5] ^= 1 << (x & 31); } flipLog.n = 0; };
  let disclosed = 0, rounds = 0, corrected = 0;

  const flipAt = (jFound: number, pos: number) => {
    const x = P[jFound].shuffle.source(pos);
    flipLog.push(x); // applied to `work` in bulk (independent random writes overlap)
    corrected++;
    for (let j = 0; j < P.length; j++) {
      const p = P[j];
      const q = j === jFound ? pos : p.shuffle.locate(x);
      p.copy.flip(q);
      const k = p.k, b = Math.floor(q / k);
      p.rootErr[b >>> 5] ^= 1 << (b & 31);
      // toggle the known sub-blocks on the path to q
      const st = p.st;
      let heap = 1, s = b * k, len = Math.min(k, N - s);
      while (len > 1) {
        const leftLen = (len + 1) >>> 1;
        if (q < s + leftLen) { heap *= 2; len = leftLen; } else { heap = 2 * heap + 1; s += leftLen; len -= leftLen; }
        const e = st.get(b, heap);
        if (e < 0) break;
        st.set(b, heap, e ^ 1);
      }
      worklist.push2(j, b);
    }
  };

  // From a node with odd error parity, walk down through known sub-blocks to an error (flip it)
  // or to a node whose halves are unknown (ask about its left half next round).
  const descend = (j: number, b: number, heap: number, s: number, len: number) => {
    const st = P[j].st;
    for (;;) {
      if (len === 1) { flipAt(j, s); return; }
      const leftLen = (len + 1) >>> 1;
      const el = st.get(b, 2 * heap);
      if (el < 0) { openSearch(j, st, b, heap, s, len); return; }
      if (el === 1) { heap *= 2; len = leftLen; } else { heap = 2 * heap + 1; s += leftLen; len -= leftLen; }
    }
  };

  const evaluate = (j: number, b: number) => {
    const p = P[j];
    closeSearch(p.st, b);
    if (((p.rootErr[b >>> 5] >>> (b & 31)) & 1) === 0) return;
    const s0 = b * p.k;
    descend(j, b, 1, s0, Math.min(p.k, N - s0));
  };

  const drain = () => { const w = worklist; while (w.n > 0) { const b = w.a[--w.n], j = w.a[--w.n]; evaluate(j, b); } };

  // question buffers, reused every round: pass index, block, heap, start, node length
  let qj = new Int32Array(0), qb = qj, qh = qj, qs = qj, ql = qj;
  let first = 1;
  for (const last of cascadePassGroups(variant, qber, N, concurrent, confirm)) {
    for (; first <= last; first++) {
      const pass = first;
      const msg = await expectMessage(ch, 'cascade.pass');
      if (msg.pass !== pass) throw new ProtocolError(`cascade.pass: expected pass ${pass}, got ${String(msg.pass)}`);
      const seed = field<number>(msg, 'seed', isNat);
      const k = field<number>(msg, 'blockSize', (v) => v === cascadeBlockSize(variant, pass, qber, N));
      const count = field<number>(msg, 'count', (v) => v === Math.ceil(N / k));
      const parities = field<Uint32Array>(msg, 'parities', (v) => isU32(v) && (v as Uint32Array).length === (count + 31) >>> 5);
      disclosed += count;
      const sh = passShuffle(shuffle, N, k, seed);
      const j = pass - 1;
      syncWork();
      const copy = sh.apply(work);
      const err = blockParities(copy, N, k);
      const stride = 2 * 2 ** Math.ceil(Math.log2(k)); // heap slots per block
      P.push({ shuffle: sh, copy: new ParityIndex(copy), k, blocks: count, rootErr: err, st: new BlockStates(count, stride) });
      for (let w = 0; w < err.length; w++) {
        err[w] ^= parities[w];
        let d = err[w];
        while (d !== 0) { const bit = 31 - Math.clz32(d & -d); d &= d - 1; worklist.push2(j, w * 32 + bit); }
      }
      drain();
    }
    for (;;) {
      // the open searches, each block once
      [openList, nextOpen] = [nextOpen, openList];
      nextOpen.n = 0;
      gen++;
      const cap = openList.n / 5;
      if (qj.length < cap) { qj = new Int32Array(cap); qb = new Int32Array(cap); qh = new Int32Array(cap); qs = new Int32Array(cap); ql = new Int32Array(cap); }
      let m = 0;
      const ol = openList.a;
      for (let i = 0; i < openList.n; i += 5) {
        if (ol[i + 2] !== 0) { qj[m] = ol[i]; qb[m] = ol[i + 1]; qh[m] = ol[i + 2]; qs[m] = ol[i + 3]; ql[m] = ol[i + 4]; m++; }
      }
      const ps = new Uint8Array(m), st = new Uint32Array(m), ln = new Uint32Array(m);
      for (let i = 0; i < m; i++) { ps[i] = qj[i] + 1; st[i] = qs[i]; ln[i] = (ql[i] + 1) >>> 1; }
      await ch.send({ type: 'cascade.ask', pass: ps, start: st, len: ln });
      if (m === 0) break;
      rounds++;
      const reply = await expectMessage(ch, 'cascade.reply');
      const rc = field<number>(reply, 'count', (v) => v === m);
      const rp = field<Uint32Array>(reply, 'parities', (v) => isU32(v) && (v as Uint32Array).length === (rc + 31) >>> 5);
      disclosed += rc;
      // One sweep: record each answer, then continue that search. An answer recorded after
      // earlier flips of this round is still exact: the left half's error parity is read from
      // Bob's current copy, the right half's from the asked node's current error parity.
      for (let i = 0; i < m; i++) {
        const jj = qj[i], bb = qb[i], h = qh[i], p = P[jj], st = p.st;
        const el = ((rp[i >>> 5] >>> (i & 31)) & 1) ^ p.copy.range(qs[i], (ql[i] + 1) >>> 1);
        const ep = h === 1 ? (p.rootErr[bb >>> 5] >>> (bb & 31)) & 1 : st.get(bb, h);
        st.set(bb, 2 * h, el);
        st.set(bb, 2 * h + 1, el ^ ep);
        if (st.rec[bb * st.R] !== h) continue; // re-evaluated after an earlier flip (heap numbers name nodes)
        closeSearch(st, bb);
        descend(jj, bb, h, qs[i], ql[i]);
        drain();
      }
    }
  }
  syncWork();
  const out: BitString = clearTail({ length: n, words: work.slice(0, wordsFor(n)) });
  return { key: out, n, variant, qber, passes, disclosedBits: disclosed, rounds, corrected };
}
