// Builds the orchestration core's NetworkView from a topology file (infra/topologies/*.json)
// and the hypervisor's live node states. The topology says what hardware each node has (own
// converter, what a D node measures, BSM, detectors: infra/topology.ts nodeSpecSchema); where it
// is silent, the defaults below apply. Nothing here is keyed by a node's or a network's name.
import type { Dof, NodeId, NodeType } from '../../protocols/types.ts';
import type { MdiPairCalibration, NetworkView, NodeState, NodeView, PairCalibration, ServerView } from './orchestration-types.ts';

/** The shape of infra/topologies/reference-calibration.json that the view needs. */
export interface CalibrationFile {
  links?: Record<string, { extraLossDb: number; misalignment: number; fittedTo?: { lengthKm?: number } }>;
}

/** The shape of infra/topologies/reference-calibration-mdi.json that the view needs (pairs by initials, "A-B"). */
export interface MdiCalibrationFile {
  mdi?: {
    detector?: { relay?: string };
    hom?: { visibility?: number };
    links?: Record<string, { dof: string; lengthAKm: number; lengthBKm: number; extraLossDb: number; eMis: number; params?: MdiPairCalibration['params']; paramsPulses?: number; published?: { f?: number } }>;
  };
}

export interface TopologyNode {
  name: NodeId;
  type: NodeType;
  dof: Dof;
  linkKm: number;
  attachLater?: boolean;
  site?: string;
  owner?: 'user' | 'server';
  ownConverter?: boolean;
  measures?: Dof[];
  bsm?: boolean;
  detectors?: number;
  fibres?: number;
  ports?: number[];
  extraLossDb?: number;
  etaDet?: number;
  darkCount?: number;
  misalignment?: number;
}

/** A switch site of infra/topology.ts (`sites[]`): its devices are listed under it. */
export interface TopologySite {
  name: string;
  portLossDb?: number;
  converters?: Array<{ id: string; lossDb: number; misalignment?: number }>;
  beamSplitters?: Array<{ id: string; lossDb: number }>;
}

export interface TopologyLike {
  network?: string;
  server?: Partial<ServerView> & Record<string, unknown>;
  sites?: TopologySite[];
  links?: Array<{ a: string; b: string; km: number; fibres: number; extraLossDb?: number }>;
  nodes: TopologyNode[];
  fibreDbPerKm?: number;
  rateHz?: number;
}

/** The hypervisor's node states (registry.messages.ts nodeViewSchema.state). */
export type HypervisorNodeState = 'expected' | 'up' | 'down' | 'left';

export const DEFAULT_SERVER: ServerView = {
  // A MEMS port: ~0.5 dB (about 1 dB per cross-connect); settling ~10 ms.
  portLossDb: 0.5,
  switchTimeMs: 10,
  // Passive converter: 3 dB by construction + 0.3 dB excess (protocols/physics/devices.ts passiveConverter).
  converters: [{ id: 'conv0', lossDb: 3.3, misalignment: 0.002 }],
  beamSplitters: [{ id: 'bs0', lossDb: 0.2 }],
};

const mapState = (s: HypervisorNodeState | undefined): NodeState | undefined =>
  s === undefined ? undefined : s === 'up' ? 'idle' : s === 'expected' ? undefined : 'down';

/**
 * `states`: the hypervisor's view (name -> state). Without it every node not marked
 * attachLater counts as idle. Nodes not registered yet ('expected', or attachLater without a
 * state) are absent from the view: they appear when they attach.
 */
export function networkViewFromTopology(
  topology: TopologyLike,
  states?: Record<NodeId, HypervisorNodeState>,
  calibrationFile?: CalibrationFile,
  mdiCalibrationFile?: MdiCalibrationFile,
): NetworkView {
  const nodes: NodeView[] = [];
  for (const t of topology.nodes) {
    const live = states ? mapState(states[t.name]) : t.attachLater ? undefined : 'idle';
    if (live === undefined) continue;
    const hw = t;
    const n: NodeView = {
      id: t.name,
      type: t.type,
      dof: t.dof,
      linkKm: t.linkKm,
      state: live,
      ownConverter: hw.ownConverter ?? false,
    };
    for (const k of ['site', 'measures', 'bsm', 'detectors', 'fibres', 'ports', 'extraLossDb', 'etaDet', 'darkCount', 'misalignment'] as const)
      if (hw[k] !== undefined) (n as unknown as Record<string, unknown>)[k] = hw[k];
    if (hw.owner === 'server') n.serverOwned = true;
    nodes.push(n);
  }
  const s = topology.server ?? {};
  const sited = sitesFrom(topology);
  const calibration: Record<string, PairCalibration> = {};
  for (const [pair, c] of Object.entries(calibrationFile?.links ?? {}))
    if (c.fittedTo?.lengthKm !== undefined) calibration[pair] = { lengthKm: c.fittedTo.lengthKm, extraLossDb: c.extraLossDb, misalignment: c.misalignment };
  const mdiCalibration = mdiCalibrationFrom(topology, mdiCalibrationFile);
  return {
    nodes,
    ...(Object.keys(calibration).length ? { calibration } : {}),
    ...(Object.keys(mdiCalibration).length ? { mdiCalibration } : {}),
    server: {
      portLossDb: typeof s.portLossDb === 'number' ? s.portLossDb : DEFAULT_SERVER.portLossDb,
      switchTimeMs: typeof s.switchTimeMs === 'number' ? s.switchTimeMs : DEFAULT_SERVER.switchTimeMs,
      converters: sited?.converters ?? (Array.isArray(s.converters) ? s.converters : DEFAULT_SERVER.converters),
      beamSplitters: sited?.beamSplitters ?? (Array.isArray(s.beamSplitters) ? s.beamSplitters : DEFAULT_SERVER.beamSplitters),
    },
    ...(sited ? { sites: sited.sites, links: sited.links } : {}),
    fibreDbPerKm: topology.fibreDbPerKm ?? 0.2,
    rateHz: topology.rateHz ?? 1e9,
  };
}

