// The server's quantum router: an all-to-all (MEMS) optical switch. Every fibre from a node,
// and both sides of every server device (DoF converters, the joint-BSM beam splitter), lands
// on a port; a session's light path is a set of port-to-port cross-connects. A port carries
// at most one cross-connect (a MEMS mirror points one way), so two sessions can never meet
// in the fabric. Pure functions over immutable state; `switch-fabric-machine.ts` wraps them.
import type { NodeId, SessionId } from '../../protocols/types.ts';
import type { NetworkView } from './orchestration-types.ts';

export type PortOwner =
  | { kind: 'node'; node: NodeId; fibre: number }
  | { kind: 'converter'; id: string; side: 'in' | 'out' }
  | { kind: 'bs'; id: string; side: 'in0' | 'in1' | 'out0' | 'out1' }
  | { kind: 'spare' };

export interface PortInfo {
  port: number;
  owner: PortOwner;
  /** Insertion loss of this port, dB. */
  lossDb: number;
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
  const loss = view.server.portLossDb;
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
    ports.push({ port: alloc(), owner: { kind: 'converter', id: c.id, side: 'in' }, lossDb: loss });
    ports.push({ port: alloc(), owner: { kind: 'converter', id: c.id, side: 'out' }, lossDb: loss });
  }
  for (const b of view.server.beamSplitters)
    for (const side of ['in0', 'in1', 'out0', 'out1'] as const)
      ports.push({ port: alloc(), owner: { kind: 'bs', id: b.id, side }, lossDb: loss });
  for (const n of view.nodes) {
    const count = nodeFibres(n);
    for (let f = 0; f < count; f++) {
      const explicit = n.ports?.[f];
      ports.push({ port: explicit ?? alloc(), owner: { kind: 'node', node: n.id, fibre: f }, lossDb: loss });
    }
  }
  for (let i = 0; i < sparePorts; i++) ports.push({ port: alloc(), owner: { kind: 'spare' }, lossDb: loss });
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

export function portInfo(state: FabricState, port: number): PortInfo | undefined {
  return state.ports.find((p) => p.port === port);
}

export function nodePorts(state: FabricState, node: NodeId): number[] {
  return state.ports.filter((p) => p.owner.kind === 'node' && p.owner.node === node).map((p) => p.port);
}

/** The cross-connect a port is part of, if any. */
export function connectionOf(state: FabricState, port: number): CrossConnect | undefined {
  return state.crossConnects.find((c) => c.a === port || c.b === port);
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
