// In-process model of one QBA broadcast: the multicast rounds run depth-first (a child round only
// needs what its signer accepted in the parent round), every QDS run is a real OTUH-QDS with keys
// withdrawn from the pairs' pools, and every node acts through its NodeBehaviour. The actor
// version runs the same round logic (qba.ts) with one spawned actor per multicast round.
import type { Rng } from '../rng.ts';
import type { NodeId, PoolKind } from '../types.ts';
import type { Item, MulticastRoundPlan, SignatureRegistry, Value } from './qba.ts';
import {
  MESSAGES_PER_QDS_RUN, acceptItems, createSignatureRegistry, decide, decodePayload, encodePayload,
  planChild, planMulticastRound, primaryPayload, relayPayload,
} from './qba.ts';
import type { NodeBehaviour } from './qba-behaviours.ts';
import { honest } from './qba-behaviours.ts';
import { forgeSignature, randomKeys } from './qds-attacks.ts';
import type { QdsForwardPackage, QdsKeys } from './qds.ts';
import { forward, forwarderVerdict, sign, verify } from './qds.ts';
import type { TaskKeySource } from './task-keys.ts';
import { poolKey, withdrawQdsKeys } from './task-keys.ts';

export interface QbaConfig {
  readonly nodes: readonly NodeId[];
  readonly primary: NodeId;
  /** The primary's value (what an honest primary broadcasts). */
  readonly value: Value;
  readonly depth: number;
  /** Length n of each QDS key string (see qbaStringLength). */
  readonly n: number;
  readonly keys: TaskKeySource;
  readonly rng: Rng;
  readonly poolKind?: PoolKind;
  /** Behaviour per malicious node; nodes not listed are honest. */
  readonly behaviours?: Readonly<Record<NodeId, NodeBehaviour>>;
}

export interface RoundReport {
  readonly id: string;
  readonly signer: NodeId;
  readonly depth: number;
  readonly qdsRuns: number;
  readonly messages: number;
  /** Key bits withdrawn in this round, per pool ("A|B"). */
  readonly keyBitsPerPool: Readonly<Record<string, number>>;
}

export interface QbaResult {
  readonly decisions: Readonly<Record<NodeId, Value>>;
  readonly honest: readonly NodeId[];
  /** Every honest node decided the same value. */
  readonly agreement: boolean;
  /** Honest primary: every honest node decided its value. Malicious primary: null. */
  readonly validity: boolean | null;
  /** Distinct values signed by the primary each node accepted. */
  readonly seen: Readonly<Record<NodeId, readonly Value[]>>;
  readonly rounds: readonly RoundReport[];
  readonly multicastRounds: number;
  readonly qdsRuns: number;
  readonly messages: number;
  readonly keyBitsPerPool: Readonly<Record<string, number>>;
  readonly keyBitsTotal: number;
  /** Runs where an honest forwarder's and an honest verifier's verdicts differed (must be 0). */
  readonly verdictDisagreements: number;
  /** QDS verdicts that rejected, by reason, over all runs. */
  readonly rejections: Readonly<Record<string, number>>;
}

interface SimState {
  readonly cfg: QbaConfig;
  readonly registry: SignatureRegistry;
  readonly seen: Map<NodeId, Set<Value>>;
  readonly rounds: RoundReport[];
  readonly rejections: Record<string, number>;
  disagreements: number;
}

const behaviourOf = (cfg: QbaConfig, node: NodeId): NodeBehaviour => cfg.behaviours?.[node] ?? honest();
const isHonest = (cfg: QbaConfig, node: NodeId) => cfg.behaviours?.[node] === undefined;

/** Run one broadcast QBA(primary, nodes \ {primary}, depth). */
export function runQba(cfg: QbaConfig): QbaResult {
  if (!cfg.nodes.includes(cfg.primary)) throw new RangeError(`runQba: primary ${cfg.primary} is not among the nodes`);
  const st: SimState = { cfg, registry: createSignatureRegistry(), seen: new Map(cfg.nodes.map((n) => [n, new Set<Value>()])), rounds: [], rejections: {}, disagreements: 0 };
  const root = planMulticastRound(cfg.primary, cfg.nodes.filter((n) => n !== cfg.primary), cfg.depth);
  runRound(st, root, primaryPayload(cfg.primary, cfg.value));

  const decisions: Record<NodeId, Value> = {};
  const seen: Record<NodeId, Value[]> = {};
  for (const node of cfg.nodes) {
    seen[node] = [...(st.seen.get(node) ?? [])].sort();
    decisions[node] = node === cfg.primary && isHonest(cfg, node) ? cfg.value : decide(seen[node]);
  }
  const honestNodes = cfg.nodes.filter((n) => isHonest(cfg, n));
  const honestDecisions = new Set(honestNodes.map((n) => decisions[n]));
  const keyBitsPerPool: Record<string, number> = {};
  for (const r of st.rounds) for (const [k, v] of Object.entries(r.keyBitsPerPool)) keyBitsPerPool[k] = (keyBitsPerPool[k] ?? 0) + v;
  return {
    decisions, honest: honestNodes, seen,
    agreement: honestDecisions.size <= 1,
    validity: isHonest(cfg, cfg.primary) ? honestNodes.every((n) => decisions[n] === cfg.value) : null,
    rounds: st.rounds,
    multicastRounds: st.rounds.length,
    qdsRuns: st.rounds.reduce((s, r) => s + r.qdsRuns, 0),
    messages: st.rounds.reduce((s, r) => s + r.messages, 0),
    keyBitsPerPool,
    keyBitsTotal: Object.values(keyBitsPerPool).reduce((s, v) => s + v, 0),
    verdictDisagreements: st.disagreements,
    rejections: st.rejections,
  };
}

