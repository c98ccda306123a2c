// What a QKD protocol plug-in exports: one descriptor (protocols/qkd/<name>/index.ts) that the
// registry (registry.ts) lists. Everything protocol-specific the rest of the system needs is here;
// the orchestration core, the fabric, the party runner, the session wiring and the CLI look a
// protocol up in the registry and call these fields, never branch on its name.
// Pure: no I/O (the party half gets its I/O injected as PartyIo). The control plane's data types
// (NetworkView, Plan, ...) are imported as types only: they are plain data crossing NATS.
import type { Dof, NodeType } from '../types.ts';
import type { KeyRateResult } from '../keyrate/types.ts';
import type { ParamTable, ParamTableAssumptions } from '../keyrate/param-table.ts';
import type { SampleDisclosure } from '../postprocessing/cascade-efficiency.ts';
import type { SpreadInput } from '../keyrate/spread.ts';
import type { PpMessage } from '../postprocessing/channel.ts';
import type { BeamSplitterView, NetworkView, NodeView, Plan, Relay } from '../../actors/server/orchestration-types.ts';
import type { PlannedLeg, RoutingContext } from '../../actors/server/routing.ts';
import type { ResourceId } from '../../actors/server/resources.ts';
import type { PartyIo, PartyStart, Staged } from './party.ts';
import type { Selection, SelectionContext, NodeDescription } from './dof.ts';

/** Device constants when the view does not give them (defaults.ts: the reference network). */
export interface PhysicsDefaults {
  etaDet: number;
  darkCount: number;
  misalignmentBb84: number;
  misalignmentMdi: number;
  visibility: number;
  rateHz: number;
  seconds: number;
}

/** A prediction and where its parameters came from. */
export interface EnginePrediction {
  result: KeyRateResult;
  paramsSource: 'table' | 'optimised' | 'fallback';
  engine: string;
}

/** What a candidate's light sees, in its protocol's key-rate terms. `kind` is the protocol's name. */
export interface Channel {
  kind: string;
  /** Error-correction inefficiency to predict with. */
  f: number;
}

/** One way of serving a request with this protocol (a relay, a DoF, a route). */
export interface Candidate<Ch extends Channel = Channel> {
  label: string;
  /** 1: single relay / direct; 2: joint BSM (only when no tier-1 candidate is free). */
  tier: number;
  /** The session protocol (the descriptor's name or one of its variants). */
  protocol: string;
  relay: Relay;
  channelDof: Dof;
  /** Nodes whose exclusive devices the session needs (besides the two ends). */
  helpers: NodeView[];
  /** Device resources independent of routing (sources, detectors, beam splitter). */
  devices: ResourceId[];
  route: (ctx: RoutingContext) => PlannedLeg[] | undefined;
  channel: (legs: PlannedLeg[]) => Ch;
  nativeDof: boolean;
}

/** What the orchestration core gives a protocol to enumerate its candidates for (a, b). */
export interface PlanContext {
  a: NodeView;
  b: NodeView;
  view: NetworkView;
  defaults: PhysicsDefaults;
  /** Up helpers of the protocol's helper type, nearest first, as many as the core will examine. */
  helpers: NodeView[];
  /** Every up helper of that type in view order (joint combinations choose among all). */
  helpersInViewOrder: NodeView[];
  /** Pairs of D nodes behind a free-able beam splitter (joint BSM), nearest first. */
  jointCombinations(): Array<{ g: NodeView; h: NodeView; bs: BeamSplitterView }>;
  planLeg(ctx: RoutingContext, from: NodeView, to: { kind: 'node'; node: string } | { kind: 'bs'; id: string }, dofs: Dof[]): PlannedLeg | undefined;
  planBsOutput(ctx: RoutingContext, bs: string, port: 'out0' | 'out1', to: NodeView): PlannedLeg | undefined;
  /** Route legs in order, each seeing the ports/converters the previous ones took. */
  routeLegs(ctx: RoutingContext, specs: Array<(c: RoutingContext) => PlannedLeg | undefined>): PlannedLeg[] | undefined;
  /** DoFs a D node can measure in. */
  measurable(n: NodeView): Dof[];
  /** The exclusive devices of a node: its source (C, E) or its detectors (D). */
  deviceOf(n: NodeView): ResourceId[];
  detectorsOf(n: NodeView): ResourceId[];
  /** The exclusive resource of a server beam splitter. */
  beamSplitterResource(id: string): ResourceId;
  /** Misalignment the server converters on these legs add. */
  serverMisalignment(legs: PlannedLeg[]): number;
  /** What the participants' calibration is expected to leave. */
  residualOf(...nodes: NodeView[]): number;
}

/** What the session wiring gives the fabric for one run. */
export interface FabricInputs {
  view: NetworkView;
  /** Fitted BB84 link constants (the topology's `calibration` file). */
  calibration?: CalibrationData;
  /** Fitted MDI link constants (the topology's `mdiCalibration` file). */
  mdiCalibration?: MdiCalibrationData;
  /** Residual misalignment each participant's calibration left (session.ready). */
  residual: Record<string, number>;
  seed: string;
  maxFrameEvents?: number;
}

/** Per-session context of a protocol's sampler (actors/server/fabric.ts fabricEnv builds it). */
export interface FabricEnv extends FabricInputs {
  defaults: PhysicsDefaults;
  /** Misalignment of the server converters the plan's conversions use. */
  serverMisalignment: number;
  /** The residual the participants' calibration is expected to leave (a calibrated link's fitted
   *  misalignment already is the published total: only the deviation from this is added). */
  expectedResidual(nodes: string[]): number;
}

