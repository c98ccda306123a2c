// What the server's task machines invoke: each service asks nodes to play roles ('task.role'
// requests through the injected `requestRole`) and combines their reports. No key bits pass here:
// nodes report only verdicts, digests and how many bits they withdrew. Before a task starts, its
// pre-check admits every node it names and every pool lane it will draw from (pool statistics only,
// injected `available`); a short lane refuses the task at once with every short lane and the QKD runs
// that would fill them (TaskRefusal).
import type { NodeId, PoolKind } from '../../protocols/types.ts';
import type { Item, MulticastRoundPlan, RoundSpec } from '../../protocols/tasks/qba.ts';
import { BOTTOM, MESSAGES_PER_QDS_RUN, bytesToValue, decide, planChild, planMulticastRound, qbaStringLength } from '../../protocols/tasks/qba.ts';
import type { StrategyName } from '../../protocols/tasks/qba-behaviours.ts';
import { qbaDepthFor, qbaRefusal } from '../../protocols/tasks/qba-bounds.ts';
import { poolKey } from '../../protocols/tasks/task-keys.ts';
import { chooseQds, type QdsChoice } from './qds-chooser.ts';
import type { ConferenceRequest, QbaRequest, SignRequest, TaskRole } from './tasks.messages.ts';
import { registryDigest, valueDigest } from './value-digest.ts';
import { AUTH_BITS_PER_LINK } from './qds-roles.ts';
import { conferenceDraws, qbaDraws, qdsDraws, shortages, type Draw, type Shortage } from './task-draws.ts';
import type { AdmissionError } from '../server/admission.ts';
import type { FillRun } from '../server/fill-plan.ts';

export interface RoleDone { taskId: string; node: NodeId; role: string; ok: boolean; error?: string; [k: string]: unknown }

export interface CoordinatorDeps {
  requestRole(node: NodeId, body: TaskRole): Promise<RoleDone>;
  /** Nodes that take part in tasks by default (registered, not attach-later relays). */
  nodes(): NodeId[];
  /** Why `node` (named by request field `field`) cannot take part now: unknown, not attached, down. */
  admission(field: string, node: NodeId): Promise<AdmissionError | undefined>;
  /** Bits `owner` can withdraw by size from its pool with `peer` (pool statistics, no key material). */
  available(owner: NodeId, peer: NodeId, kind: PoolKind): Promise<number>;
  /** The QKD run that puts `bits` bits into `owner`'s lane of its pool with `peer`. */
  fillRun(owner: NodeId, peer: NodeId, kind: 'secret' | 'imperfect', bits: number): FillRun;
  /** A stage line for whoever follows the request. */
  progress(requestId: string | undefined, text: string): void;
}

/** A task the platform will not start: `code` says why (unknown-node, unavailable, refused). */
export class TaskRefusal extends Error {
  constructor(message: string, readonly code: 'unknown-node' | 'unavailable' | 'refused', readonly field?: string, readonly details?: { short: Shortage[]; fill: FillRun[] }) { super(message); }
}

const need = (r: RoleDone): RoleDone => { if (!r.ok) throw new Error(`${r.node} (${r.role}): ${r.error}`); return r; };

/** Every named node must be known and up. */
async function admit(deps: CoordinatorDeps, named: Array<[string, NodeId]>): Promise<void> {
  for (const [field, node] of named) {
    const e = await deps.admission(field, node);
    if (e) throw new TaskRefusal(e.message, e.code, e.field);
  }
}

/** One fill run per pair and kind, sized for the larger of its two short lanes. */
function fillRuns(deps: CoordinatorDeps, short: Shortage[]): FillRun[] {
  const byPair = new Map<string, Shortage>();
  for (const s of short) {
    const k = `${[s.owner, s.peer].sort().join('|')}|${s.kind}`;
    const e = byPair.get(k);
    if (!e || s.missing > e.missing) byPair.set(k, s);
  }
  return [...byPair.values()].map((s) => deps.fillRun(s.owner, s.peer, s.kind as 'secret' | 'imperfect', s.missing));
}

/** Refuse the task unless every draw fits its owner's lane. */
export async function checkPools(deps: CoordinatorDeps, task: string, draws: Draw[]): Promise<void> {
  const short = await shortages(draws, deps.available);
  if (short.length === 0) return;
  const fill = fillRuns(deps, short);
  const lines = [
    `not enough key in ${short.length} pool lane(s) it draws from:`,
    ...short.map((x) => `  ${x.owner}->${x.peer} ${x.kind}: ${x.bits} bits needed, ${x.available} available`),
    'fill them first (or run the task again with --fill):',
    ...fill.map((f) => f.command ? `  ${f.command}   # ${f.protocol}, predicted ${f.predictedBits} bits` : `  ${f.a}-${f.b} ${f.kind}: no QKD run can fill it (${f.reason})`),
  ];
  throw new TaskRefusal(lines.join('\n'), 'refused', undefined, { short, fill });
}

