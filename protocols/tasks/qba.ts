// Quantum Byzantine agreement built from three-party QDS (Weng et al., "Beating the fault-tolerance
// bound and security loopholes for Byzantine agreement with a quantum solution", Research 6, 0272
// (2023)); spec: docs/reference/quantum-tasks.md, "QBA". This file holds the pieces of one
// multicast round that both the in-process model (qba-sim.ts) and the multicast-round actor use:
//
//   QBA(P, S, d): P signs its payload for the backups S; for every forwarder F in S and verifier
//   V in S \ {F} one three-party QDS (signer P, forwarder F, verifier V). If d > 1 every backup j
//   runs QBA(j, S \ {j}, d - 1), relaying what it accepted from P.
//
// A payload is a list of items (value, chain): chain[0] is the primary, the last entry is the
// round's signer, so a relayed item says "P signed v, then j1, ..., jk relayed it". The last link is
// checked by the round's QDS (real keys, real verdicts); the earlier links by a signature registry
// (signatures are transferable along the chain: a relay cannot claim P signed what P never signed).
// The bounds on N, f and d under which this gives agreement and validity: qba-bounds.ts.
import type { NodeId } from '../types.ts';
import { qdsDegreeForMessage } from './qds.ts';

export type Value = string;
/** The default decision when the primary is shown to be faulty. */
export const BOTTOM: Value = '⊥';
/** Items an honest signer ever puts in a payload: two distinct values already prove P faulty. */
export const MAX_ITEMS = 2;

export interface Item { readonly value: Value; readonly chain: readonly NodeId[] }

export interface RoundSpec {
  /** Who signs in this round (P at the root, the relaying backup below). */
  readonly signer: NodeId;
  readonly backups: readonly NodeId[];
  /** Remaining depth d >= 1. */
  readonly depth: number;
  /** [P, j1, ..., signer]: the chain every item of this round carries. */
  readonly path: readonly NodeId[];
}

export interface QdsRunSpec { readonly forwarder: NodeId; readonly verifier: NodeId }

export interface MulticastRoundPlan extends RoundSpec {
  /** Stable id of the round: the path joined by '>'. */
  readonly id: string;
  /** One three-party QDS (signer, forwarder, verifier) per ordered pair of distinct backups. */
  readonly runs: readonly QdsRunSpec[];
  /** The sub-rounds QBA(j, S \ {j}, d - 1) to spawn once this round is over (empty when d = 1). */
  readonly children: readonly RoundSpec[];
}

/** Plan one multicast round QBA(signer, backups, depth). */
export function planMulticastRound(signer: NodeId, backups: readonly NodeId[], depth: number, path: readonly NodeId[] = [signer]): MulticastRoundPlan {
  if (!(Number.isInteger(depth) && depth >= 1)) throw new RangeError(`planMulticastRound: depth must be an integer >= 1, got ${depth}`);
  if (backups.includes(signer)) throw new RangeError(`planMulticastRound: signer ${signer} cannot be its own backup`);
  if (new Set(backups).size !== backups.length) throw new RangeError('planMulticastRound: duplicate backups');
  if (path[path.length - 1] !== signer) throw new RangeError('planMulticastRound: path must end with the signer');
  const runs: QdsRunSpec[] = [];
  for (const forwarder of backups) for (const verifier of backups) if (verifier !== forwarder) runs.push({ forwarder, verifier });
  const children: RoundSpec[] = depth > 1 && backups.length > 1
    ? backups.map((j) => ({ signer: j, backups: backups.filter((b) => b !== j), depth: depth - 1, path: [...path, j] }))
    : [];
  return { signer, backups: [...backups], depth, path: [...path], id: path.join('>'), runs, children };
}

/** Plan of a child spec. */
export function planChild(spec: RoundSpec): MulticastRoundPlan {
  return planMulticastRound(spec.signer, spec.backups, spec.depth, spec.path);
}

/** Every multicast round of a broadcast, root first (depth-first). */
export function expandRounds(root: MulticastRoundPlan): MulticastRoundPlan[] {
  const out: MulticastRoundPlan[] = [root];
  for (const c of root.children) out.push(...expandRounds(planChild(c)));
  return out;
}

