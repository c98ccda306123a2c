// The published runs of the reference network (Lu et al., Nat. Commun. 2025;
// docs/reference/reference-network.md): the QKD table the demo compares against, and the task runs it performs.

export interface PublishedQkd {
  pair: string; a: string; b: string; protocol: 'BB84' | 'MDI'; dof: string;
  /** Acquisition time at 1 GHz (s). */
  T: number; L: number; f: number; lSift: number; eB: number; lSec: number;
}

export const PUBLISHED_QKD: PublishedQkd[] = [
  { pair: 'D–A', a: 'David', b: 'Alice', protocol: 'BB84', dof: 'pol', T: 2, L: 35.3, f: 1.138, lSift: 16_387_303, eB: 0.0088, lSec: 5_895_618 },
  { pair: 'D–B', a: 'David', b: 'Bob', protocol: 'BB84', dof: 'tbp', T: 2, L: 29.3, f: 1.138, lSift: 14_605_700, eB: 0.0092, lSec: 5_382_766 },
  { pair: 'D–C', a: 'David', b: 'Charlie', protocol: 'BB84', dof: 'tbp', T: 2, L: 32.7, f: 1.138, lSift: 16_516_150, eB: 0.0087, lSec: 5_646_444 },
  { pair: 'D–F', a: 'David', b: 'Frank', protocol: 'BB84', dof: 'pha', T: 2, L: 29.7, f: 1.133, lSift: 12_731_587, eB: 0.0105, lSec: 4_500_523 },
  { pair: 'A–B', a: 'Alice', b: 'Bob', protocol: 'MDI', dof: 'pol–tbp', T: 1000, L: 64.6, f: 1.179, lSift: 25_507_836, eB: 0.0341, lSec: 394_595 },
  { pair: 'A–C', a: 'Alice', b: 'Charlie', protocol: 'MDI', dof: 'pol–tbp', T: 1000, L: 68.0, f: 1.182, lSift: 18_425_794, eB: 0.0334, lSec: 566_247 },
  { pair: 'A–F', a: 'Alice', b: 'Frank', protocol: 'MDI', dof: 'pol–pha', T: 1000, L: 65.0, f: 1.172, lSift: 20_951_678, eB: 0.0298, lSec: 545_926 },
  { pair: 'B–C', a: 'Bob', b: 'Charlie', protocol: 'MDI', dof: 'tbp–tbp', T: 1000, L: 62.0, f: 1.153, lSift: 6_450_466, eB: 0.0162, lSec: 449_431 },
  { pair: 'B–F', a: 'Bob', b: 'Frank', protocol: 'MDI', dof: 'tbp–pha', T: 1000, L: 59.0, f: 1.150, lSift: 27_758_108, eB: 0.0242, lSec: 1_112_747 },
  { pair: 'C–F', a: 'Charlie', b: 'Frank', protocol: 'MDI', dof: 'tbp–pha', T: 1000, L: 62.4, f: 1.152, lSift: 24_996_302, eB: 0.025, lSec: 729_713 },
];

/** Joint BSM run: Bob–Charlie tbp MDI measured by George and Henry, 1e12 pulses. */
export const JOINT_BSM = { a: 'Bob', b: 'Charlie', relay: 'George+Henry', T: 1000 };

export const QDS_RUNS = [
  { name: 'QDS 1 (imperfect keys)', variant: 'imperfect' as const, signer: 'David', receiver: 'Alice', thirdParty: 'Bob', bits: 900 },
  { name: 'QDS 2 (secret keys)', variant: 'secret' as const, signer: 'Charlie', receiver: 'Alice', thirdParty: 'Frank', bits: 53 },
];
export const CONTRACT_BYTES = 43 * 1024;
export const TRADE_BYTES = 100 * 1024;

/** The published trades ran at depth 2; we run d = f + 1 = 3 (protocols/tasks/qba-bounds.ts, B3). */
export const QBA_RUNS = [
  { name: 'QBA trade 1 (honest Alice; Charlie and Frank malicious)', primary: 'Alice', publishedDepth: 2, malicious: [{ node: 'Charlie', strategy: 'forge' as const }, { node: 'Frank', strategy: 'alter' as const }] },
  { name: 'QBA trade 2 (malicious signer Alice, Bob colluding)', primary: 'Alice', publishedDepth: 2, malicious: [{ node: 'Alice', strategy: 'collude' as const }, { node: 'Bob', strategy: 'collude' as const }] },
];

export const CONFERENCE = { sponsor: 'David', participants: ['Alice', 'Bob', 'Charlie', 'Frank'], bits: 10_000 };

/** Beyond the paper: QBA with the runtime-attached George and Henry (Ivy is the entangled source
 *  their D–D keys need). All seven task nodes cannot take part: Frank's pha photons cannot be
 *  converted to the tbp of George and Henry (task-steps.ts derives this from protocols/qkd/dof.ts),
 *  so Frank–George and Frank–Henry have no QKD session and no key. Six nodes with two colluding
 *  malicious backups: f = 2 < N/2, where the classical OM(2) needs N >= 7; d = f + 1 = 3. */
export const QBA_BEYOND = {
  name: 'QBA N = 6, d = 3 (Bob, Charlie malicious)', primary: 'Alice',
  candidates: ['Alice', 'Bob', 'Charlie', 'David', 'Frank', 'George', 'Henry'],
  nodes: ['Alice', 'Bob', 'Charlie', 'David', 'George', 'Henry'],
  sources: ['Ivy'],
  malicious: [{ node: 'Bob', strategy: 'collude' as const }, { node: 'Charlie', strategy: 'collude' as const }],
};
