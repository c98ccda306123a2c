// When QBA(P, S, d) built from three-party OTUH-QDS runs (qba.ts) reaches agreement and validity
// for EVERY set of f malicious nodes among N, and why. The CLI and the task coordinator accept a
// configuration only inside all three bounds:
//
// (B1) f < N/2, i.e. N >= 2f + 1: the fault tolerance Weng et al. claim for their QBA ("nearly 1/2",
//      Research 6, 0272 (2023), abstract), against the classical N >= 3f + 1 (Lamport, Shostak,
//      Pease, ACM TOPLAS 4 (1982), Sect. 2-3). B2 and B3 below are what this construction needs; it
//      would also hold for N >= 6 beyond B1 (test: N = 6, f = 3, d = 4), but we promise no more
//      than the paper does.
//
// (B2) N - f >= 3: at least three honest nodes. In OTUH-QDS the forwarder can only verify with the
//      verifier's key strings (docs/reference/quantum-tasks.md "QDS", steps 4-5), so an honest node accepts a value
//      only from a run whose other party is honest too. With two honest nodes (N = 3, f = 1) an
//      honest backup of an honest primary whose only partner returns random keys and forwards
//      nothing sees: P's (M, Sig) that it cannot verify, keys that do not verify it, nothing
//      forwarded. A malicious primary that sends a random "signature" to each of two honest backups
//      (with different messages) gives each of them the same view, bit for bit in distribution.
//      Validity forces the first backup to decide P's message in the first world, hence in the
//      second; then the two honest backups of the second world decide different messages.
//      No decision rule escapes this (test "N = 3, f = 1: the two worlds look the same").
//
// (B3) d >= f + 1: a value an honest node accepts in a round whose path (P, j1, ..., j_{L-1}) has
//      L < d signers is relayed by it to every backup of that round, and with (B2) every honest
//      backup accepts the relay (it has an honest partner). The shallowest round in which some honest
//      node accepts a value has a path of malicious signers only (an honest earlier signer would
//      have accepted it before), so L <= f < d and the value reaches every honest node. This is the
//      signed-message argument of Lamport, Shostak, Pease 1982, Sect. 4, algorithm SM(m) with
//      m = d - 1 relaying signers (Theorem 2). With d = f a coalition that forms the whole path of a
//      deepest round signs properly only the run between two honest nodes: those two accept, the
//      others never see the value (each OTUH-QDS signature verifies for one (forwarder, verifier)
//      pair only, and nobody relays after the deepest round; test "d = f is not enough").
//
// Decision (LSP 1982 Sect. 4, choice(V)): an honest node decides the only value validly signed by P
// that it accepted, directly or relayed; none or several: the default ⊥ (qba.ts decide()).

export interface QbaBound {
  readonly name: 'B1' | 'B2' | 'B3';
  readonly holds: boolean;
  /** What the bound says and where it comes from. */
  readonly text: string;
}

/** Smallest depth that tolerates f malicious nodes (B3). */
export function qbaDepthFor(f: number): number { return f + 1; }

/** Largest f that (B1) and (B2) allow among N nodes. */
export function qbaMaxFaults(N: number): number { return Math.max(0, Math.min(Math.ceil(N / 2) - 1, N - 3)); }

/** The three bounds for N nodes, f malicious, depth d. */
export function qbaBounds(N: number, f: number, d: number): QbaBound[] {
  return [
    { name: 'B1', holds: 2 * f < N, text: `f < N/2 (Weng et al. 2023): ${f} malicious of ${N} nodes` },
    { name: 'B2', holds: N - f >= 3, text: `N - f >= 3 honest nodes (a QDS forwarder verifies only with the verifier's keys): ${N - f} honest` },
    { name: 'B3', holds: d >= qbaDepthFor(f), text: `d >= f + 1 (Lamport-Shostak-Pease SM(d - 1), Sect. 4): d = ${d}, f = ${f} needs d >= ${qbaDepthFor(f)}` },
  ];
}

/** Why (N, f, d) is refused, naming every violated bound; undefined when all three hold. */
export function qbaRefusal(N: number, f: number, d: number): string | undefined {
  const broken = qbaBounds(N, f, d).filter((b) => !b.holds);
  if (broken.length === 0) return undefined;
  return `QBA refused: outside the tolerated range: ${broken.map((b) => `${b.name} ${b.text}`).join('; ')}`;
}
