// Joint Bell-state measurement: when no single D node is free, the server interferes the two
// signals on its own 50:50 beam splitter and forwards the two output ports over different
// fibres to two D nodes (e.g. George and Henry), each gating two detectors on the early and
// late time bins. Reduction to an ordinary MDI link (docs/reference/physics-and-keyrates.md, "joint BSM";
// docs/ARCHITECTURE.md): the common part Lc = min(L1, L2) of the server-to-detector fibres acts
// after the beam splitter on both photons alike, so it is channel loss of both sides; the
// asymmetric part dL = |L1 - L2| only attenuates the longer port, i.e. it is an extra
// detection efficiency eta_dL = 10^(-alpha dL / 10) of that D node's detectors.
//
// Non-identical detectors: the Xu 2013 App. B model (mdi-model.ts) assumes four identical
// detectors. In the Z basis (early/late are orthogonal time modes, no interference) each photon
// leaves by either port with probability 1/2, so each is detected with the port-averaged
// efficiency eta = (eta1 + eta2)/2 exactly. In the X basis the HOM-correlated exit ports weight
// psi+ (same port) by (eta1^2 + eta2^2)/2 = eta^2 + d^2 and psi- (different ports) by
// eta1 eta2 = eta^2 - d^2, d = (eta1 - eta2)/2: the total X coincidence rate (psi+ and psi-
// equally populated for phase-randomised inputs) is again eta^2, only the psi+/psi- split moves by
// the relative amount (d/eta)^2 (5 % for a 10 km port asymmetry). We therefore use the arithmetic-
// mean efficiency and the mean dark-count probability; `mismatch` reports (d/eta)^2.
//
// Time-bin demultiplexing at the D nodes (reference hardware): the SPDs are gated once per pulse
// period (1 GHz) and the two time bins are 500 ps apart, so one SPD sees one bin. A node that
// reports early and late clicks of one port therefore splits the port on a passive 50:50 coupler
// onto an early-gated and a late-gated SPD: a photon reaches the SPD gated on its own bin with
// probability 1/2. Every click pattern of the joint BSM (psi-: one photon per port, different bins;
// psi+: both photons in one port, different bins) needs each photon on its own bin's SPD, so all
// two-photon coincidences scale by 1/4: exactly a per-photon efficiency of 1/2 at each port
// (`passiveBinSplit`, plus the coupler's excess loss).
//
// For comparison, a single relay measuring time bins with one SPD per beam-splitter output, one
// gated early and one late (David's SPD1/SPD3, docs/reference/reference-network.md), registers only one of the
// four patterns (port 1 early with port 2 late: half of psi-), also 1/4 of the coincidences Xu
// 2013 App. B counts: SINGLE_RELAY_TBP_PATTERNS.

import type { MdiLink } from './mdi-model.ts';

export interface DetectorNode {
  /** Fibre from the server's beam splitter to this D node, km. */
  fibreKm: number;
  /** Efficiency of its (early- and late-bin) detectors. */
  etaDet: number;
  /** Dark-count probability per gate of each of its detectors. */
  pDark: number;
  /** Extra loss between beam splitter and detectors (switch, connectors), dB. */
  extraLossDb?: number;
  /** The node's two SPDs are gated on one time bin each behind a passive 50:50 coupler (see
   *  header): efficiency x 1/2 x the coupler's excess loss. */
  passiveBinSplit?: { couplerExcessDb: number };
}

/** Fraction of a photon's detections kept by the passive early/late split of a D node (header). */
export const PASSIVE_BIN_SPLIT = 0.5;
/** Fraction of the Xu 2013 two-photon coincidences a single relay registers when it measures time
 *  bins with one early-gated and one late-gated SPD on the two beam-splitter outputs (header). */
export const SINGLE_RELAY_TBP_PATTERNS = 0.25;

export interface JointBsmConfig {
  /** Source A to the server's beam splitter, km. */
  lengthAKm: number;
  /** Source B to the server's beam splitter, km. */
  lengthBKm: number;
  /** Extra component loss before the beam splitter on each side, dB. */
  extraLossADb?: number;
  extraLossBDb?: number;
  /** The two D nodes on the beam splitter's output ports. */
  ports: [DetectorNode, DetectorNode];
  eMis: number;
  visibility?: number;
  alphaDbPerKm?: number;
}

export interface JointBsmEquivalent {
  link: MdiLink;
  /** Common server-to-detector fibre (counted as channel of both sides), km. */
  commonKm: number;
  /** Asymmetric part |L1 - L2|, km. */
  deltaKm: number;
  /** Extra detection efficiency of the longer port, 10^(-alpha dL/10) (and its extra loss). */
  etaDeltaL: number;
  /** Index (0 or 1) of the port that carries the asymmetric part. */
  longerPort: 0 | 1;
  /** Effective detector efficiency of each port (eta_det times its asymmetric part). */
  portEfficiency: [number, number];
  /** ((eta1 - eta2)/(eta1 + eta2))^2: relative shift of the psi+/psi- split neglected (see header). */
  mismatch: number;
}

const db = (x: number) => Math.pow(10, -x / 10);

export function jointBsmToMdiLink(cfg: JointBsmConfig): JointBsmEquivalent {
  const alpha = cfg.alphaDbPerKm ?? 0.2;
  const [p0, p1] = cfg.ports;
  for (const [name, v] of [['lengthAKm', cfg.lengthAKm], ['lengthBKm', cfg.lengthBKm], ['ports[0].fibreKm', p0.fibreKm], ['ports[1].fibreKm', p1.fibreKm]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`jointBsmToMdiLink: ${name} must be a finite length >= 0, got ${v}`);
  }
  const commonKm = Math.min(p0.fibreKm, p1.fibreKm);
  const deltaKm = Math.abs(p0.fibreKm - p1.fibreKm);
  const longerPort: 0 | 1 = p1.fibreKm > p0.fibreKm ? 1 : 0;
  const etaDeltaL = db(alpha * deltaKm);
  // Each port: its detectors, its own extra loss, and the asymmetric fibre if it is the longer one.
  const split = (p: DetectorNode) => (p.passiveBinSplit ? PASSIVE_BIN_SPLIT * db(p.passiveBinSplit.couplerExcessDb) : 1);
  const portEff = (p: DetectorNode, i: 0 | 1) => p.etaDet * split(p) * db(p.extraLossDb ?? 0) * (i === longerPort ? etaDeltaL : 1);
  const portEfficiency: [number, number] = [portEff(p0, 0), portEff(p1, 1)];
  const etaDetEq = (portEfficiency[0] + portEfficiency[1]) / 2;
  const common = db(alpha * commonKm);
  const link: MdiLink = {
    etaA: db(alpha * cfg.lengthAKm + (cfg.extraLossADb ?? 0)) * common * etaDetEq,
    etaB: db(alpha * cfg.lengthBKm + (cfg.extraLossBDb ?? 0)) * common * etaDetEq,
    pDark: (p0.pDark + p1.pDark) / 2,
    eMis: cfg.eMis,
    ...(cfg.visibility !== undefined ? { visibility: cfg.visibility } : {}),
  };
  const s = portEfficiency[0] + portEfficiency[1];
  const mismatch = s > 0 ? ((portEfficiency[0] - portEfficiency[1]) / s) ** 2 : 0;
  return { link, commonKm, deltaKm, etaDeltaL, longerPort, portEfficiency, mismatch };
}
