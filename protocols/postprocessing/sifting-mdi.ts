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
import { MDI_INTENSITIES, mdiBasisOfPair, mdiBobFlips, type MdiRelayFrame, type MdiSourceFrame } from '../physics/sampler-mdi.ts';
import { type ClassicalChannel, expectMessage, ProtocolError } from './channel.ts';
import { fieldOf, isNat, isU32, packCodes2, packFlags, unpackCodes2, unpackFlags } from './announce.ts';

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
    const msg = { type: 'mdi.bsm', firstSlot: f.firstSlot, count: f.deltas.length, deltas: f.deltas, bell: packFlags(f.bell) };
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
  let fi = 0, ii = 0;
  while (fi < frames.length && frames[fi].deltas.length === 0) fi++;
  let mySlot = fi < frames.length ? frames[fi].firstSlot : Infinity;
  const advance = () => {
    ii++;
    if (fi < frames.length && ii < frames[fi].deltas.length) { mySlot += frames[fi].deltas[ii]; return; }
    fi++; ii = 0;
    while (fi < frames.length && frames[fi].deltas.length === 0) fi++;
    mySlot = fi < frames.length ? frames[fi].firstSlot : Infinity;
  };
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
    const deltas = fieldOf<Uint32Array>(msg, 'deltas', (v) => v instanceof Uint32Array && v.length === n, `a Uint32Array of ${n} deltas`);
    let slot = fieldOf<number>(msg, 'firstSlot', isNat, 'a slot index');
    const bell = unpackFlags(fieldOf<Uint32Array>(msg, 'bell', isU32, 'a Uint32Array'), n);
    const it = new Uint8Array(n), bt = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (i > 0) slot += deltas[i];
      while (mySlot < slot) advance();
      if (mySlot !== slot) throw new ProtocolError(`mdi.bsm: slot ${slot} is not a slot this source has a record for`);
      it[i] = frames[fi].intensity[ii]; bt[i] = frames[fi].bit[ii];
      advance();
    }
    intens.push(it); bits.push(bt); bells.push(bell);
    successes += n;
    await peer.send({ type: 'mdi.choices', count: n, intensity: packCodes2(it) });
  }
  // the peer's intensity codes, frame by frame
  const kw = new Uint32Array(wordsFor(successes));
  let nk = 0;
  const n: Record<string, number> = {}, m: Record<string, number> = {};
  const testBits = new Uint8Array(successes), testPair = new Uint16Array(successes);
  let nt = 0;
  for (let f = 0; f < intens.length; f++) {
    const c = await expectMessage(peer, 'mdi.choices');
    const cnt = fieldOf<number>(c, 'count', (v) => v === intens[f].length, `the frame's success count ${intens[f].length}`);
    const other = unpackCodes2(fieldOf<Uint32Array>(c, 'intensity', isU32, 'a Uint32Array'), cnt);
    const mine = intens[f], b = bits[f], be = bells[f];
    for (let i = 0; i < cnt; i++) {
      const l = role === 'a' ? mine[i] : other[i], r = role === 'a' ? other[i] : mine[i];
      const p = l * 4 + r;
      const key = pairName(l, r);
      n[key] = (n[key] ?? 0) + 1;
      const basis = mdiBasisOfPair(l, r);
      if (basis === 'mixed') continue;
      const bit = role === 'b' ? b[i] ^ mdiBobFlips(basis, be[i]) : b[i];
      if (l === 0 && r === 0) { if (bit) kw[nk >>> 5] |= 1 << (nk & 31); nk++; }
      else if (basis === 1) { testBits[nt] = bit; testPair[nt++] = p; }
    }
  }
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
    for (let i = 0; i < nt; i++) {
      const key = pairName(testPair[i] >> 2, testPair[i] & 3);
      m[key] = (m[key] ?? 0) + (theirs[i] ^ testBits[i]);
    }
    for (const k of Object.keys(n)) if (mdiBasisOfPair(MDI_INTENSITIES.indexOf(k.split('-')[0] as never), MDI_INTENSITIES.indexOf(k.split('-')[1] as never)) === 1) m[k] = m[k] ?? 0;
    await peer.send({ type: 'mdi.testResult', n, m });
  }
  return { key: { length: nk, words: kw.slice(0, wordsFor(nk)) }, counts: { pulses, n, m }, successes, disclosedTestBits: nt };
}
