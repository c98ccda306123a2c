// The server's quantum router: an all-to-all (MEMS) optical switch. Every fibre from a node,
// and both sides of every server device (DoF converters, the joint-BSM beam splitter), lands
// on a port; a session's light path is a set of port-to-port cross-connects. A port carries
// at most one cross-connect (a MEMS mirror points one way), so two sessions can never meet
// in the fabric. Pure functions over immutable state; `switch-fabric-machine.ts` wraps them.
// A multi-site network has one switch per site; each strand of an inter-site fibre bundle lands
// on one port at each end ('trunk'). Port numbers are global, every port names its site, and a
// cross-connect joins two ports of the same switch.
import type { NodeId, SessionId } from '../../protocols/types.ts';
import type { NetworkView } from './orchestration-types.ts';

export type PortOwner =
  | { kind: 'node'; node: NodeId; fibre: number }
  | { kind: 'converter'; id: string; side: 'in' | 'out' }
  | { kind: 'bs'; id: string; side: 'in0' | 'in1' | 'out0' | 'out1' }
  | { kind: 'trunk'; link: string; fibre: number; end: 'a' | 'b' }
  | { kind: 'spare' };

export interface PortInfo {
  port: number;
  owner: PortOwner;
  /** Insertion loss of this port, dB. */
  lossDb: number;
  /** The site whose switch the port belongs to (multi-site views only). */
  site?: string;
}

export interface CrossConnect {
  sessionId: SessionId;
  a: number;
  b: number;
}

export interface FabricState {
  ports: PortInfo[];
  /** MEMS settling time after a reconfiguration, ms (typical MEMS switches: a few ms to ~20 ms). */
  switchTimeMs: number;
  crossConnects: CrossConnect[];
}

export type ConnectResult =
  | { ok: true; state: FabricState; settleMs: number }
  | { ok: false; state: FabricState; reason: string; ports: number[] };

/**
 * Port map of the server switch for a network view. Server devices come first (stable
 * numbering), then every node's fibres in view order, so attaching a node at runtime only
 * appends ports. A node's explicit `ports` win.
 */
export function layoutFromView(view: NetworkView, sparePorts = 0): PortInfo[] {
  const first = view.sites?.[0]?.id;
  const siteLoss = new Map((view.sites ?? []).map((s) => [s.id, s.portLossDb ?? view.server.portLossDb]));
  // Single-server views carry no site (their layout is what it always was).
  const at = (site: string | undefined): { lossDb: number; site?: string } =>
    first === undefined ? { lossDb: view.server.portLossDb } : { lossDb: siteLoss.get(site ?? first) ?? view.server.portLossDb, site: site ?? first };
  const ports: PortInfo[] = [];
  const taken = new Set<number>();
  for (const n of view.nodes) for (const p of n.ports ?? []) taken.add(p);
  let next = 0;
  const alloc = (): number => {
    while (taken.has(next)) next++;
    taken.add(next);
    return next++;
  };
  for (const c of view.server.converters) {
    ports.push({ port: alloc(), owner: { kind: 'converter', id: c.id, side: 'in' }, ...at(c.site) });
    ports.push({ port: alloc(), owner: { kind: 'converter', id: c.id, side: 'out' }, ...at(c.site) });
  }
  for (const b of view.server.beamSplitters)
    for (const side of ['in0', 'in1', 'out0', 'out1'] as const)
      ports.push({ port: alloc(), owner: { kind: 'bs', id: b.id, side }, ...at(b.site) });
  for (const l of view.links ?? [])
    for (let f = 0; f < l.fibres; f++) {
      ports.push({ port: alloc(), owner: { kind: 'trunk', link: l.id, fibre: f, end: 'a' }, ...at(l.a) });
      ports.push({ port: alloc(), owner: { kind: 'trunk', link: l.id, fibre: f, end: 'b' }, ...at(l.b) });
    }
  for (const n of view.nodes) {
    const count = nodeFibres(n);
    for (let f = 0; f < count; f++) {
      const explicit = n.ports?.[f];
      ports.push({ port: explicit ?? alloc(), owner: { kind: 'node', node: n.id, fibre: f }, ...at(n.site) });
    }
  }
  for (let i = 0; i < sparePorts; i++) ports.push({ port: alloc(), owner: { kind: 'spare' }, ...at(undefined) });
  return ports.sort((x, y) => x.port - y.port);
}

