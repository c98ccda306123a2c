// Sifting of decoy-state BB84 (Lim et al., PRA 89, 022307 (2014), protocol steps 3-4), one half
// per party, over the ClassicalChannel only:
//   B->A bb84.clicks     {firstSlot, count, deltas, basis}   per frame of Bob's click records (deltas: LEB128)
//   B->A bb84.clicks.end {frames, detections}
//   A->B bb84.choices    {count, basis, intensity}           Alice's basis and intensity for each click
//   A->B bb84.test       {count, bits}                       Alice's bits of all matching Z clicks
//   B->A bb84.testResult {nX, nZ, mZ}                        per-intensity counts and Z errors
// Matching X clicks form the sifted key (all intensities; X is the key basis), matching Z clicks
// are all disclosed to count the errors m_{Z,k} the phase-error bound needs.
import { type BitString, wordsFor } from '../bits.ts';
import { BASIS_X, BASIS_Z, type Bb84DetectorFrame, type Bb84SourceFrame } from '../physics/sampler-bb84.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { recordCount, SlotCursor } from './slot-cursor.ts';
import { decodeGaps, encodeDeltas, fieldOf, isNat, isNatArray, isU32, packCodes2, packFlags, unpackFlags } from './announce.ts';

/** Per-intensity tallies, index 0 mu1, 1 mu2, 2 mu3. */
export interface Bb84SiftCounts {
  nX: [number, number, number];
  nZ: [number, number, number];
  mZ: [number, number, number];
}

export interface Bb84SiftResult {
  /** Sifted X-basis key (Alice: her bits; Bob: his raw bits, before error correction). */
  key: BitString;
  /** Intensity of each sifted key bit (0 mu1, 1 mu2, 2 mu3). */
  keyIntensity: Uint8Array;
  counts: Bb84SiftCounts;
  /** Clicks Bob announced. */
  detections: number;
  /** Z-basis bits disclosed for the test. */
  disclosedTestBits: number;
}

class KeyBuilder {
  words: Uint32Array; inten: Uint8Array; n = 0;
  constructor(cap: number) { this.words = new Uint32Array(wordsFor(cap)); this.inten = new Uint8Array(cap); }
  push(bit: number, k: number): void { if (bit) this.words[this.n >>> 5] |= 1 << (this.n & 31); this.inten[this.n++] = k; }
  done(): { key: BitString; keyIntensity: Uint8Array } {
    return { key: { length: this.n, words: this.words.slice(0, wordsFor(this.n)) }, keyIntensity: this.inten.slice(0, this.n) };
  }
}

/** Whether the n varints of b are exactly the shortest (LEB128) encodings of `mine` from index 1
 *  on (index 0 is implied by firstSlot, as in sameDeltas: any well-formed varint), with no
 *  trailing bytes. Compares bytes against our own values without decoding; false for anything
 *  else (overlong or malformed input: the caller then decodes for real, which accepts the former
 *  and reports the latter). */
function varintsMatch(b: Uint8Array, n: number, mine: Uint32Array): boolean {
  const len = b.length;
  let k = 0;
  if (n > 0) {
    if (len === 0) return false;
    let byte = b[k++], shift = 0;
    while (byte >= 0x80) {
      shift += 7;
      if (k >= len || shift > 28) return false;
      byte = b[k++];
      if (shift === 28 && byte > 0x0f) return false;
    }
  }
  for (let i = 1; i < n; i++) {
    let v = mine[i];
    if (v < 0x80) { if (b[k] !== v) return false; k++; continue; } // one byte: most gaps
    while (v >= 0x80) { if (b[k++] !== ((v & 0x7f) | 0x80)) return false; v >>>= 7; }
    if (b[k++] !== v) return false;
  }
  return k === len;
}

/** The length checks of unpackFlags / unpackCodes2, for the word-level loops. */
function checkFlags(words: Uint32Array, n: number): Uint32Array {
  if (words.length < (n + 31) >>> 5) throw new RangeError(`unpackFlags: ${words.length} words cannot hold ${n} flags`);
  return words;
}
function checkCodes2(words: Uint32Array, n: number): Uint32Array {
  if (words.length < (n + 15) >>> 4) throw new RangeError(`unpackCodes2: ${words.length} words cannot hold ${n} codes`);
  return words;
}

