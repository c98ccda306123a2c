// Detection-event sampler for MDI-QKD through the server's joint BSM (two D nodes on the two
// output ports of the server's beam splitter, each gating an early- and a late-bin detector).
// The rates are the MDI model's for the equivalent link (jointBsmToMdiLink, joint-bsm.ts); what
// changes is who sees what: no single relay holds the Bell state. Each D node only sees its own
// clicks in the successful slots; the server combines the two click records into the
// announcement (combineJointBsm), as it would on the real network.
//
// Time-bin BSM patterns (Ma, Razavi, PRA 86, 062319 (2012), Sec. II; psi- = clicks in different
// ports and different bins, psi+ = the same port clicks in both bins): given psi-, port 0 sees
// early and port 1 late or the reverse (1/2 each); given psi+, one port sees both bins (1/2 each).
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { type JointBsmConfig, jointBsmToMdiLink } from './joint-bsm.ts';
import { type EventFrame, frameSlots, type SlotFrame, sampleEventFrames } from './sampler-core.ts';
import { type MdiOutcomeLaw, mdiOutcomeLaw, type MdiRelayFrame, type MdiSourceFrame, type MdiSourceParams, PSI_MINUS, PSI_PLUS } from './sampler-mdi.ts';

/** Click pattern of one D node in one slot: 1 early bin, 2 late bin, 3 both. */
export const BIN_EARLY = 1;
export const BIN_LATE = 2;

export interface DetectorNodeFrame extends SlotFrame { readonly bins: Uint8Array }

export interface JointBsmFrames { a: MdiSourceFrame; b: MdiSourceFrame; ports: [DetectorNodeFrame, DetectorNodeFrame] }

export interface JointBsmRunConfig {
  pulses: number;
  params: MdiSourceParams;
  bsm: JointBsmConfig;
  seed: number | string;
  maxFrameEvents?: number;
}

function buildPortFrame(slots: Float64Array, bins: Uint8Array, keep: Uint8Array, count: number): DetectorNodeFrame {
  const deltas = new Uint32Array(count), out = new Uint8Array(count);
  let j = 0, prev = 0, first = 0;
  for (let i = 0; i < slots.length; i++) {
    if (!keep[i]) continue;
    if (j === 0) first = slots[i]; else deltas[j] = slots[i] - prev;
    prev = slots[i]; out[j++] = bins[i];
  }
  return { firstSlot: first, deltas, bins: out };
}

function decodeJoint(f: EventFrame, law: MdiOutcomeLaw, nextWord: () => number): JointBsmFrames {
  const n = f.outcome.length, o = f.outcome;
  const ia = new Uint8Array(n), ib = new Uint8Array(n), xa = new Uint8Array(n), xb = new Uint8Array(n);
  const bins0 = new Uint8Array(n), bins1 = new Uint8Array(n);
  let c0 = 0, c1 = 0, word = 0;
  for (let i = 0; i < n; i++) {
    const j = o[i];
    if ((i & 31) === 0) word = nextWord();
    ia[i] = law.intensityA[j]; ib[i] = law.intensityB[j]; xa[i] = law.bitA[j]; xb[i] = law.bitB[j];
    const side = (word >>> (i & 31)) & 1; // a fair coin per success
    if (law.bell[j] === PSI_MINUS) {
      bins0[i] = side ? BIN_EARLY : BIN_LATE; bins1[i] = side ? BIN_LATE : BIN_EARLY; c0++; c1++;
    } else if (side) { bins0[i] = BIN_EARLY | BIN_LATE; c0++; } else { bins1[i] = BIN_EARLY | BIN_LATE; c1++; }
  }
  const slots = frameSlots(f);
  const frame = { firstSlot: f.firstSlot, deltas: f.deltas };
  return {
    a: { ...frame, intensity: ia, bit: xa }, b: { ...frame, intensity: ib, bit: xb },
    ports: [buildPortFrame(slots, bins0, bins0, c0), buildPortFrame(slots, bins1, bins1, c1)],
  };
}

/** Frames of a joint-BSM MDI run: the two sources' views and each D node's own clicks. */
export function* sampleJointBsmFrames(cfg: JointBsmRunConfig, rng: Rng = createRng(cfg.seed)): Generator<JointBsmFrames> {
  const law = mdiOutcomeLaw(cfg.params, jointBsmToMdiLink(cfg.bsm).link);
  const patternRng = rng.fork();
  for (const f of sampleEventFrames(rng, cfg.pulses, law, { maxFrameEvents: cfg.maxFrameEvents })) yield decodeJoint(f, law, () => patternRng.nextUint32());
}

/**
 * The server's combination of the two D nodes' click records into Bell-state announcements:
 * a slot where both ports clicked is psi-; a slot where one port clicked in both bins is psi+.
 * Inputs are the two ports' frame lists (any framing); output one relay frame.
 */
export function combineJointBsm(port0: readonly DetectorNodeFrame[], port1: readonly DetectorNodeFrame[]): MdiRelayFrame {
  const flat = (fs: readonly DetectorNodeFrame[]) => {
    const n = fs.reduce((s, f) => s + f.deltas.length, 0);
    const slots = new Float64Array(n), bins = new Uint8Array(n);
    let k = 0;
    for (const f of fs) { const s = frameSlots(f); slots.set(s, k); bins.set(f.bins, k); k += s.length; }
    return { slots, bins };
  };
  const p = flat(port0), q = flat(port1);
  const cap = p.slots.length + q.slots.length;
  const deltas = new Uint32Array(cap), bell = new Uint8Array(cap);
  let i = 0, j = 0, n = 0, prev = 0, first = 0;
  const emit = (slot: number, b: number) => {
    if (n === 0) first = slot;
    else if (slot - prev > 0xffffffff) throw new RangeError(`combineJointBsm: gap ${slot - prev} exceeds 32 bits`);
    else deltas[n] = slot - prev;
    prev = slot; bell[n++] = b;
  };
  while (i < p.slots.length || j < q.slots.length) {
    const si = i < p.slots.length ? p.slots[i] : Infinity, sj = j < q.slots.length ? q.slots[j] : Infinity;
    if (si === sj) {
      if (p.bins[i] !== 3 && q.bins[j] !== 3 && p.bins[i] !== q.bins[j]) emit(si, PSI_MINUS);
      i++; j++;
    } else if (si < sj) { if (p.bins[i] === 3) emit(si, PSI_PLUS); i++; } else { if (q.bins[j] === 3) emit(sj, PSI_PLUS); j++; }
  }
  return { firstSlot: first, deltas: deltas.slice(0, n), bell: bell.slice(0, n) };
}
