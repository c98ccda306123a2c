// Sifting of entanglement-based BBM92 (Bennett, Brassard, Mermin, PRL 68, 557 (1992); finite-key
// treatment: Ma, Fung, Lo, PRA 76, 012307 (2007) and protocols/keyrate/bbm92.ts), one half per D
// node, over the ClassicalChannel between the two key holders only (the E source is untrusted and
// takes no part). Each D node's basis choice is passive (a beam splitter in front of two analysers),
// so both sides announce bases after the fact:
//   B->A bbm92.clicks     {firstSlot, count, deltas, basis}  per frame of B's click records (deltas: LEB128)
//   B->A bbm92.clicks.end {frames, detections}
//   A->B bbm92.bases      {count, hit, basis}   per announced frame: whether A clicked in that slot
//                                               (a coincidence) and A's basis there
//   A->B bbm92.test       {count, bits}         A's bits of every matching Z coincidence (the test sample)
//   B->A bbm92.testResult {nX, nZ, mZ}          counts and the Z errors (B compares with its own bits)
// Matching X coincidences form the sifted key (X is the key basis, as in the key-rate engine); the
// matching Z coincidences are all disclosed: under a random (passive) basis choice they are a
// random sample of the coincidences, which is what the phase-error bound (Lim 2014 Eq. (5)) needs.
import { type BitString, wordsFor } from '../bits.ts';
import type { Bbm92Counts } from '../keyrate/bbm92.ts';
import { BASIS_X, type Bb84DetectorFrame } from '../physics/sampler-bb84.ts';
import { type ClassicalChannel, expectMessage, type PpMessage, ProtocolError } from './channel.ts';
import { recordCount, SlotCursor } from './slot-cursor.ts';
import { decodeGaps, encodeDeltas, fieldOf, isNat, isU32, packFlags, unpackFlags } from './announce.ts';

/** A D node's local view: its click records (slot, basis, bit), as the BB84 detector's. */
export type Bbm92Frame = Bb84DetectorFrame;

export interface Bbm92SiftResult {
  /** Sifted X-basis key (each side its own bits, before error correction). */
  key: BitString;
  /** Matching-basis counts; mX stays 0 until error correction counts the X errors. */
  counts: Bbm92Counts;
  /** Coincidences (slots where both D nodes clicked). */
  coincidences: number;
  /** Clicks this side recorded. */
  detections: number;
  /** Z-basis bits disclosed for the test. */
  disclosedTestBits: number;
}

class KeyBuilder {
  words: Uint32Array; n = 0;
  constructor(cap: number) { this.words = new Uint32Array(wordsFor(cap)); }
  push(bit: number): void { if (bit) this.words[this.n >>> 5] |= 1 << (this.n & 31); this.n++; }
  done(): BitString { return { length: this.n, words: this.words.slice(0, wordsFor(this.n)) }; }
}

/** A packed 0/1 column of n entries; a short or mistyped one is named by message and field. */
function flags(msg: PpMessage, name: string, n: number): Uint8Array {
  const w = fieldOf<Uint32Array>(msg, name, isU32, 'a Uint32Array');
  if (w.length < (n + 31) >>> 5) throw new ProtocolError(`${msg.type}: field '${name}' holds ${w.length} words, too few for ${n} flags`);
  return unpackFlags(w, n);
}

