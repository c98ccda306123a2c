// The QBA test matrix shared by qba-bounds.test.ts (N = 3..6, and the bounds) and
// qba-bounds-seven.test.ts (N = 7): every set of f malicious nodes, every strategy, seeded runs.
import type { ExecutionContext } from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { qbaDepthFor, qbaMaxFaults, qbaRefusal } from '../../protocols/tasks/qba-bounds.ts';
import {
  type NodeBehaviour, alterRelayed, byzantine, collude, colludeSelectiveSigning, equivocate, forgeSignature, withhold,
} from '../../protocols/tasks/qba-behaviours.ts';
import { runQba } from '../../protocols/tasks/qba-sim.ts';
import { MemoryLedger } from './ledger.ts';

export const N_TEST = 32; // short QDS strings keep the sweep fast; a random forgery still passes with p ~ 2^-32 / 32
const VALUES = ['buy', 'sell', 'hold'];

export function subsetsOfSize<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [x, ...rest] = xs;
  return [...subsetsOfSize(rest, k - 1).map((s) => [x!, ...s]), ...subsetsOfSize(rest, k)];
}

/** A coalition that shows its primary's second value to one honest node through a run with a
 *  coalition verifier, then starves that node's relay: it forwards only to its members and returns
 *  no keys in rounds signed by an honest node. */
export function starveRelay(members: readonly string[]): NodeBehaviour {
  const isMember = (n: string) => members.includes(n);
  const firstHonest = (xs: readonly string[]) => xs.filter((x) => !isMember(x)).sort()[0];
  const coalitionPath = (path: readonly string[]) => path.every(isMember);
  return {
    name: 'starve-relay',
    signerPayload(round, forwarder, h) {
      if (round.path.length === 1) return [{ value: isMember(forwarder) ? 'sell' : 'buy', chain: [...round.path] }];
      if (!coalitionPath(round.path) || isMember(forwarder)) return h;
      return forwarder === firstHonest(round.backups) ? [{ value: 'sell', chain: [...round.path] }] : null;
    },
    signRun: (round, _f, verifier) => round.path.length === 1 || isMember(verifier),
    forwardAction: (_round, verifier) => (isMember(verifier) ? { kind: 'forward' } : { kind: 'withhold' }),
    verifierKeys: (round) => (isMember(round.signer) ? 'honest' : 'withhold'),
  };
}

/** The named strategies, given the malicious set (collusion needs to know its members). */
export function strategies(nodes: string[], members: string[]): Record<string, (node: string) => NodeBehaviour> {
  return {
    equivocate: () => equivocate(['buy', 'sell']),
    withhold: () => withhold(),
    'withhold-selectively': (node) => withhold(nodes.filter((x) => x !== node).slice(0, 2)),
    alter: () => alterRelayed('sell'),
    forge: () => forgeSignature('sell'),
    collude: () => collude({ members, secondValue: 'sell' }),
    'collude-release-to-one-honest': () => collude({ members, secondValue: 'sell', release: 'one-honest' }),
    split: () => colludeSelectiveSigning({ members, secondValue: 'sell' }),
    'starve-relay': () => starveRelay(members),
    mixed: (node) => [equivocate(['buy', 'sell']), forgeSignature('sell'), alterRelayed('hold'), withhold(), colludeSelectiveSigning({ members, secondValue: 'sell' })][members.indexOf(node) % 5]!,
  };
}

export const nodesOf = (N: number) => ['Alice', 'Bob', 'Charlie', 'David', 'Frank', 'George', 'Henry'].slice(0, N);
/** Randomised (Byzantine) seeds per malicious set: many where runs are cheap. */
const SEEDS: Record<number, number> = { 3: 40, 4: 40, 5: 20, 6: 6, 7: 1 };

/** Every set of f malicious nodes among N (for each f in `fs`, default all the bounds accept) at
 *  d = f + 1, with every named strategy and `seeds` Byzantine runs (default SEEDS[N]). */
export async function sweep(t: ExecutionContext, N: number, fs?: number[], seeds?: number): Promise<void> {
  t.timeout(900_000); // hang guard only: the N = 7 sweep takes minutes on a loaded machine
  const nodes = nodesOf(N);
  let runs = 0;
  const rejected: Record<string, number> = {};
  for (const f of fs ?? Array.from({ length: qbaMaxFaults(N) + 1 }, (_, i) => i)) {
    const d = qbaDepthFor(f);
    t.is(qbaRefusal(N, f, d), undefined);
    for (const bad of subsetsOfSize(nodes, f)) {
      await new Promise((r) => setImmediate(r)); // let the worker report finished tests meanwhile
      const cases: [string, (node: string, seed: number) => NodeBehaviour, number][] = [
        ...Object.entries(strategies(nodes, bad)).map(([name, make]) => [name, (node: string) => make(node), 1] as [string, (node: string, seed: number) => NodeBehaviour, number]),
        ['byzantine', (node, seed) => byzantine(createRng(`byz-${N}-${bad}-${node}-${seed}`), VALUES), seeds ?? SEEDS[N]!],
      ];
      for (const [name, make, seeds] of f === 0 ? cases.slice(0, 1) : cases) {
        for (let seed = 0; seed < seeds; seed++) {
          const behaviours = Object.fromEntries(bad.map((b) => [b, make(b, seed)]));
          const ledger = new MemoryLedger(`m-${N}-${bad}-${name}-${seed}`);
          const r = runQba({ nodes, primary: 'Alice', value: 'buy', depth: d, n: N_TEST, keys: ledger, rng: createRng(`${N}-${bad}-${name}-${seed}`), behaviours });
          const label = `N=${N} d=${d} malicious [${bad.join(', ')}] ${name} seed ${seed}`;
          if (!r.agreement) t.fail(`${label}: agreement ${JSON.stringify(r.decisions)}`);
          if (r.validity === false) t.fail(`${label}: validity ${JSON.stringify(r.decisions)}`);
          if (r.verdictDisagreements !== 0) t.fail(`${label}: verdicts of two honest parties differ`);
          if (!ledger.disjoint()) t.fail(`${label}: a key bit went out twice`);
          if (JSON.stringify(r.keyBitsPerPool) !== JSON.stringify(ledger.totals())) t.fail(`${label}: reported key bits differ from the withdrawals`);
          rejected[name] = (rejected[name] ?? 0) + Object.values(r.rejections).reduce((a, b) => a + b, 0);
          runs++;
        }
      }
    }
  }
  t.log(`N = ${N}: ${runs} broadcasts, f in {${fs ?? `0..${qbaMaxFaults(N)}`}}, d = f + 1`);
  t.true(runs > 0);
  // The attacks were really attempted and the QDS verdicts are what stopped them.
  if (Object.keys(rejected).length > 1) t.true(rejected.forge! > 0 && rejected.alter! > 0, JSON.stringify(rejected));
}

