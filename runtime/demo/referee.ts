// The referee's columns of the demo report, from each session's own result: the planner's
// prediction, the run-to-run spread at the run's parameters (protocols/keyrate/spread.ts), our
// l_sec restated at the published f (same counts, leak f_pub l_sift h(e_b): protocols/keyrate/
// restate.ts) so that what remains against the published row is physics, and for each MDI row the
// HOM visibility that would explain the published l_sec (protocols/keyrate/referee.ts). Plus the
// joint BSM's derived optics and their sensitivity to the unpublished port fibres.
import type { Topology } from '../../infra/topology.ts';
import { protocolOf, SESSION_PROTOCOLS } from '../../protocols/qkd/registry.ts';
import { residualSdOf } from '../../actors/node/devices.ts';
import { DEFAULT_SERVER } from '../../actors/server/orchestration-view.ts';
import { keySpread, type KeySpread } from '../../protocols/keyrate/spread.ts';
import { keyAtLeak, leakAtEfficiency } from '../../protocols/keyrate/restate.ts';
import { diagnoseVisibility, type VisibilityDiagnosis } from '../../protocols/keyrate/referee.ts';
import { calibratedLink, REFERENCE_MDI_ROWS, REFERENCE_RELAY_KM, type MdiRowCalibration } from '../../protocols/keyrate/mdi-reference.ts';
import { calibratedJointBsm, jointBsmSensitivity, type JointBsmSensitivityRow } from '../../protocols/keyrate/joint-bsm-reference.ts';
import { jointBsmToMdiLink, type JointBsmConfig } from '../../protocols/physics/joint-bsm.ts';
import type { MdiLink } from '../../protocols/physics/mdi-model.ts';
import type { PublishedQkd } from './published.ts';

export interface RowReferee {
  predicted?: { lSift: number; eB: number; lSec: number };
  spread?: KeySpread;
  /** Our l_sec with the leak the published f would have disclosed on our l_sift and e_b. */
  lSecAtPublishedF?: number;
  visibility?: VisibilityDiagnosis;
}

interface MdiCalFile { mdi?: { hom?: { visibility?: number }; links?: Record<string, { lengthAKm: number; lengthBKm: number; extraLossDb: number; eMis: number; params: MdiRowCalibration['params'] }> } }

export function loadMdiCalibration(topology: Topology): MdiCalFile | undefined {
  return topology.mdiCalibrationData as MdiCalFile | undefined;
}

const initials = (p: PublishedQkd) => `${p.a[0]}-${p.b[0]}`;

function rowCalibration(cal: MdiCalFile | undefined, pair: string): MdiRowCalibration | undefined {
  const c = cal?.mdi?.links?.[pair];
  return c && { pair, lengthAKm: c.lengthAKm, lengthBKm: c.lengthBKm, extraLossDb: c.extraLossDb, eMis: c.eMis, visibility: cal!.mdi!.hom?.visibility ?? 1, params: c.params };
}

/** The visibility diagnosis of a published MDI row (independent of our run). */
export function visibilityOf(p: PublishedQkd, cal: MdiCalFile | undefined): VisibilityDiagnosis | undefined {
  const row = REFERENCE_MDI_ROWS.find((r) => r.pair === initials(p));
  const c = rowCalibration(cal, initials(p));
  return row && c ? diagnoseVisibility(row, c) : undefined;
}

/** Spread at the run's own link, parameters and size; with the topology, the participants'
 *  calibration residuals vary from run to run as well. */
export function spreadOf(r: Record<string, any>, topology?: Topology): KeySpread | undefined {
  if (!r.link || !r.params || !(r.pulses > 0)) return undefined;
  const names: string[] = [r.a, r.b, ...(r.relay?.kind === 'single' || r.relay?.kind === 'source' ? [r.relay.node] : r.relay?.kind === 'joint' ? r.relay.nodes : [])];
  const nodes = topology ? names.flatMap((n) => topology.nodes.filter((x) => x.name === n)).map((n) => ({ type: n.type, dof: n.dof, ownConverter: n.type === 'C' })) : [];
  const sd = residualSdOf(nodes);
  const input = (SESSION_PROTOCOLS as string[]).includes(r.protocol) ? protocolOf(r.protocol).spreadInput?.(r.link, r.params, r.pulses) : undefined;
  return input && keySpread(input, 40, 'key-spread', sd);
}