/** B's half (the correcting side): announce clicks and bases, learn A's, count the Z errors. */
export async function siftBbm92Announcer(ch: ClassicalChannel, frames: readonly Bbm92Frame[]): Promise<Bbm92SiftResult> {
  let detections = 0;
  for (const f of frames) {
    await ch.send({ type: 'bbm92.clicks', firstSlot: f.firstSlot, count: f.deltas.length, deltas: encodeDeltas(f.deltas), basis: packFlags(f.basis) });
    detections += f.deltas.length;
  }
  await ch.send({ type: 'bbm92.clicks.end', frames: frames.length, detections });
  const kb = new KeyBuilder(detections);
  const zBits = new Uint8Array(detections);
  let nX = 0, nZ = 0, coincidences = 0;
  for (const f of frames) {
    const msg = await expectMessage(ch, 'bbm92.bases');
    const n = fieldOf<number>(msg, 'count', (v) => v === f.deltas.length, `the frame's click count ${f.deltas.length}`);
    const hit = flags(msg, 'hit', n);
    const aBasis = flags(msg, 'basis', n);
    for (let i = 0; i < n; i++) {
      if (!hit[i]) continue;
      coincidences++;
      if (aBasis[i] !== f.basis[i]) continue;
      if (f.basis[i] === BASIS_X) { kb.push(f.bit[i]); nX++; } else zBits[nZ++] = f.bit[i];
    }
  }
  const test = await expectMessage(ch, 'bbm92.test');
  fieldOf<number>(test, 'count', (v) => v === nZ, `the number of matching Z coincidences ${nZ}`);
  const aBits = flags(test, 'bits', nZ);
  let mZ = 0;
  for (let i = 0; i < nZ; i++) mZ += aBits[i] ^ zBits[i];
  await ch.send({ type: 'bbm92.testResult', nX, nZ, mZ });
  return { key: kb.done(), counts: { nX, mX: 0, nZ, mZ }, coincidences, detections, disclosedTestBits: nZ };
}

/** A's half (the reference side): match B's clicks with its own records, announce its bases, disclose its Z bits. */
export async function siftBbm92Responder(ch: ClassicalChannel, frames: readonly Bbm92Frame[]): Promise<Bbm92SiftResult> {
  // A's records walked in slot order while B's announcements arrive (both lists increase).
  const cur = new SlotCursor(frames);
  const detections = recordCount(frames);
  const kb = new KeyBuilder(detections);
  const zBits = new Uint8Array(detections);
  let nX = 0, nZ = 0, coincidences = 0, announced = 0, framesSeen = 0;
  for (;;) {
    const msg = await ch.receive();
    if (msg.type === 'bbm92.clicks.end') {
      fieldOf<number>(msg, 'frames', (v) => v === framesSeen, `the ${framesSeen} frames received`);
      fieldOf<number>(msg, 'detections', (v) => v === announced, `the ${announced} clicks received`);
      break;
    }
    if (msg.type !== 'bbm92.clicks') throw new ProtocolError(`expected 'bbm92.clicks', got '${msg.type}'`);
    framesSeen++;
    const n = fieldOf<number>(msg, 'count', isNat, 'a count');
    const deltas = decodeGaps(fieldOf<Uint8Array>(msg, 'deltas', (v) => v instanceof Uint8Array, 'varint-coded deltas (Uint8Array)'), n, msg.type);
    const bBasis = flags(msg, 'basis', n);
    let slot = fieldOf<number>(msg, 'firstSlot', isNat, 'a slot index');
    const hit = new Uint8Array(n), aBasis = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (i > 0) slot += deltas[i];
      while (cur.slot < slot) cur.advance();
      if (cur.slot !== slot) continue; // B clicked alone: no coincidence
      const f = frames[cur.fi], ii = cur.ii;
      hit[i] = 1; coincidences++;
      const b = f.basis[ii];
      aBasis[i] = b;
      if (b === bBasis[i]) { if (b === BASIS_X) { kb.push(f.bit[ii]); nX++; } else zBits[nZ++] = f.bit[ii]; }
      cur.advance();
    }
    announced += n;
    await ch.send({ type: 'bbm92.bases', count: n, hit: packFlags(hit), basis: packFlags(aBasis) });
  }
  await ch.send({ type: 'bbm92.test', count: nZ, bits: packFlags(zBits, nZ) });
  const res = await expectMessage(ch, 'bbm92.testResult');
  fieldOf<number>(res, 'nX', (v) => v === nX, `our X count ${nX}`);
  fieldOf<number>(res, 'nZ', (v) => v === nZ, `our Z count ${nZ}`);
  const mZ = fieldOf<number>(res, 'mZ', (v) => isNat(v) && (v as number) <= nZ, `an error count <= ${nZ}`);
  return { key: kb.done(), counts: { nX, mX: 0, nZ, mZ }, coincidences, detections, disclosedTestBits: nZ };
}
