// One name for one thing across every layer (see docs/ARCHITECTURE.md, "Rules of the house").

/** A node's name in the network, e.g. "Alice". */
export type NodeId = string;
/** A QKD or task session's id (uuid v4 unless a test picks one). */
export type SessionId = string;
/** Degree of freedom a node encodes in: polarization, time-bin-phase, phase. */
export type Dof = 'pol' | 'tbp' | 'pha';
/** Node hardware: weak-Coherent source, Entanglement (heralded SPDC) source, single-photon Detector. */
export type NodeType = 'C' | 'E' | 'D';
/** Key pool kinds: after PA, error-corrected only, pre-shared authentication key. */
export type PoolKind = 'secret' | 'imperfect' | 'psk';

export const DOFS: readonly Dof[] = ['pol', 'tbp', 'pha'];
export const POOL_KINDS: readonly PoolKind[] = ['secret', 'imperfect', 'psk'];