// ---- QDS ----------------------------------------------------------------------------------------

export async function chooseSignature(deps: CoordinatorDeps, _taskId: string, req: SignRequest): Promise<QdsChoice> {
  deps.progress(req.requestId, 'checking the nodes and every pool the signature draws from');
  await admit(deps, [['signer', req.signer], ['receiver', req.receiver], ...(req.thirdParty ? [['third-party', req.thirdParty] as [string, NodeId]] : [])]);
  const others = deps.nodes().filter((n) => n !== req.signer && n !== req.receiver);
  const up = await Promise.all(others.map(async (n) => !(await deps.admission('third-party', n))));
  const candidates = others.filter((_, k) => up[k]);
  const verifiers = req.thirdParty ? [req.thirdParty] : candidates;
  const levels = async (owner: NodeId, peers: NodeId[], kind: PoolKind) => Object.fromEntries(await Promise.all(peers.map(async (p) => [p, await deps.available(owner, p, kind)] as const)));
  const [secret, imperfect, auth] = await Promise.all([
    levels(req.signer, [req.receiver, ...verifiers], 'secret'), levels(req.signer, [req.receiver, ...verifiers], 'imperfect'), levels(req.receiver, verifiers, 'secret'),
  ]);
  const choice = chooseQds({ ...req, candidates, messageBytes: req.message.length, available: { secret, imperfect }, auth });
  await checkPools(deps, 'sign', qdsDraws({ signer: req.signer, ...choice }));
  return choice;
}

export interface QdsRunReport {
  signer: NodeId; forwarder: NodeId; verifier: NodeId; variant: 'secret' | 'imperfect'; n: number;
  forwarderAccept: boolean; forwarderReason: string; verifierAccept: boolean; verifierReason: string;
  agree: boolean; tries?: number;
  /** Key bits withdrawn per pool ("A|B"), task keys and authentication keys. */
  keyBitsPerPool: Record<string, number>; authBitsPerPool: Record<string, number>;
  signerResult: RoleDone;
}

export async function runQds(deps: CoordinatorDeps, taskId: string, c: { signer: NodeId; forwarder: NodeId; verifier: NodeId; variant: 'secret' | 'imperfect'; n: number },
  extra: { message?: Uint8Array; attack?: SignRequest['attack']; qba?: (node: NodeId) => Extract<TaskRole, { role: 'qds.signer' }>['qba'] } = {}): Promise<QdsRunReport> {
  const base = { taskId, signer: c.signer, forwarder: c.forwarder, verifier: c.verifier, kind: c.variant, n: c.n, attack: extra.attack };
  const [s, f, v] = await Promise.all([
    deps.requestRole(c.signer, { ...base, role: 'qds.signer', message: extra.message, qba: extra.qba?.(c.signer) }),
    deps.requestRole(c.forwarder, { ...base, role: 'qds.forwarder', qba: extra.qba?.(c.forwarder) }),
    deps.requestRole(c.verifier, { ...base, role: 'qds.verifier', qba: extra.qba?.(c.verifier) }),
  ]);
  need(s); need(f); need(v);
  const keyBitsPerPool: Record<string, number> = {};
  for (const [peer, bits] of Object.entries((s.keyBits ?? {}) as Record<string, number>)) keyBitsPerPool[poolKey(c.signer, peer)] = bits;
  return {
    ...c, tries: s.tries as number | undefined,
    forwarderAccept: !!f.accept, forwarderReason: String(f.reason), verifierAccept: !!v.accept, verifierReason: String(v.reason),
    agree: !!f.accept === !!v.accept,
    keyBitsPerPool, authBitsPerPool: { [poolKey(c.forwarder, c.verifier)]: (f.authBits as number) ?? AUTH_BITS_PER_LINK },
    signerResult: s,
  };
}

// ---- conference ---------------------------------------------------------------------------------

/** The conference pre-check: sponsor and participants up, L + authentication bits on every link. */
export async function checkConference(deps: CoordinatorDeps, req: ConferenceRequest): Promise<NodeId[]> {
  deps.progress(req.requestId, 'checking the nodes and every pool the conference key draws from');
  const participants = req.participants ?? deps.nodes().filter((n) => n !== req.sponsor);
  await admit(deps, [['sponsor', req.sponsor], ...participants.map((p) => ['participants', p] as [string, NodeId])]);
  await checkPools(deps, 'conference', conferenceDraws(req.sponsor, participants, req.bits));
  return participants;
}

