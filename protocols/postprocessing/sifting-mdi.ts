// Sifting of four-intensity MDI-QKD (Zhou, Yu, Wang, PRA 93, 042324 (2016); Wei et al., PRX 10,
// 031030 (2020) App. A). Three halves, each over its own ClassicalChannel(s):
//   relay -> A and B  mdi.bsm      {firstSlot, count, deltas, bell}  successful BSMs of a frame
//   relay -> A and B  mdi.bsm.end  {frames, successes}
//   A <-> B           mdi.choices  {count, intensity}   each side's intensity code per success
//   A -> B            mdi.test     {count, bits}        A's bits of every same-basis X-window success
//   B -> A            mdi.testResult {n, m}             counts and errors per intensity pair
// The Z window (both sent s) is the sifted key; Bob flips his bit for every Z success (psi+ or
// psi-); in X he flips for psi- (Lo, Curty, Qi, PRL 108, 130503 (2012)).
import { type BitString, wordsFor } from '../bits.ts';
import type { MdiCounts, MdiPair } from '../keyrate/mdi-finite.ts';
import { MDI_INTENSITIES, mdiBasisOfPair, PSI_MINUS, type MdiRelayFrame, type MdiSourceFrame } from '../physics/sampler-mdi.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { SlotCursor } from './slot-cursor.ts';
import { decodeGaps, encodeDeltas, fieldOf, isNat, isU32, packCodes2, packFlags, unpackCodes2, unpackFlags } from './announce.ts';

export interface MdiSiftResult {
  /** Sifted Z-window key (Alice: her bits; Bob: his bits after the Bell-state flip). */
  key: BitString;
  /** Successes and errors per intensity pair "alice-bob" (errors of the X window; s-s errors come from EC). */
  counts: MdiCounts;
  successes: number;
  disclosedTestBits: number;
}

/** The relay's half: announce every successful BSM to both sources. */
export async function announceMdiRelay(toA: ClassicalChannel, toB: ClassicalChannel, frames: readonly MdiRelayFrame[]): Promise<number> {
  let total = 0;
  for (const f of frames) {
    const msg = { type: 'mdi.bsm', firstSlot: f.firstSlot, count: f.deltas.length, deltas: encodeDeltas(f.deltas), bell: packFlags(f.bell) };
    await toA.send(msg); await toB.send(msg);
    total += f.deltas.length;
  }
  const end = { type: 'mdi.bsm.end', frames: frames.length, successes: total };
  await toA.send(end); await toB.send(end);
  return total;
}

const pairName = (l: number, r: number) => `${MDI_INTENSITIES[l]}-${MDI_INTENSITIES[r]}` as MdiPair;