function sameDeltas(a: Uint32Array, b: Uint32Array): boolean {
  if (a === b) return true;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The matching-basis clicks of one frame (basis flags packed 32 per word, 1 = Z), in click order:
 * X matches extend the key (bit, intensity; nX), Z matches are appended to the test columns
 * (zBits and, when given, zInt; nZ). The intensity of click i is k8[i], or the 2-bit code in
 * k2 (Alice's announcement, range-checked). Returns the new Z count. A standalone function so
 * the engine optimises this loop on its own, away from the async message handling.
 */
function matchFrame(n: number, aWords: Uint32Array, bWords: Uint32Array, k8: Uint8Array | null, k2: Uint32Array | null, bits: Uint8Array,
  kb: KeyBuilder, zBits: Uint8Array, zInt: Uint8Array | null, nz: number, nX: number[], nZ: number[]): number {
  const words = kb.words, inten = kb.inten;
  let kn = kb.n;
  for (let w = 0, nw = (n + 31) >>> 5; w < nw; w++) {
    let match = ~(aWords[w] ^ bWords[w]);
    if (w === nw - 1 && (n & 31) !== 0) match &= (1 << (n & 31)) - 1;
    let xm = match & ~aWords[w], zm = match & aWords[w];
    while (xm !== 0) {
      const i = (w << 5) | (31 - Math.clz32(xm & -xm));
      xm &= xm - 1;
      const k = k8 !== null ? k8[i] : intensityCode(k2!, i);
      words[kn >>> 5] |= (bits[i] & 1) << (kn & 31); // no branch on the (random) bit
      inten[kn++] = k; nX[k]++;
    }
    while (zm !== 0) {
      const i = (w << 5) | (31 - Math.clz32(zm & -zm));
      zm &= zm - 1;
      const k = k8 !== null ? k8[i] : intensityCode(k2!, i);
      zBits[nz] = bits[i]; if (zInt !== null) zInt[nz] = k;
      nz++; nZ[k]++;
    }
  }
  kb.n = kn;
  return nz;
}

function intensityCode(k2: Uint32Array, i: number): number {
  const k = (k2[i >>> 4] >>> ((i & 15) << 1)) & 3;
  if (k > 2) throw new ProtocolError(`bb84.choices: intensity code ${k} out of range`);
  return k;
}

/** Bob's half: announce clicks and bases, learn Alice's choices, count test errors. */
export async function siftBb84Detector(ch: ClassicalChannel, frames: readonly Bb84DetectorFrame[]): Promise<Bb84SiftResult> {
  let detections = 0;
  const myBasis: Uint32Array[] = [];
  for (const f of frames) {
    const n = f.deltas.length;
    const basis = packFlags(f.basis);
    myBasis.push(basis);
    await ch.send({ type: 'bb84.clicks', firstSlot: f.firstSlot, count: n, deltas: encodeDeltas(f.deltas), basis });
    detections += n;
  }
  await ch.send({ type: 'bb84.clicks.end', frames: frames.length, detections });

  const kb = new KeyBuilder(detections);
  // Z matches: Bob's bit and intensity, to compare with Alice's disclosed bits
  const zBits = new Uint8Array(detections), zInt = new Uint8Array(detections);
  let nz = 0;
  const nX: [number, number, number] = [0, 0, 0], nZ: [number, number, number] = [0, 0, 0];
  for (let fi = 0; fi < frames.length; fi++) {
    const f = frames[fi];
    const msg = await expectMessage(ch, 'bb84.choices');
    const n = fieldOf<number>(msg, 'count', (v) => v === f.deltas.length, `the frame's click count ${f.deltas.length}`);
    const aBasis = checkFlags(fieldOf<Uint32Array>(msg, 'basis', isU32, 'a Uint32Array'), n);
    const aInt = checkCodes2(fieldOf<Uint32Array>(msg, 'intensity', isU32, 'a Uint32Array'), n);
    const bits = f.bit, mine = myBasis[fi];
    nz = matchFrame(n, aBasis, mine, null, aInt, bits, kb, zBits, zInt, nz, nX, nZ);
  }
  const test = await expectMessage(ch, 'bb84.test');
  fieldOf<number>(test, 'count', (v) => v === nz, `the number of matching Z clicks ${nz}`);
  const aBits = unpackFlags(fieldOf<Uint32Array>(test, 'bits', isU32, 'a Uint32Array'), nz);
  const mZ: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < nz; i++) mZ[zInt[i]] += aBits[i] ^ zBits[i];
  await ch.send({ type: 'bb84.testResult', nX, nZ, mZ });
  return { ...kb.done(), counts: { nX, nZ, mZ }, detections, disclosedTestBits: nz };
}

/** Alice's half: look up her choices for Bob's clicks, announce them, disclose her Z bits. */
export async function siftBb84Source(ch: ClassicalChannel, frames: readonly Bb84SourceFrame[]): Promise<Bb84SiftResult> {
  // Alice's records, walked in slot order while Bob's announcements arrive
  const cur = new SlotCursor(frames);
  const cap = recordCount(frames);
  const kb = new KeyBuilder(cap);
  const zBits = new Uint8Array(cap);
  let nz = 0, detections = 0, framesSeen = 0;
  const nX: [number, number, number] = [0, 0, 0], nZ: [number, number, number] = [0, 0, 0];
  for (;;) {
    const msg = await ch.receive();
    if (msg.type === 'bb84.clicks.end') {
      fieldOf<number>(msg, 'frames', (v) => v === framesSeen, `the ${framesSeen} frames received`);
      fieldOf<number>(msg, 'detections', (v) => v === detections, `the ${detections} clicks received`);
      break;
    }
    if (msg.type !== 'bb84.clicks') throw new ProtocolError(`expected 'bb84.clicks', got '${msg.type}'`);
    framesSeen++;
    const n = fieldOf<number>(msg, 'count', isNat, 'a count');
    const deltaBytes = fieldOf<Uint8Array>(msg, 'deltas', (v) => v instanceof Uint8Array, 'varint-coded deltas (Uint8Array)');
    // decoded only off the fast path (the fast path compares the varints with our own deltas in place)
    const atFrameStart = cur.ii === 0 && cur.fi < frames.length;
    let deltas: Uint32Array | null = atFrameStart ? null : decodeGaps(deltaBytes, n, msg.type);
    let slot = fieldOf<number>(msg, 'firstSlot', isNat, 'a slot index');
    const bWords = checkFlags(fieldOf<Uint32Array>(msg, 'basis', isU32, 'a Uint32Array'), n);
    let aBasis: Uint8Array, aInt: Uint8Array;
    const mine = atFrameStart ? frames[cur.fi] : undefined;
    if (mine !== undefined && cur.slot === slot && mine.deltas.length === n && (deltas === null ? varintsMatch(deltaBytes, n, mine.deltas) : sameDeltas(mine.deltas, deltas))) {
      // fast path: the announcement is exactly one of our frames (the fabric framed both views alike)
      const fb = mine.basis, fk = mine.intensity, fx = mine.bit;
      aBasis = fb; aInt = fk; // our own columns are the announcement
      const aWords = packFlags(fb);
      nz = matchFrame(n, aWords, bWords, fk, null, fx, kb, zBits, null, nz, nX, nZ);
      cur.nextFrame();
      detections += n;
      await ch.send({ type: 'bb84.choices', count: n, basis: aWords, intensity: packCodes2(aInt) });
      continue;
    } else {
      if (deltas === null) deltas = decodeGaps(deltaBytes, n, msg.type);
      const bBasis = unpackFlags(bWords, n);
      aBasis = new Uint8Array(n); aInt = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (i > 0) slot += deltas[i];
        while (cur.slot < slot) cur.advance();
        if (cur.slot !== slot) throw new ProtocolError(`bb84.clicks: slot ${slot} is not a slot the source has a record for`);
        const f = frames[cur.fi], ii = cur.ii;
        const b = f.basis[ii], k = f.intensity[ii];
        aBasis[i] = b; aInt[i] = k;
        if (b === bBasis[i]) {
          if (b === BASIS_X) { kb.push(f.bit[ii], k); nX[k]++; }
          else if (b === BASIS_Z) { zBits[nz++] = f.bit[ii]; nZ[k]++; }
        }
        cur.advance();
      }
    }
    detections += n;
    await ch.send({ type: 'bb84.choices', count: n, basis: packFlags(aBasis), intensity: packCodes2(aInt) });
  }
  await ch.send({ type: 'bb84.test', count: nz, bits: packFlags(zBits, nz) });
  const res = await expectMessage(ch, 'bb84.testResult');
  const pNX = fieldOf<number[]>(res, 'nX', isNatArray(3), 'three counts');
  const pNZ = fieldOf<number[]>(res, 'nZ', isNatArray(3), 'three counts');
  const mZ = fieldOf<number[]>(res, 'mZ', isNatArray(3), 'three counts');
  for (let k = 0; k < 3; k++) {
    if (pNX[k] !== nX[k] || pNZ[k] !== nZ[k]) throw new ProtocolError(`bb84.testResult: peer counts (${pNX}, ${pNZ}) differ from ours (${nX}, ${nZ})`);
    if (mZ[k] > nZ[k]) throw new ProtocolError(`bb84.testResult: mZ[${k}] = ${mZ[k]} exceeds nZ[${k}] = ${nZ[k]}`);
  }
  return { ...kb.done(), counts: { nX, nZ, mZ: [mZ[0], mZ[1], mZ[2]] }, detections, disclosedTestBits: nz };
}