/** Per-link constants fitted to the published rows (infra/topologies/reference-calibration.json). */
export interface LinkCalibration { extraLossDb: number; misalignment: number; fittedTo?: { lengthKm?: number } }
export interface CalibrationData {
  bb84Assumptions?: { etaDet?: number; pDark?: number; pAfterpulse?: number; alphaDbPerKm?: number };
  links?: Record<string, LinkCalibration>;
}

/** MDI constants fitted to the published rows (infra/topologies/reference-calibration-mdi.json). */
export interface MdiCalibrationData {
  mdi?: {
    hom?: { visibility?: number };
    links?: Record<string, { extraLossDb: number; eMis: number; params: { a: Record<string, number>; b: Record<string, number> } }>;
  };
}

/** One delivery: a message on fabric.<sid>.<node>. The last one per node is `fabric.end`. */
export interface Delivery { node: string; msg: PpMessage }

export interface FabricRun {
  /** The model the sampler used (reported with the session result). */
  link: Record<string, number>;
  deliveries: Generator<Delivery>;
  /** Detections so far (grows while `deliveries` is consumed). */
  detections(): number;
}

/** A participant of a planned session (the coordinator adds its DoF conversion). */
export interface ParticipantSpec { node: string; role: string; peer: string; holdsKey: boolean }

/** The `hetqn keyrate <name>` subcommand (runtime/cli/commands/keyrate.ts parses the shared flags). */
export interface KeyrateCli {
  /** 'one': a transmitter to a receiver (--length-km); 'two': each end to a relay or source
   *  (--length-a-km/--length-b-km, or --length-km split evenly). */
  links: 'one' | 'two';
  /** Flags of its own: [flags, description, default]. */
  options: Array<[string, string, string?]>;
  examples: string[];
  run(x: KeyrateCliInput): KeyRateResult & Record<string, unknown>;
}

export interface KeyrateCliInput {
  lengthAKm: number;
  /** 0 for 'one'-link protocols. */
  lengthBKm: number;
  alphaDbPerKm: number;
  extraLossDb: number;
  etaDet: number;
  pDark: number;
  eMis: number;
  f: number;
  pulses: number;
  eps: { epsSec: number; epsCor: number };
  optimise: boolean;
  /** The pre-computed table (absent with --optimise or when there is none), and the total loss it is indexed by. */
  table?: ParamTable;
  lossDb: number;
  /** A flag of its own (by its CLI name, e.g. 'p-mu1') as a number in range, or undefined when not given. */
  num(flag: string, range?: { min?: number; max?: number }): number | undefined;
  /** Whether the flag was given. */
  given(flag: string): boolean;
}

export interface QkdProtocol<Ch extends Channel = Channel> {
  /** The name users choose (`--protocol`, `hetqn keyrate <name>`) and plans carry. */
  name: string;
  /** Human name for tables and logs. */
  title: string;
  /** The session protocols (Plan.protocol) it runs: its name first, then variants (MDI: 'mdi-joint'). */
  variants: readonly string[];
  /** The roles its participants play (SessionStart.role). */
  roles: readonly string[];
  /** Node-type rule: the unordered pairs of node types it serves ('CD' sorted), the helper it
   *  needs, and whether the pair can meet (DoFs, converters, helpers) at all. */
  rule: {
    pairs: readonly string[];
    helper: 'none' | 'D' | 'E';
    select(a: NodeDescription, b: NodeDescription, ctx: SelectionContext): Selection;
  };
  /** The candidates the orchestration core routes and ranks. */
  candidates(x: PlanContext): Candidate<Ch>[];
  /** Prediction (asymptotic, to rank), finite-key estimation with optimal parameters, and the
   *  prediction restated at the leak the sessions' Cascade will have. */
  keyrate: {
    rank(ch: Ch, pulses: number): EnginePrediction;
    /** The optimiser: finite-key prediction with optimised (or the table's) parameters. */
    finite(ch: Ch, pulses: number, o: { table?: ParamTable; symmetric?: boolean; maxEvals?: number }): EnginePrediction;
    /** The same estimator at the given parameters and another f, or undefined when the params do not fit. */
    atEfficiency(ch: Ch, params: Record<string, number>, pulses: number, f: number): KeyRateResult | undefined;
    /** What the session discloses besides Cascade's parities (cascade-efficiency.ts). */
    disclosure: SampleDisclosure;
    /** An upper bound on the rate per pulse, to skip predicting candidates that cannot win. */
    bound?(ch: Ch): number;
  };
  /** The run-to-run spread's input (protocols/keyrate/spread.ts) at a session's reported link,
   *  parameters and size, when the protocol has one. */
  spreadInput?(link: Record<string, number>, params: Record<string, number>, pulses: number): SpreadInput;
  /** Rows of the optimal-parameter table (`hetqn params build`), when the protocol has them. */
  table?: {
    row(lossDb: number, pulses: number, a: ParamTableAssumptions, start?: Record<string, number>): KeyRateResult;
  };
  keyrateCli: KeyrateCli;
  /** The emulated optics of a planned session: each participant's local view. */
  fabric(plan: Plan, env: FabricEnv): FabricRun;
  /** Who takes part, in which role, who holds the key. */
  participants(plan: Plan): ParticipantSpec[];
  /** A participant's half of the session (post-processing, staging, confirmation). */
  party(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged>;
  /** Result summary: the role whose statistics the requester sees (the correcting side). */
  summary: { reportingRole: string };
}

/** Unordered node-type pair key ('CD', 'DD', ...). */
export const pairKey = (a: NodeType, b: NodeType): string => [a, b].sort().join('');