/** A source's half ('a' = Alice, holds the reference bits; 'b' = Bob, flips). */
export async function siftMdiSource(relay: ClassicalChannel, peer: ClassicalChannel, frames: readonly MdiSourceFrame[], role: 'a' | 'b', pulses: number): Promise<MdiSiftResult> {
  // Walk our own records in slot order while the relay's announcements arrive.
  const cur = new SlotCursor(frames);
  const intens: Uint8Array[] = [], bits: Uint8Array[] = [], bells: Uint8Array[] = [];
  let successes = 0, framesSeen = 0;
  for (;;) {
    const msg = await relay.receive();
    if (msg.type === 'mdi.bsm.end') {
      fieldOf<number>(msg, 'frames', (v) => v === framesSeen, `the ${framesSeen} frames received`);
      fieldOf<number>(msg, 'successes', (v) => v === successes, `the ${successes} successes received`);
      break;
    }
    if (msg.type !== 'mdi.bsm') throw new ProtocolError(`expected 'mdi.bsm', got '${msg.type}'`);
    framesSeen++;
    const n = fieldOf<number>(msg, 'count', isNat, 'a count');
    const deltas = decodeGaps(fieldOf<Uint8Array>(msg, 'deltas', (v) => v instanceof Uint8Array, 'varint-coded deltas (Uint8Array)'), n, msg.type);
    let slot = fieldOf<number>(msg, 'firstSlot', isNat, 'a slot index');
    const bell = unpackFlags(fieldOf<Uint32Array>(msg, 'bell', isU32, 'a Uint32Array'), n);
    const it = new Uint8Array(n), bt = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (i > 0) slot += deltas[i];
      while (cur.slot < slot) cur.advance();
      if (cur.slot !== slot) throw new ProtocolError(`mdi.bsm: slot ${slot} is not a slot this source has a record for`);
      it[i] = frames[cur.fi].intensity[cur.ii]; bt[i] = frames[cur.fi].bit[cur.ii];
      cur.advance();
    }
    intens.push(it); bits.push(bt); bells.push(bell);
    successes += n;
    await peer.send({ type: 'mdi.choices', count: n, intensity: packCodes2(it) });
  }
  // the peer's intensity codes, frame by frame
  const kw = new Uint32Array(wordsFor(successes));
  let nk = 0;
  const n: Record<string, number> = {}, m: Record<string, number> = {};
  const cnt16 = new Float64Array(16), err16 = new Float64Array(16);
  const basisOf = new Int8Array(16); // 0 Z, 1 X, -1 mixed
  for (let l = 0; l < 4; l++) for (let r = 0; r < 4; r++) { const b = mdiBasisOfPair(l, r); basisOf[l * 4 + r] = b === 'mixed' ? -1 : b; }
  const flipZ = role === 'b' ? 1 : 0;
  const testBits = new Uint8Array(successes), testPair = new Uint8Array(successes);
  let nt = 0;
  for (let f = 0; f < intens.length; f++) {
    const c = await expectMessage(peer, 'mdi.choices');
    const cnt = fieldOf<number>(c, 'count', (v) => v === intens[f].length, `the frame's success count ${intens[f].length}`);
    const other = unpackCodes2(fieldOf<Uint32Array>(c, 'intensity', isU32, 'a Uint32Array'), cnt);
    const mine = intens[f], b = bits[f], be = bells[f];
    const left = role === 'a' ? mine : other, right = role === 'a' ? other : mine;
    for (let i = 0; i < cnt; i++) {
      const p = left[i] * 4 + right[i];
      cnt16[p]++;
      const basis = basisOf[p];
      if (basis < 0) continue;
      // Bob flips for every Z success and for psi- in X (mdiBobFlips)
      const bit = b[i] ^ (flipZ & (basis === 0 ? 1 : be[i] === PSI_MINUS ? 1 : 0));
      if (p === 0) { if (bit) kw[nk >>> 5] |= 1 << (nk & 31); nk++; }
      else if (basis === 1) { testBits[nt] = bit; testPair[nt++] = p; }
    }
  }
  for (let p = 0; p < 16; p++) if (cnt16[p] > 0) n[pairName(p >> 2, p & 3)] = cnt16[p];
  if (role === 'a') {
    await peer.send({ type: 'mdi.test', count: nt, bits: packFlags(testBits, nt) });
    const res = await expectMessage(peer, 'mdi.testResult');
    const pn = res.n as Record<string, number> | undefined, pm = res.m as Record<string, number> | undefined;
    if (typeof pn !== 'object' || pn === null || typeof pm !== 'object' || pm === null) throw new ProtocolError("mdi.testResult: fields 'n' and 'm' must be objects");
    for (const k of Object.keys(n)) if (pn[k] !== n[k]) throw new ProtocolError(`mdi.testResult: peer counts ${k} = ${pn[k]}, ours ${n[k]}`);
    for (const [k, v] of Object.entries(pm)) { if (!isNat(v) || v > (n[k] ?? 0)) throw new ProtocolError(`mdi.testResult: bad error count ${k} = ${v}`); m[k] = v; }
  } else {
    const t = await expectMessage(peer, 'mdi.test');
    fieldOf<number>(t, 'count', (v) => v === nt, `the number of X-window successes ${nt}`);
    const theirs = unpackFlags(fieldOf<Uint32Array>(t, 'bits', isU32, 'a Uint32Array'), nt);
    for (let i = 0; i < nt; i++) err16[testPair[i]] += theirs[i] ^ testBits[i];
    for (let p = 1; p < 16; p++) if (cnt16[p] > 0 && basisOf[p] === 1) m[pairName(p >> 2, p & 3)] = err16[p];
    await peer.send({ type: 'mdi.testResult', n, m });
  }
  return { key: { length: nk, words: kw.slice(0, wordsFor(nk)) }, counts: { pulses, n, m }, successes, disclosedTestBits: nt };
}