export function refereeOf(p: PublishedQkd, r: Record<string, any>, visibility?: VisibilityDiagnosis, topology?: Topology): RowReferee {
  const out: RowReferee = {};
  const pr = r.prediction;
  if (pr) out.predicted = { lSift: pr.siftedBits, eB: pr.qber, lSec: pr.secretBits };
  try { out.spread = spreadOf(r, topology); } catch { /* a result without a usable link: no spread */ }
  const lSec = Number(r.l_sec ?? 0), lSift = Number(r.l_sift ?? 0), eB = Number(r.qber);
  const leak = Number(r.disclosedBits ?? 0) + Number(r.sampleBits ?? 0);
  if (lSec > 0 && lSift > 0 && Number.isFinite(eB)) out.lSecAtPublishedF = keyAtLeak(lSec, leak, leakAtEfficiency(p.f, lSift, eB));
  if (visibility) out.visibility = visibility;
  return out;
}

export interface JointBsmDerivation {
  config: JointBsmConfig;
  /** Per side, source to the server's beam splitter, dB (fibre share + fitted loss - David's pattern loss + beam splitter). */
  sideLossDb: [number, number];
  portEfficiency: [number, number];
  commonKm: number;
  deltaKm: number;
  etaDeltaL: number;
  equivalent: MdiLink;
  /** The same pair's calibrated link through David, for comparison. */
  viaDavid: MdiLink;
  sensitivity: JointBsmSensitivityRow[];
}

/** The reference derivation of the Bob–Charlie joint BSM (what the planner and the fabric build for
 *  that pair, without the calibration residuals), and its key at other port fibres. */
export function jointBsmDerivation(topology: Topology, pulses: number): JointBsmDerivation | undefined {
  const cal = loadMdiCalibration(topology);
  const c = cal?.mdi?.links?.['B-C'];
  const node = (n: string) => topology.nodes.find((x) => x.name === n);
  const [bob, charlie, george, henry] = ['Bob', 'Charlie', 'George', 'Henry'].map(node);
  if (!c || !bob || !charlie || !george || !henry) return undefined;
  const bs = DEFAULT_SERVER.beamSplitters[0]!.lossDb, xc = 2 * DEFAULT_SERVER.portLossDb;
  const port = (n: { linkKm: number }) => ({ fibreKm: n.linkKm, etaDet: 0.2, pDark: 1e-6 });
  const config = calibratedJointBsm({ ...c, visibility: cal!.mdi!.hom?.visibility ?? 1, channelDof: 'tbp' }, { nodeKmA: bob.linkKm, nodeKmB: charlie.linkKm, relayKm: REFERENCE_RELAY_KM },
    { beamSplitterLossDb: bs, outputCrossConnectDb: [xc, xc], couplerExcessDb: bs }, [port(george), port(henry)]);
  const eq = jointBsmToMdiLink(config);
  const alpha = config.alphaDbPerKm ?? 0.2;
  const cases = [0, 12, 25, 40].map((portKm) => ({ portKm, deltaKm: 0 })).concat([{ portKm: 25, deltaKm: 10 }]);
  return {
    config,
    sideLossDb: [alpha * config.lengthAKm + config.extraLossADb!, alpha * config.lengthBKm + config.extraLossBDb!],
    portEfficiency: eq.portEfficiency, commonKm: eq.commonKm, deltaKm: eq.deltaKm, etaDeltaL: eq.etaDeltaL, equivalent: eq.link,
    viaDavid: calibratedLink(REFERENCE_MDI_ROWS.find((r) => r.pair === 'B-C')!, { extraLossDb: c.extraLossDb, eMis: c.eMis, visibility: config.visibility ?? 1 }),
    sensitivity: jointBsmSensitivity(config, cases, pulses, c.params),
  };
}