/** A multi-site topology's sites, links and their devices (each device names its site). */
function sitesFrom(topology: TopologyLike): Pick<NetworkView, 'sites' | 'links'> & Pick<ServerView, 'converters' | 'beamSplitters'> | undefined {
  if (!topology.sites?.length) return undefined;
  return {
    sites: topology.sites.map((x) => ({ id: x.name, ...(x.portLossDb !== undefined ? { portLossDb: x.portLossDb } : {}) })),
    links: (topology.links ?? []).map((l) => ({ id: `${l.a}~${l.b}`, a: l.a, b: l.b, km: l.km, fibres: l.fibres, ...(l.extraLossDb !== undefined ? { extraLossDb: l.extraLossDb } : {}) })),
    converters: topology.sites.flatMap((x) => (x.converters ?? []).map((c) => ({ ...c, site: x.name }))),
    beamSplitters: topology.sites.flatMap((x) => (x.beamSplitters ?? []).map((b) => ({ ...b, site: x.name }))),
  };
}

/** MDI calibration rows are keyed by initials ("A-B"); map them to topology names when unambiguous.
 *  The measured DoF: same DoF on both sides -> that DoF ("tbp-tbp"), else pol (converted at the nodes). */
function mdiCalibrationFrom(topology: TopologyLike, file?: MdiCalibrationFile): Record<string, MdiPairCalibration> {
  const out: Record<string, MdiPairCalibration> = {};
  const m = file?.mdi;
  if (!m?.links) return out;
  const byInitial = (x: string) => {
    const hits = topology.nodes.filter((n) => n.name === x || n.name.startsWith(x));
    return hits.length === 1 ? hits[0]!.name : undefined;
  };
  // The file names the relay its pairs were measured through; without it the rows cannot be placed.
  const relay = m.detector?.relay;
  if (!relay) return out;
  for (const [pair, c] of Object.entries(m.links)) {
    const [x, y] = pair.split('-');
    const a = x && byInitial(x), b = y && byInitial(y);
    const [da, db] = c.dof.split('-');
    if (!a || !b || !da || !db) continue;
    out[`${a}-${b}`] = {
      relay,
      channelDof: (da === db ? da : 'pol') as Dof,
      lengthAKm: c.lengthAKm,
      lengthBKm: c.lengthBKm,
      extraLossDb: c.extraLossDb,
      eMis: c.eMis,
      visibility: m.hom?.visibility ?? 1,
      f: c.published?.f ?? 1.16,
      ...(c.params ? { params: c.params } : {}),
      ...(c.params && c.paramsPulses ? { paramsPulses: c.paramsPulses } : {}),
    };
  }
  return out;
}

/** The parts of the hypervisor's view (registry.messages.ts `hypervisor.view`) the core needs. */
export interface HypervisorViewLike {
  network?: string;
  nodes: Array<{ name: NodeId; type: NodeType; dof: Dof; linkKm: number; attachLater?: boolean; state: HypervisorNodeState }>;
}

/**
 * The live view: nodes as the hypervisor sees them (including nodes attached at runtime that the
 * topology file does not list), with hardware details from the topology where it names them.
 */
export function networkViewFromHypervisor(hv: HypervisorViewLike, hardware?: TopologyLike, calibration?: CalibrationFile, mdiCalibration?: MdiCalibrationFile): NetworkView {
  const byName = new Map((hardware?.nodes ?? []).map((n) => [n.name, n]));
  const topology: TopologyLike = {
    ...(hardware ?? {}),
    network: hardware?.network ?? hv.network,
    nodes: hv.nodes.map((n) => ({ ...byName.get(n.name), name: n.name, type: n.type, dof: n.dof, linkKm: n.linkKm })),
  };
  const states = Object.fromEntries(hv.nodes.map((n) => [n.name, n.state]));
  return networkViewFromTopology(topology, states, calibration, mdiCalibration);
}