/** (N-1)(N-2)...(N-k-1): k+1 factors. */
function fallingFrom(N: number, factors: number): number {
  let p = 1;
  for (let i = 1; i <= factors; i++) p *= N - i;
  return p;
}

/** QDS runs of one broadcast: sum_{k=1..d} (N-1)(N-2)...(N-k-1) (spec). */
export function qbaQdsRunsFormula(N: number, d: number): number {
  let s = 0;
  for (let k = 1; k <= d; k++) s += fallingFrom(N, k + 1);
  return s;
}

/** Multicast rounds of one broadcast: 1 + (N-1) + (N-1)(N-2) + ... (d terms). */
export function qbaMulticastRoundsFormula(N: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += fallingFrom(N, k);
  return s;
}

/** Key bits a multicast round withdraws per pool ("A|B" sorted): each run takes 2n bits from the
 *  signer's pool with the forwarder and 2n from its pool with the verifier, so the pool with a
 *  backup x serves 2(b - 1) runs of a round with b backups. */
export function multicastRoundKeyBits(round: MulticastRoundPlan, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (peer: NodeId) => {
    const k = round.signer < peer ? `${round.signer}|${peer}` : `${peer}|${round.signer}`;
    out[k] = (out[k] ?? 0) + 2 * n;
  };
  for (const r of round.runs) { add(r.forwarder); add(r.verifier); }
  return out;
}

/** Key bits one broadcast QBA(primary, nodes \ {primary}, depth) withdraws by size, per initiator
 *  and peer ("A>B": A withdraws from its lane of the A-B pool): 2n for each of the signer's two links
 *  of every run, and `authBitsPerRun` on the forwarder's link to the verifier (the authenticated F-V
 *  channel). Every planned run withdraws, whatever the parties then do. */
export function qbaKeyDemand(nodes: readonly NodeId[], primary: NodeId, depth: number, n: number, authBitsPerRun: number): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (a: NodeId, b: NodeId, bits: number) => { out[`${a}>${b}`] = (out[`${a}>${b}`] ?? 0) + bits; };
  for (const round of expandRounds(planMulticastRound(primary, nodes.filter((x) => x !== primary), depth))) {
    for (const r of round.runs) {
      add(round.signer, r.forwarder, 2 * n);
      add(round.signer, r.verifier, 2 * n);
      add(r.forwarder, r.verifier, authBitsPerRun);
    }
  }
  return out;
}

/** Classical messages per QDS run: S -> F (M, Sig); F -> V (M, Sig, X_F, Y_F); V -> F (X_V, Y_V). */
export const MESSAGES_PER_QDS_RUN = 3;

/** Lamport, Shostak, Pease, "The Byzantine generals problem", ACM TOPLAS 4 (1982), OM(m):
 *  M(n, 0) = n - 1, M(n, m) = (n - 1) + (n - 1) M(n - 1, m - 1) messages. */
export function omMessages(n: number, m: number): number {
  if (m === 0) return n - 1;
  return (n - 1) + (n - 1) * omMessages(n - 1, m - 1);
}

/** OM(m) tolerates m traitors only when n > 3m (Lamport et al. 1982, Theorem 1). */
export function omTolerates(n: number, m: number): boolean { return n > 3 * m; }

/** Decision rule (spec step 3; choice(V) of Lamport, Shostak, Pease 1982, Sect. 4, SM(m)): exactly
 *  one distinct value signed by P -> that value; none or several -> BOTTOM. Guaranteed to give
 *  agreement and validity inside the bounds of qba-bounds.ts. */
export function decide(valuesSeen: Iterable<Value>): Value {
  const distinct = new Set(valuesSeen);
  if (distinct.size === 1) return distinct.values().next().value as Value;
  return BOTTOM;
}

/** Payload of the root round: P's value under its own signature. */
export function primaryPayload(primary: NodeId, value: Value): Item[] {
  if (value === BOTTOM) throw new RangeError(`primaryPayload: ${BOTTOM} is reserved for the default decision`);
  return [{ value, chain: [primary] }];
}