export async function runConference(deps: CoordinatorDeps, taskId: string, req: ConferenceRequest) {
  const participants = req.participants ?? deps.nodes().filter((n) => n !== req.sponsor);
  deps.progress(req.requestId, `delivering: ${req.sponsor} pads a ${req.bits}-bit key to ${participants.join(', ')}`);
  const base = { taskId, sponsor: req.sponsor, participants, bits: req.bits, tamper: req.tamper };
  const [s, ...ps] = await Promise.all([
    deps.requestRole(req.sponsor, { ...base, role: 'conf.sponsor' }),
    ...participants.map((p) => deps.requestRole(p, { ...base, role: 'conf.participant' })),
  ]);
  need(s); ps.forEach(need);
  const results = ps.map((p) => ({ node: p.node, ok: p.opened === true, recovered: p.opened === true && p.digest === s.digest, reason: p.reason as string | undefined, keyBits: p.keyBits as number }));
  const keyBitsPerPool: Record<string, number> = {};
  for (const [peer, bits] of Object.entries(s.keyBits as Record<string, number>)) keyBitsPerPool[poolKey(req.sponsor, peer)] = bits;
  return {
    sponsor: req.sponsor, participants, bits: req.bits, keyDigest: s.digest as string,
    allRecovered: results.every((r) => r.recovered), tamperedDetected: req.tamper ? results.some((r) => r.node === req.tamper && r.reason === 'tag') : undefined,
    results, keyBitsPerPool, padBitsPerLink: req.bits, authBitsPerLink: AUTH_BITS_PER_LINK,
  };
}

// ---- QBA ----------------------------------------------------------------------------------------

export interface QbaPlan {
  qbaId: string; requestId?: string; nodes: NodeId[]; primary: NodeId; depth: number; n: number;
  value: string; valueDigest: string; otherValue: string;
  strategies: Record<NodeId, StrategyName>;
  members: NodeId[];
  root: RoundSpec;
}

/** The broadcast's plan, once every node is up and every pool lane of every round holds its bits. */
export async function planQba(deps: CoordinatorDeps, taskId: string, req: QbaRequest): Promise<QbaPlan> {
  deps.progress(req.requestId, 'checking the nodes and every pool the broadcast draws from');
  const nodes = req.nodes ?? deps.nodes();
  await admit(deps, [['primary', req.primary], ...nodes.map((n) => ['nodes', n] as [string, NodeId])]);
  if (!nodes.includes(req.primary)) throw new Error(`primary: ${req.primary} is not among the nodes (${nodes.join(', ')})`);
  const plan = qbaPlanOf(taskId, req, nodes);
  await checkPools(deps, 'qba', qbaDraws(plan.root, plan.n));
  return plan;
}

function qbaPlanOf(taskId: string, req: QbaRequest, nodes: NodeId[]): QbaPlan {
  const value = bytesToValue(req.value);
  const strategies: Record<NodeId, StrategyName> = {};
  for (const m of req.malicious ?? []) {
    if (!nodes.includes(m.node)) throw new Error(`malicious: ${m.node} is not among the nodes`);
    strategies[m.node] = m.strategy;
  }
  // Depth: d = f + 1 unless given; outside the bounds the request is refused naming them (qba-bounds.ts).
  const f = Object.keys(strategies).length;
  const depth = req.depth ?? qbaDepthFor(f);
  const refusal = qbaRefusal(nodes.length, f, depth);
  if (refusal) throw new TaskRefusal(refusal, 'refused');
  const root = planMulticastRound(req.primary, nodes.filter((x) => x !== req.primary), depth);
  return {
    qbaId: taskId, requestId: req.requestId, nodes, primary: req.primary, depth, n: qbaStringLength(value.length, nodes.length, req.eps),
    value, valueDigest: valueDigest(value), otherValue: `another trade (${valueDigest(value)})`,
    strategies, members: Object.keys(strategies).sort(),
    root: { signer: root.signer, backups: root.backups, depth: root.depth, path: root.path },
  };
}

export interface RoundReport {
  id: string; parent: string | null; signer: NodeId; depth: number; qdsRuns: number; messages: number;
  keyBitsPerPool: Record<string, number>; authBitsPerPool: Record<string, number>;
  verdicts: Array<{ forwarder: NodeId; verifier: NodeId; forwarderAccept: boolean; verifierAccept: boolean }>;
  /** Runs between an honest forwarder and an honest verifier whose verdicts differ (must be 0). */
  disagreements: number;
}

export interface RegistryEntry { signer: NodeId; item: Item }

/** One multicast round: every QDS run of the round, at once. Returns the round's report and the
 *  (signer, item) pairs signed in it, which the sub-rounds need to check relayed chains. */