/** Fibres a node has to the server: a BSM relay needs two inputs, an E node two outputs. */
export function nodeFibres(n: { type: string; bsm?: boolean; fibres?: number }): number {
  if (n.fibres !== undefined) return n.fibres;
  return n.type === 'E' || (n.type === 'D' && n.bsm) ? 2 : 1;
}

export function createFabric(ports: PortInfo[], switchTimeMs: number): FabricState {
  return { ports: [...ports].sort((x, y) => x.port - y.port), switchTimeMs, crossConnects: [] };
}

// Lookups by port, built once per (immutable) ports / cross-connects array: a fabric of a
// thousand nodes is asked about its ports thousands of times per plan.
const portMaps = new WeakMap<readonly PortInfo[], Map<number, PortInfo>>();
const connectionMaps = new WeakMap<readonly CrossConnect[], Map<number, CrossConnect>>();

export function portInfo(state: FabricState, port: number): PortInfo | undefined {
  let m = portMaps.get(state.ports);
  if (!m) portMaps.set(state.ports, (m = new Map(state.ports.map((p) => [p.port, p]))));
  return m.get(port);
}

export function nodePorts(state: FabricState, node: NodeId): number[] {
  return state.ports.filter((p) => p.owner.kind === 'node' && p.owner.node === node).map((p) => p.port);
}

/** The cross-connect a port is part of, if any. */
export function connectionOf(state: FabricState, port: number): CrossConnect | undefined {
  let m = connectionMaps.get(state.crossConnects);
  if (!m) {
    m = new Map();
    for (const c of state.crossConnects) m.set(c.a, c).set(c.b, c);
    connectionMaps.set(state.crossConnects, m);
  }
  return m.get(port);
}

/** Where light entering `port` leaves the switch (undefined if the port is dark). */
export function peerOf(state: FabricState, port: number): number | undefined {
  const c = connectionOf(state, port);
  return c === undefined ? undefined : c.a === port ? c.b : c.a;
}

/** Loss of a cross-connect: light passes two ports. */
export function crossConnectLossDb(state: FabricState, a: number, b: number): number {
  return (portInfo(state, a)?.lossDb ?? 0) + (portInfo(state, b)?.lossDb ?? 0);
}

/**
 * Set all of a session's cross-connects, or none. Refuses unknown ports, a port used twice in
 * the request, a port joined to itself, and any port already cross-connected (by anyone:
 * a session re-sending the same CONNECT must RELEASE first).
 */
export function connect(state: FabricState, sessionId: SessionId, pairs: ReadonlyArray<readonly [number, number]>): ConnectResult {
  const seen = new Set<number>();
  const bad = (reason: string, ports: number[]): ConnectResult => ({ ok: false, state, reason, ports });
  if (pairs.length === 0) return bad('no cross-connects requested', []);
  for (const [a, b] of pairs) {
    if (a === b) return bad(`port ${a} cannot be connected to itself`, [a]);
    for (const p of [a, b]) {
      if (portInfo(state, p) === undefined) return bad(`port ${p} does not exist`, [p]);
      if (seen.has(p)) return bad(`port ${p} appears twice in the request`, [p]);
      seen.add(p);
    }
    const sa = portInfo(state, a)!.site, sb = portInfo(state, b)!.site;
    if (sa !== sb) return bad(`ports ${a} (site ${sa}) and ${b} (site ${sb}) are on different switches`, [a, b]);
  }
  const busy = [...seen].filter((p) => connectionOf(state, p) !== undefined).sort((x, y) => x - y);
  if (busy.length > 0) {
    const who = busy.map((p) => `${p} (session ${connectionOf(state, p)!.sessionId})`).join(', ');
    return bad(`port already cross-connected: ${who}`, busy);
  }
  const added = pairs.map(([a, b]) => ({ sessionId, a: Math.min(a, b), b: Math.max(a, b) }));
  return { ok: true, state: { ...state, crossConnects: [...state.crossConnects, ...added] }, settleMs: state.switchTimeMs };
}

/** Drop every cross-connect of the session (unknown session: unchanged). */
export function releaseSession(state: FabricState, sessionId: SessionId): FabricState {
  return { ...state, crossConnects: state.crossConnects.filter((c) => c.sessionId !== sessionId) };
}

/** Add ports (a node attached at runtime); existing ports and cross-connects are untouched. */
export function addPorts(state: FabricState, ports: PortInfo[]): FabricState {
  const have = new Set(state.ports.map((p) => p.port));
  const fresh = ports.filter((p) => !have.has(p.port));
  return { ...state, ports: [...state.ports, ...fresh].sort((x, y) => x.port - y.port) };
}