/** Payload an honest backup relays in its sub-round: the distinct values it accepted in the
 *  parent round (at most MAX_ITEMS, smallest first so every honest relay picks the same ones),
 *  each with the chain extended by its own name. */
export function relayPayload(round: RoundSpec, acceptedInParent: readonly Item[]): Item[] {
  const values = [...new Set(acceptedInParent.map((i) => i.value))].sort().slice(0, MAX_ITEMS);
  return values.map((value) => ({ value, chain: [...round.path] }));
}

/** Who signed what, for the earlier links of a chain. */
export interface SignatureRegistry {
  record(signer: NodeId, item: Item): void;
  has(signer: NodeId, item: Item): boolean;
}

export function createSignatureRegistry(): SignatureRegistry {
  const set = new Set<string>();
  const key = (signer: NodeId, item: Item) => `${signer}\u0000${item.chain.join('\u0001')}\u0000${item.value}`;
  return { record: (s, i) => { set.add(key(s, i)); }, has: (s, i) => set.has(key(s, i)) };
}

/** Items of a verified payload that an honest node accepts in `round`: the chain must be the
 *  round's path, every earlier link must really have been signed by its node, and the payload must
 *  not exceed MAX_ITEMS (an honest signer never sends more). */
export function acceptItems(round: RoundSpec, items: readonly Item[], registry: SignatureRegistry): Item[] {
  if (items.length > MAX_ITEMS) return [];
  const out: Item[] = [];
  for (const it of items) {
    if (it.value === BOTTOM || it.chain.length !== round.path.length) continue;
    if (!it.chain.every((c, i) => c === round.path[i])) continue;
    let ok = true;
    for (let i = 0; i < it.chain.length - 1 && ok; i++) ok = registry.has(it.chain[i], { value: it.value, chain: it.chain.slice(0, i + 1) });
    if (ok) out.push(it);
  }
  return out;
}

// Wire form of a payload: u32 item count, then per item: u32 chain length, chain names, value;
// strings as u32 byte length + UTF-8. Deterministic, so signer and verifiers hash the same bytes.
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodePayload(items: readonly Item[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v); parts.push(b); };
  const str = (s: string) => { const b = enc.encode(s); u32(b.length); parts.push(b); };
  u32(items.length);
  for (const it of items) { u32(it.chain.length); it.chain.forEach(str); str(it.value); }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Inverse of encodePayload; undefined when the bytes are not a well-formed payload. */
export function decodePayload(bytes: Uint8Array): Item[] | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const u32 = () => { if (o + 4 > bytes.length) throw new Error('short'); const v = dv.getUint32(o); o += 4; return v; };
  const str = () => { const n = u32(); if (o + n > bytes.length) throw new Error('short'); const s = dec.decode(bytes.subarray(o, o + n)); o += n; return s; };
  try {
    const count = u32();
    if (count > 1024) return undefined;
    const items: Item[] = [];
    for (let i = 0; i < count; i++) {
      const cl = u32();
      if (cl > 1024) return undefined;
      const chain: NodeId[] = [];
      for (let j = 0; j < cl; j++) chain.push(str());
      items.push({ value: str(), chain });
    }
    return o === bytes.length ? items : undefined;
  } catch { return undefined; }
}

/** Upper bound on an honest payload's size: MAX_ITEMS items of a value of `valueChars` UTF-16
 *  units (<= 3 UTF-8 bytes each) with chains of up to `nodes` names of `nameChars` units. */
export function maxPayloadBytes(valueChars: number, nodes: number, nameChars = 32): number {
  return 4 + MAX_ITEMS * (4 + nodes * (4 + 3 * nameChars) + 4 + 3 * valueChars);
}

/** A byte string (e.g. a trade file) as a value: one UTF-16 unit per byte, exact and reversible. */
export function bytesToValue(bytes: Uint8Array): Value {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** QDS string length n for a QBA broadcast of values up to `valueChars` UTF-16 units among
 *  `nodes` nodes: the secret-key bound on the largest honest payload (qds.ts). */
export function qbaStringLength(valueChars: number, nodes: number, eps = 1e-10): number {
  return qdsDegreeForMessage(maxPayloadBytes(valueChars, nodes), eps);
}