function randomKeysAsSignature(n: number, rng: Rng) {
  const k = randomKeys(n, rng);
  return { sig1: k.x, sig2: k.y };
}

/** One multicast round, then its sub-rounds. `honestPayload` is what an honest signer would sign. */
function runRound(st: SimState, round: MulticastRoundPlan, honestPayload: readonly Item[]): void {
  const { cfg } = st;
  const n = cfg.n, kind = cfg.poolKind ?? 'secret', signer = round.signer;
  const signerBehaviour = behaviourOf(cfg, signer);
  const payloadFor = new Map<NodeId, readonly Item[] | null>();
  for (const f of round.backups) payloadFor.set(f, signerBehaviour.signerPayload(round, f, honestPayload));
  const accepted = new Map<NodeId, Item[]>(round.backups.map((b) => [b, []]));
  const keyBits: Record<string, number> = {};
  const take = (peer: NodeId): QdsKeys => {
    const k = poolKey(signer, peer);
    keyBits[k] = (keyBits[k] ?? 0) + 2 * n;
    return withdrawQdsKeys(cfg.keys, signer, peer, n, kind);
  };
  const reject = (reason: string) => { st.rejections[reason] = (st.rejections[reason] ?? 0) + 1; };

  for (const { forwarder: F, verifier: V } of round.runs) {
    // Both links' keys are withdrawn for every planned run, whatever the parties then do.
    const kF = take(F), kV = take(V);
    const payload = payloadFor.get(F);
    if (payload === null || payload === undefined) continue;
    const properly = signerBehaviour.signRun?.(round, F, V) ?? true;
    const signed = properly
      ? sign(encodePayload(payload), kF, kV, cfg.rng)
      : { message: encodePayload(payload), signature: randomKeysAsSignature(n, cfg.rng) };
    for (const it of payload) st.registry.record(signer, it);

    const action = behaviourOf(cfg, F).forwardAction(round, V, payload);
    let pkg: QdsForwardPackage | undefined;
    if (action.kind === 'forward') pkg = forward(signed, kF);
    else if (action.kind === 'alter') pkg = { message: encodePayload(action.items), signature: signed.signature, forwarderKeys: kF };
    else if (action.kind === 'forge') {
      const message = encodePayload(action.items);
      pkg = { message, signature: forgeSignature(message, kF, cfg.rng), forwarderKeys: kF };
    }
    if (pkg === undefined) continue; // withheld: V never answers

    const vVerdict = verify(pkg, kV);
    if (vVerdict.accept) {
      const items = decodePayload(pkg.message);
      if (items) accepted.get(V)!.push(...acceptItems(round, items, st.registry));
    } else reject(vVerdict.reason);

    const keyAction = behaviourOf(cfg, V).verifierKeys(round, F);
    const back = keyAction === 'honest' ? kV : keyAction === 'garbage' ? randomKeys(n, cfg.rng) : undefined;
    const fVerdict = back ? forwarderVerdict(signed, kF, back) : { accept: false, reason: 'no-keys' as const };
    if (fVerdict.accept) accepted.get(F)!.push(...acceptItems(round, payload, st.registry));
    if (isHonest(cfg, F) && isHonest(cfg, V) && fVerdict.accept !== vVerdict.accept) st.disagreements++;
  }

  st.rounds.push({ id: round.id, signer, depth: round.depth, qdsRuns: round.runs.length, messages: round.runs.length * MESSAGES_PER_QDS_RUN, keyBitsPerPool: keyBits });
  for (const [node, items] of accepted) for (const it of items) st.seen.get(node)!.add(it.value);
  for (const child of round.children) {
    const plan = planChild(child);
    runRound(st, plan, relayPayload(plan, accepted.get(child.signer) ?? []));
  }
}
