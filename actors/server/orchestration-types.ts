// The data the control plane reasons about: the hypervisor's network view (input), a QKD
// request (input) and the orchestration core's answer (a Plan, or why not). Plain data, no
// functions, so every value can cross NATS as msgpack and be shown by `hetqn status`.
import type { Dof, NodeId, NodeType, SessionId } from '../../protocols/types.ts';
import type { ResourceId } from './resources.ts';
import type { ProtocolName, SessionProtocol } from '../../protocols/qkd/registry.ts';

/** A node's liveness as the hypervisor sees it. Busy-ness is NOT read from here: the
 *  resource pool is the single source of truth for exclusivity (the view may lag). */
export type NodeState = 'idle' | 'calibrating' | 'in-session' | 'down';

export interface NodeView {
  id: NodeId;
  type: NodeType;
  /** The DoF the node's encoder (C/E) or its native decoder (D) works in. */
  dof: Dof;
  /** Fibre from the node to its site's switch, km. */
  linkKm: number;
  /** The switch site the node's fibres land on (multi-site views; absent: the first site, or the one server). */
  site?: string;
  /** A relay (D) or source (E) the server operates: it helps others' sessions but never holds a key. */
  serverOwned?: boolean;
  state: NodeState;
  /** The node has its own DoF converter (placed before its attenuator, so its loss is free). */
  ownConverter: boolean;
  /** Extra loss on the link beyond alpha*km (connectors, components), dB. Default 0. */
  extraLossDb?: number;
  /** D nodes: the DoFs its detection setup can decode (default [dof]). David decodes all three
   *  (passive pol analyser; SPD1/SPD3 gated on early/late bins for tbp; interferometer for pha). */
  measures?: Dof[];
  /** D nodes: number of SPDs (default 4 with `bsm`, else 2). */
  detectors?: number;
  /** D nodes: can perform a Bell-state measurement alone (own beam splitter + two inputs). */
  bsm?: boolean;
  /** Fibres to the server (default 2 for a BSM-capable D node or an E node, else 1). */
  fibres?: number;
  /** Switch ports the fibres land on; default: assigned by `layoutFromView` in view order. */
  ports?: number[];
  /** Detector efficiency, dark count per gate, intrinsic misalignment (defaults: reference network). */
  etaDet?: number;
  darkCount?: number;
  misalignment?: number;
}

export interface ServerConverterView {
  id: string;
  /** The site whose switch it is plugged into (multi-site views; absent: the first site). */
  site?: string;
  /** Insertion loss, dB (passive pol<->x converter: 3 dB). */
  lossDb: number;
  /** Extra misalignment it adds (PBS extinction, interferometer visibility). */
  misalignment?: number;
}

export interface BeamSplitterView {
  id: string;
  /** The site whose switch it is plugged into (multi-site views; absent: the first site). */
  site?: string;
  /** Insertion loss of the server's beam splitter, dB. */
  lossDb: number;
}

export interface ServerView {
  /** Insertion loss of one switch port, dB (a cross-connect costs two ports). */
  portLossDb: number;
  /** MEMS switching (settling) time, ms. */
  switchTimeMs: number;
  converters: ServerConverterView[];
  beamSplitters: BeamSplitterView[];
}

/** One switch site of a multi-site network (a server with its own MEMS switch, converters,
 *  beam splitters and relays). Its converters and beam splitters are listed in `server` with `site`. */
export interface SiteView {
  id: string;
  /** Insertion loss of one of its switch ports, dB (default: server.portLossDb). */
  portLossDb?: number;
}

/** A fibre bundle between two sites' switches: `fibres` strands, each carries one signal and lands
 *  on one port at each end. */
export interface SiteLinkView {
  id: string;
  a: string;
  b: string;
  km: number;
  fibres: number;
  /** Splices, patch panels, beyond alpha*km, dB. */
  extraLossDb?: number;
}

/** A pair's calibrated end-to-end channel (infra/topologies/reference-calibration.json: extra loss
 *  and misalignment fitted to the published l_sift and e_b over the effective length). */
export interface PairCalibration {
  lengthKm: number;
  extraLossDb: number;
  misalignment: number;
}

/** A calibrated MDI link (infra/topologies/reference-calibration-mdi.json): each side's effective
 *  length, the fitted extra loss (half per side) and misalignment, the network's HOM visibility,
 *  the published f, and the pre-computed parameters the platform loads. */
export interface MdiPairCalibration {
  relay: NodeId;
  /** The DoF the reference measured this pair in (conversions at the nodes' own converters). */
  channelDof: Dof;
  lengthAKm: number;
  lengthBKm: number;
  extraLossDb: number;
  eMis: number;
  visibility: number;
  f: number;
  params?: {
    a: { s: number; mu: number; nu: number; pS: number; pMu: number; pNu: number };
    b: { s: number; mu: number; nu: number; pS: number; pMu: number; pNu: number };
  };
  /** The run (pulse pairs) `params` were optimised for: only there are they the optimum. */
  paramsPulses?: number;
}