export async function runRound(deps: CoordinatorDeps, plan: QbaPlan, spec: RoundSpec, registry: RegistryEntry[]): Promise<{ report: RoundReport; signed: RegistryEntry[] }> {
  const round: MulticastRoundPlan = planChild(spec);
  deps.progress(plan.requestId, `multicast round ${round.id} (d = ${round.depth}): ${round.runs.length} QDS runs signed by ${round.signer}`);
  const ctx = (node: NodeId) => ({
    qbaId: plan.qbaId, round: { ...spec, backups: [...spec.backups], path: [...spec.path] },
    registry: registry.map((e) => ({ signer: e.signer, item: { value: registryDigest(e.item.value), chain: [...e.item.chain] } })), strategy: plan.strategies[node], members: plan.members, primary: plan.primary,
    value: round.path.length === 1 && node === round.signer ? plan.value : undefined, otherValue: plan.otherValue,
  });
  const runs = await Promise.all(round.runs.map((r) => runQds(deps, `${plan.qbaId}:${round.id}:${r.forwarder}-${r.verifier}`,
    { signer: round.signer, forwarder: r.forwarder, verifier: r.verifier, variant: 'secret', n: plan.n }, { qba: ctx })));
  const keyBitsPerPool: Record<string, number> = {}, authBitsPerPool: Record<string, number> = {};
  const add = (into: Record<string, number>, from: Record<string, number>) => { for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v; };
  const signed: RegistryEntry[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    add(keyBitsPerPool, r.keyBitsPerPool); add(authBitsPerPool, r.authBitsPerPool);
    for (const it of (r.signerResult.signedItems ?? []) as Item[]) {
      const k = `${it.chain.join('>')}|${it.value}`;
      if (!seen.has(k)) { seen.add(k); signed.push({ signer: round.signer, item: it }); }
    }
  }
  const honest = (n: NodeId) => plan.strategies[n] === undefined;
  return {
    report: {
      id: round.id, parent: round.path.length > 1 ? round.path.slice(0, -1).join('>') : null, signer: round.signer, depth: round.depth,
      qdsRuns: round.runs.length, messages: round.runs.length * MESSAGES_PER_QDS_RUN, keyBitsPerPool, authBitsPerPool,
      verdicts: runs.map((r) => ({ forwarder: r.forwarder, verifier: r.verifier, forwarderAccept: r.forwarderAccept, verifierAccept: r.verifierAccept })),
      disagreements: runs.filter((r) => honest(r.forwarder) && honest(r.verifier) && !r.agree).length,
    },
    signed,
  };
}

/** Decisions (spec step 3), agreement and validity from what every node saw. */
export async function decideQba(deps: CoordinatorDeps, plan: QbaPlan, rounds: RoundReport[]) {
  const seenList = await Promise.all(plan.nodes.map(async (node) => [node, need(await deps.requestRole(node, { role: 'qba.seen', taskId: plan.qbaId })).seen as string[]] as const));
  const seen = Object.fromEntries(seenList);
  const isHonest = (n: NodeId) => plan.strategies[n] === undefined;
  const decisions: Record<NodeId, string> = {};
  for (const node of plan.nodes) decisions[node] = node === plan.primary && isHonest(node) ? plan.valueDigest : decide(seen[node]!);
  const honest = plan.nodes.filter(isHonest);
  const keyBitsPerPool: Record<string, number> = {}, authBitsPerPool: Record<string, number> = {};
  for (const r of rounds) {
    for (const [k, v] of Object.entries(r.keyBitsPerPool)) keyBitsPerPool[k] = (keyBitsPerPool[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.authBitsPerPool)) authBitsPerPool[k] = (authBitsPerPool[k] ?? 0) + v;
  }
  return {
    primary: plan.primary, nodes: plan.nodes, depth: plan.depth, n: plan.n, valueDigest: plan.valueDigest, bottom: BOTTOM,
    malicious: plan.strategies, honest, seen, decisions,
    agreement: new Set(honest.map((n) => decisions[n])).size <= 1,
    validity: isHonest(plan.primary) ? honest.every((n) => decisions[n] === plan.valueDigest) : null,
    multicastRounds: rounds.length, qdsRuns: rounds.reduce((s, r) => s + r.qdsRuns, 0), messages: rounds.reduce((s, r) => s + r.messages, 0),
    verdictDisagreements: rounds.reduce((s, r) => s + r.disagreements, 0),
    rounds, keyBitsPerPool, authBitsPerPool,
    keyBitsTotal: Object.values(keyBitsPerPool).reduce((a, b) => a + b, 0),
    authBitsTotal: Object.values(authBitsPerPool).reduce((a, b) => a + b, 0),
  };
}