export interface NetworkView {
  nodes: NodeView[];
  /** Shared device settings; in a multi-site view its converters and beam splitters are those of
   *  every site (each names its `site`). */
  server: ServerView;
  /** Switch sites, when there is more than one server; absent: one server switch (the reference network). */
  sites?: SiteView[];
  /** Inter-site fibre bundles. */
  links?: SiteLinkView[];
  /** Calibrated channels by "Receiver-Transmitter" pair name (e.g. "David-Alice"), when known:
   *  the prediction uses them instead of the route's nominal loss and the default misalignment. */
  calibration?: Record<string, PairCalibration>;
  /** Calibrated MDI links by "A-B" node names (e.g. "Alice-Bob"), through the named relay. */
  mdiCalibration?: Record<string, MdiPairCalibration>;
  /** Fibre attenuation, dB/km (default 0.2). */
  fibreDbPerKm?: number;
  /** Source repetition rate, Hz (default 1e9). */
  rateHz?: number;
}

/** A protocol by name (protocols/qkd/registry.ts), or the orchestration core's choice. */
export type ProtocolChoice = 'auto' | ProtocolName;

export interface QkdRequest {
  id: string;
  kind: 'qkd';
  a: NodeId;
  b: NodeId;
  /** Acquisition time at the source rate; `bits` alone means "until k bits" (T is then sized by the prediction). */
  seconds?: number;
  bits?: number;
  protocol?: ProtocolChoice;
  /** A named relay or 'auto'. A named relay that is busy queues the request (the user asked for it). */
  relay?: 'auto' | NodeId;
  /** Higher first; equal priorities are FIFO. Default 0. */
  priority?: number;
  /** Pool the key lands in (default 'secret'); 'imperfect' = the reconciled, verified key before PA. */
  keyKind?: KeyKind;
  /** Run even when the finite-key prediction gives no secret key (otherwise refused with the shortest run that does). */
  force?: boolean;
}

/** Which key a session deposits: the privacy-amplified key (`secret` pools) or the error-corrected,
 *  verified key before PA (`imperfect` pools, Li et al. PRApplied 20, 044011 (2023)). Never both:
 *  the secret key is a hash of the imperfect one. */
export type KeyKind = 'secret' | 'imperfect';

/** The physical protocol a session runs: a registry protocol or one of its variants. */
export type { SessionProtocol };

export interface Conversion {
  node: NodeId;
  from: Dof;
  to: Dof;
  /** 'node': the node's own converter before its attenuator (free); 'server': a server converter (channel loss). */
  at: 'node' | 'server';
  converter: ResourceId;
  /** Loss that counts as channel loss (0 at the node). */
  lossDb: number;
}

export interface Hop {
  /** 'fibre' node<->switch port, 'xconnect' inside a switch, 'trunk' a fibre between two sites' switches,
   *  'converter' a server converter, 'bs' the server beam splitter. */
  kind: 'fibre' | 'xconnect' | 'trunk' | 'converter' | 'bs';
  from: string;
  to: string;
  lossDb: number;
}

/** One optical leg from a transmitter to a measuring (or interfering) endpoint. */
export interface RouteLeg {
  from: NodeId;
  /** A node id, or `bs:<id>` for the server's beam splitter. */
  to: string;
  hops: Hop[];
  lossDb: number;
  /** DoF the light leaves the sender in (after its own converter) and arrives in. */
  dofOut: Dof;
  dofIn: Dof;
  crossConnects: Array<[number, number]>;
  converters: ResourceId[];
}

export type Relay =
  | { kind: 'none' }
  | { kind: 'single'; node: NodeId }
  | { kind: 'joint'; nodes: [NodeId, NodeId]; beamSplitter: string }
  | { kind: 'source'; node: NodeId };

export interface Prediction {
  secretBits: number;
  secretBitsPerPulse: number;
  siftedBits: number;
  qber: number;
  /** Bits the prediction charges for error correction (the sessions' Cascade and QBER sample,
   *  cascade-efficiency.ts), so the key can be restated at another leak: l' = l + leakEC - leak'. */
  leakEC?: number;
  /** Which engine produced it (finite-key optimiser, or 'fallback-asymptotic' when planning fast). */
  engine: string;
  /** Why no key, when secretBits is 0. */
  reason?: string;
}

export interface Plan {
  kind: 'plan';
  requestId: string;
  sessionId: SessionId;
  protocol: SessionProtocol;
  /** Pool the session's key lands in (absent: 'secret'). */
  keyKind?: KeyKind;
  a: NodeId;
  b: NodeId;
  /** DoF each end encodes in, and the DoF the measurement happens in. */
  dof: { a: Dof; b: Dof; channel: Dof };
  conversions: Conversion[];
  relay: Relay;
  legs: RouteLeg[];
  /** All switch cross-connects of the session, ready for the fabric's CONNECT. */
  crossConnects: Array<[number, number]>;
  /** Everything the session holds exclusively (reserve all-or-nothing). */
  resources: ResourceId[];
  /** Source parameters (intensities, probabilities) and where they came from. */
  params: Record<string, number>;
  paramsSource: 'table' | 'optimised' | 'fallback';
  /** Pulses (pulse pairs for MDI) to send: T x rate, or sized for `bits`. */
  pulses: number;
  prediction: Prediction;
  switchTimeMs: number;
  /** Other feasible candidates and why they lost (rate or busy), for the CLI / logs. */
  considered: Array<{ label: string; secretBitsPerPulse?: number; rejected?: string }>;
}

export interface Queued {
  kind: 'queued';
  requestId: string;
  reason: string;
  /** Resources whose release may make the request servable; every such resource is listed, so a
   *  release of others cannot change the answer. Empty: any change may (re-plan on every release). */
  waitingFor: ResourceId[];
}

/** The request can never be served on this network (unknown node, impossible pair). */
export interface Refused {
  kind: 'refused';
  requestId: string;
  reason: string;
}

export type PlanOutcome = Plan | Queued | Refused;
