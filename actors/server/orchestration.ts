// Orchestration core (control layer of the server): for one QKD request and the hypervisor's
// network view, decide protocol family, untrusted helper, where each DoF conversion happens,
// the light path through the switch fabric, the exclusive resources, and the source
// parameters. Pure: `planRequest` reads the view, the resource pool and the fabric and
// returns a Plan, or Queued{reason} (might work later), or Refused{reason} (never on this network).
//
// SESSION LIFECYCLE (driven by orchestration-machine.ts and the session actors; every arrow has a timeout, every state an abort edge):
//   1. plan       planRequest(request, view, pool, {fabric}) -> Plan (or Queued: stays in the task manager).
//   2. reserve    reserve(pool, plan.sessionId, plan.resources): all-or-nothing; a conflict (the view
//                 was stale) sends the request back to step 1.
//   3. switches   switchFabric CONNECT {sessionId, ports: plan.crossConnects} -> FABRIC.CONNECTED
//                 {settleMs}; wait settleMs (MEMS). FABRIC.REFUSED -> release, re-plan.
//   4. channel    tell each participant (plan.a, plan.b, relay nodes / E source) its role, the
//                 channel parameters (legs' loss, DoF out / conversion at own converter,
//                 plan.params intensities and probabilities, pulses) on session.<id>.<node>.
//   5. calibrate  nodes calibrate (phase reference, polarization, mean photon number, delay);
//                 each reports CALIBRATED with its residual misalignment.
//   6. run        the fabric samples detections; the session actors run sifting, parameter
//                 estimation, Cascade, verification, PA over authenticated session subjects.
//   7. stage      both ends stage the key block (same id) in their pools, not yet usable.
//   8. confirm    key confirmation (hash of the final key, authenticated) both ways.
//   9. commit     both pools commit the staged block; result to the agent.
//  10. release    switchFabric RELEASE {sessionId}; release(pool, sessionId); the task manager
//                 re-plans its queue (RESOURCES_FREED).
// Abort paths: a participant missing a heartbeat or a step timeout, a failed calibration,
// QBER above threshold / l_sec <= 0, verification or confirmation mismatch, or a user cancel ->
// ABORT to every participant: staged keys are discarded (never committed), then step 10.
// A commit that one side confirmed and the other did not is rolled back by the pool's
// two-phase protocol (infra/keypool), never half-kept. The orchestration machine treats
// ABORTED exactly like FINISHED for resources: release, then re-plan the queue.
import type { NodeId, SessionId } from '../../protocols/types.ts';
import type { Candidate, Channel, PhysicsDefaults, PlanContext, QkdProtocol } from '../../protocols/qkd/descriptor.ts';
import { REFERENCE_DEFAULTS } from '../../protocols/qkd/defaults.ts';
import { protocolOf } from '../../protocols/qkd/registry.ts';
import { expectedResidualOf } from '../node/devices.ts';
import type { NetworkView, NodeView, Plan, PlanOutcome, QkdRequest } from './orchestration-types.ts';
import { finiteEngine, rankingEngine, settleLeak, type EnginePrediction, type FiniteEngine, type KeyRateEngine } from './orchestration-keyrate.ts';
import { detectorCount, measurable, protocolsServing } from './orchestration-selection.ts';
import { holderOf, isFree, resourceId, type ResourceId, type ResourcePool } from './resources.ts';
import { planBsOutput, planLeg, type PlannedLeg, type RoutingContext } from './routing.ts';
import { roundUp2, smallestPulses } from './orchestration-sizing.ts';
import { MAX_TIMER_MS, maxBudgetPulses, processingBudgetMs } from '../sessions/session-budget.ts';
import { connectionOf, createFabric, layoutFromView, type FabricState } from './switch-fabric.ts';
import { jointCombinations, MAX_EXAMINED, NEAREST_HELPERS, nearestFirst, sharedHardwareHeld, shortlist, structuralRoute } from './relay-choice.ts';
import { cachedEngine } from './prediction-cache.ts';
import { viewIndex } from './sites.ts';

export interface PlanDeps {
  /** Fast (asymptotic) predictions to rank candidates. */
  engine?: KeyRateEngine;
  /** Finite-key prediction + optimal parameters of the chosen candidate; null: keep the ranking
   *  engine's (fast, for tests and for planning that must not block). Default: finiteEngine. */
  finite?: FiniteEngine | null;
  /** The switch fabric as it is now (ports, live cross-connects); default: fresh layout of the view. */
  fabric?: FabricState;
  sessionId?: SessionId;
  defaults?: Partial<PhysicsDefaults>;
  /** Candidates within this relative margin of the best rate count as tied (default 1 %). */
  tieTolerance?: number;
}

const detectorsOf = (n: NodeView): ResourceId[] => Array.from({ length: detectorCount(n) }, (_, i) => resourceId.detector(n.id, i));
const deviceOf = (n: NodeView): ResourceId[] => (n.type === 'D' ? detectorsOf(n) : [resourceId.source(n.id)]);

/** Route all legs in order, each seeing the ports/converters the previous ones took. */
function routeLegs(ctx: RoutingContext, specs: Array<(c: RoutingContext) => PlannedLeg | undefined>): PlannedLeg[] | undefined {
  const usedPorts = new Set(ctx.usedPorts);
  const usedResources = new Set(ctx.usedResources);
  const legs: PlannedLeg[] = [];
  for (const spec of specs) {
    const leg = spec({ ...ctx, usedPorts, usedResources });
    if (!leg) return undefined;
    leg.ports.forEach((p) => usedPorts.add(p));
    leg.converters.forEach((r) => usedResources.add(r));
    legs.push(leg);
  }
  return legs;
}

/** What the participants' calibration is expected to leave (the fabric adds the reported residuals;
 *  on a calibrated link, whose fitted misalignment already is the published total, only their
 *  deviation from this expectation). */
const residualOf = (...nodes: NodeView[]): number => expectedResidualOf(nodes);

const serverMisalignment = (view: NetworkView, legs: PlannedLeg[]): number =>
  legs
    .flatMap((l) => l.conversions)
    .filter((c) => c.at === 'server')
    .reduce((s, c) => s + (view.server.converters.find((v) => resourceId.serverConverter(v.id) === c.converter)?.misalignment ?? 0), 0);

/** The candidates of each protocol serving the pair. `pick`: which of the helpers, nearest first,
 *  get candidates (default all). Down helpers are noted: the request may wait for them. */
function candidatesFor(protocols: QkdProtocol<Channel>[], a: NodeView, b: NodeView, view: NetworkView, d: PhysicsDefaults, pick: (nearest: NodeView[]) => NodeView[] = (h) => h): { list: Candidate[]; notes: string[] } {
  const notes: string[] = [];
  const list: Candidate[] = [];
  for (const p of protocols) {
    const helperType = p.rule.helper;
    const all = helperType === 'none' ? [] : view.nodes.filter((n) => n.type === helperType && n.id !== a.id && n.id !== b.id);
    for (const n of all) if (n.state === 'down' && !notes.includes(`${n.id} is down`)) notes.push(`${n.id} is down`);
    const upInViewOrder = all.filter((n) => n.state !== 'down');
    const ctx: PlanContext = {
      a, b, view, defaults: d,
      helpers: helperType === 'none' ? [] : pick(nearestFirst(view, a, b, upInViewOrder)),
      helpersInViewOrder: upInViewOrder,
      jointCombinations: () => jointCombinations(view, a, b, upInViewOrder),
      planLeg, planBsOutput, routeLegs, measurable, deviceOf, detectorsOf,
      beamSplitterResource: resourceId.beamSplitter,
      serverMisalignment: (legs) => serverMisalignment(view, legs),
      residualOf,
    };
    list.push(...p.candidates(ctx));
  }
  return { list, notes };
}

function relayMatches(c: Candidate, relay: string): boolean {
  const names = relay.split('+');
  return names.every((n) => c.helpers.some((h) => h.id === n));
}

/** The ranking engine with its predictions memoised per channel (the default). */
const cachedRanking = cachedEngine(rankingEngine);

interface Examined {
  c: Candidate;
  legs: PlannedLeg[];
  ch: Channel;
  pred: EnginePrediction;
  pulses: number;
  resources: ResourceId[];
  /** Its place in `considered` (candidate order). */
  slot: number;
}

interface Waiting {
  c: Candidate;
  reason: string;
  /** Would it give a key once its hardware is free (its structural route, predicted)? */
  wouldGiveKey: () => boolean;
}

interface ExamineInput {
  request: QkdRequest;
  view: NetworkView;
  pool: ResourcePool;
  fabric: FabricState;
  engine: KeyRateEngine;
  d: PhysicsDefaults;
  tol: number;
  list: Candidate[];
  a: NodeView;
  b: NodeView;
}

/**
 * Route and predict the candidates worth it, nearest helpers first: those of at most
 * NEAREST_HELPERS idle helpers (MAX_EXAMINED feasible ones in all), joint BSMs only when no single
 * relay gives a key (or when there are few of them), and no finite prediction of an MDI
 * candidate whose highest possible rate is below the best one found (relay-choice.ts).
 */
function examineCandidates(x: ExamineInput) {
  const { request, view, pool, fabric, engine, d, tol, a, b } = x;
  const emptyCtx = (ignoreOccupancy: boolean): RoutingContext => ({ view, fabric, pool, usedPorts: new Set(), usedResources: new Set(), ignoreOccupancy });
  const structural = (c: Candidate) => structuralRoute(view, fabric.ports, `${a.id}|${b.id}|${c.label}`, () => c.route(emptyCtx(true)));
  const held = (rs: readonly ResourceId[]) => rs.flatMap((r) => { const s = holderOf(pool, r); return s === undefined ? [] : [[r, s] as const]; });
  const endsHeld = held([...deviceOf(a), ...deviceOf(b)]).map(([r]) => r);
  const basePulses = Math.round((request.seconds ?? (request.bits ? 0 : d.seconds)) * d.rateHz);
  const bounded = engine === cachedRanking || engine === rankingEngine;
  const considered: Plan['considered'] = [];
  const blockedBy = new Set<ResourceId>();
  const waiting: Waiting[] = [];
  const feasible: Candidate[] = [];
  const ok: Examined[] = [];
  const idleHelpers = new Set<NodeId>();
  let portBlocked = false;
  let best = 0;
  const waitFor = (c: Candidate, legs: PlannedLeg[], reason: string) =>
    waiting.push({ c, reason, wouldGiveKey: () => engine.predict(c.channel(legs), basePulses || 1e12).result.secretBitsPerPulse > 0 });
  const examine = (cands: readonly Candidate[]) => {
    const routed: Array<{ c: Candidate; legs: PlannedLeg[]; ch: Channel; slot: number }> = [];
    for (const c of cands) {
      const fresh = c.tier === 1 && c.helpers.length > 0 && !c.helpers.some((h) => idleHelpers.has(h.id));
      if (fresh && (idleHelpers.size >= NEAREST_HELPERS || feasible.length >= MAX_EXAMINED)) continue;
      const legs0 = structural(c);
      if (!legs0) continue;
      feasible.push(c);
      const busy = held(c.devices);
      if (busy.length > 0) {
        busy.forEach(([r]) => blockedBy.add(r));
        const who = [...new Set(busy.map(([r, s]) => `${r.replace(/^(source|detector):/, '').replace(/\/\d+$/, '')} busy (session ${s})`))];
        considered.push({ label: c.label, rejected: who.join(', ') });
        waitFor(c, legs0, 'no key even when free');
        continue;
      }
      c.helpers.forEach((h) => idleHelpers.add(h.id));
      // The least-loss route over all the hardware is the least-loss free one when all of it is free.
      const free = legs0.every((l) => l.ports.every((p) => isFree(pool, resourceId.port(p)) && connectionOf(fabric, p) === undefined) && l.converters.every((r) => isFree(pool, r)));
      const legs = free ? legs0 : c.route(emptyCtx(false));
      if (!legs) {
        considered.push({ label: c.label, rejected: 'no free switch ports / converter on the path' });
        legs0.forEach((l) => l.ports.forEach((p) => blockedBy.add(resourceId.port(p))));
        portBlocked = true;
        waitFor(c, legs0, 'no key even on a free path');
        continue;
      }
      const slot = considered.push({ label: c.label }) - 1;
      routed.push({ c, legs, ch: c.channel(legs), slot });
    }
    // Predict the most promising first, so that candidates that cannot win are skipped.
    const bound = (r: (typeof routed)[number]) => (bounded ? protocolOf(r.ch.kind).keyrate.bound?.(r.ch) ?? Infinity : Infinity);
    const order = routed.map((r) => ({ r, u: bound(r) })).sort((p, q) => q.u - p.u);
    const done: Examined[] = [];
    for (const { r, u } of order) {
      const { c, legs, ch, slot } = r;
      if (c.tier === 1 && best > 0 && u < best * (1 - tol)) {
        considered[slot] = { label: c.label, rejected: 'not predicted: its highest possible rate is below the best found' };
        continue;
      }
      let pulses = basePulses;
      let pred = engine.predict(ch, pulses || 1e12);
      if (!request.seconds && request.bits) {
        // "until k bits": size N from the asymptotic rate; finalisation below corrects for finite size.
        const perPulse = pred.result.secretBitsPerPulse;
        pulses = perPulse > 0 ? Math.ceil(request.bits / perPulse) : 0;
        if (pulses > 0) pred = engine.predict(ch, pulses);
      }
      const resources = [...new Set([...c.devices, ...legs.flatMap((l) => l.converters), ...legs.flatMap((l) => l.ports.map(resourceId.port))])].sort();
      considered[slot] = { label: c.label, secretBitsPerPulse: pred.result.secretBitsPerPulse };
      done.push({ c, legs, ch, pred, pulses, resources, slot });
      if (c.tier === 1) best = Math.max(best, pred.result.secretBitsPerPulse);
    }
    // Back in candidate order: ties go to the nearer helper.
    ok.push(...done.sort((p, q) => p.slot - q.slot));
  };
  const joint = x.list.filter((c) => c.tier === 2);
  const eager = joint.length <= EAGER_JOINT;
  examine(eager ? x.list : x.list.filter((c) => c.tier === 1));
  if (!eager && !ok.some((o) => o.pred.result.secretBitsPerPulse > 0)) examine(joint);
  return {
    considered,
    ok,
    feasible,
    waiting,
    /** Both ends are needed by every candidate: while one is busy only its release matters. When
     *  no free path was left, any other path would need a server converter, a strand or a beam
     *  splitter port that is taken now: those too. */
    waitingFor: (): ResourceId[] => (endsHeld.length > 0 ? endsHeld.sort() : [...new Set([...blockedBy, ...(portBlocked ? sharedHardwareHeld(pool, fabric) : [])])].sort()),
  };
}

/** Joint-BSM candidates are routed together with the single relays when there are at most this many. */
const EAGER_JOINT = 12;

/**
 * Plan one QKD request. `pool` holds the current reservations; `deps.fabric` the current
 * cross-connects (default: none). Never mutates its inputs; reserve `plan.resources` next.
 */
export function planRequest(request: QkdRequest, view: NetworkView, pool: ResourcePool, deps: PlanDeps = {}): PlanOutcome {
  const d: PhysicsDefaults = { ...REFERENCE_DEFAULTS, ...(view.rateHz ? { rateHz: view.rateHz } : {}), ...deps.defaults };
  const engine = deps.engine ?? cachedRanking;
  const finite = deps.finite === undefined ? finiteEngine : deps.finite;
  const fabric = deps.fabric ?? createFabric(layoutFromView(view), view.server.switchTimeMs);
  const tol = deps.tieTolerance ?? 0.01;
  const requestId = request.id;
  const refused = (reason: string): PlanOutcome => ({ kind: 'refused', requestId, reason });

  const vx = viewIndex(view);
  const a = vx.node.get(request.a);
  const b = vx.node.get(request.b);
  if (!a) return refused(`unknown node ${request.a}`);
  if (!b) return refused(`unknown node ${request.b}`);
  const relayOnly = [a, b].find((n) => n.serverOwned);
  if (relayOnly) return refused(`${relayOnly.id} is a ${relayOnly.type === 'E' ? 'source' : 'relay'} the server operates: it never holds a key`);
  if (a.id === b.id) return refused(`a QKD session needs two different nodes (got ${a.id} twice)`);
  const wanted = request.protocol ?? 'auto';
  const served = protocolsServing(a, b, view, wanted);
  if (!served.ok) return refused(served.reason);
  const relayWanted = request.relay ?? 'auto';
  const direct = served.protocols.filter((p) => p.rule.helper === 'none');
  if (direct.length === served.protocols.length && relayWanted !== 'auto') return refused(`${direct[0]!.title} between ${a.id} and ${b.id} uses no relay (relay ${relayWanted} given)`);

  const helperIdle = (h: NodeView) => (h.type === 'D' ? detectorsOf(h) : deviceOf(h)).every((r) => holderOf(pool, r) === undefined);
  const named = relayWanted === 'auto' ? undefined : new Set(relayWanted.split('+'));
  const { list: all, notes } = candidatesFor(served.protocols, a, b, view, d, (nearest) => (named ? nearest.filter((h) => named.has(h.id)) : shortlist(view, nearest.filter((h) => h.type === 'E' || h.bsm), helperIdle)));
  const list = relayWanted === 'auto' ? all : all.filter((c) => relayMatches(c, relayWanted));
  if (relayWanted !== 'auto' && !relayWanted.split('+').some((n) => vx.node.has(n))) return refused(`unknown relay ${relayWanted}`);

  const down = [a, b].filter((n) => n.state === 'down');
  if (down.length > 0) return { kind: 'queued', requestId, reason: `${down.map((n) => n.id).join(' and ')} down`, waitingFor: [] };

  const s = examineCandidates({ request, view, pool, fabric, engine, d, tol, list, a, b });
  if (s.feasible.length === 0) {
    // Structural feasibility first: a candidate no free hardware could ever route is not a reason to wait.
    const helper = served.protocols.find((p) => p.rule.helper !== 'none')?.rule.helper;
    const helperWord = helper === 'D' ? 'D node for the BSM' : helper === 'E' ? 'E node as entangled source' : 'route';
    const why = list.length === 0 ? `no ${helperWord} in the network${notes.length ? ' (' + notes.join('; ') + ')' : ''}` : `no DoF-compatible path (${list.map((c) => c.label).join(', ')})`;
    if (notes.length > 0 && list.length === 0) return { kind: 'queued', requestId, reason: why, waitingFor: [] };
    return refused(why);
  }
  const { considered, ok } = s;

  const withKey = ok.filter((o) => o.pred.result.secretBitsPerPulse > 0);
  if (withKey.length === 0) {
    const reasons = [...new Set(considered.flatMap((c) => (c.rejected ? [c.rejected] : [])))];
    // Waiting only helps when some candidate that is busy now would give a key once free.
    const noKey = [...ok.map((o) => `${o.c.label}: ${o.pred.result.reason ?? '0 bits'}`), ...s.waiting.filter((w) => !w.wouldGiveKey()).map((w) => `${w.c.label}: ${w.reason}`)];
    if (!s.waiting.some((w) => w.wouldGiveKey())) return refused(`no secret key on any route (${noKey.join('; ')})`);
    const missing = notes.length ? `; ${notes.join('; ')}` : '';
    return { kind: 'queued', requestId, reason: `waiting: ${reasons.join('; ')}${missing}`, waitingFor: s.waitingFor() };
  }

  // Rank: tier (single relay before joint BSM), then rate; within the tie tolerance prefer fewer
  // DoF conversions, then the relay's native DoF, then view order (stable).
  const best = withKey.reduce((x, y) => {
    if (x.c.tier !== y.c.tier) return x.c.tier < y.c.tier ? x : y;
    const rx = x.pred.result.secretBitsPerPulse, ry = y.pred.result.secretBitsPerPulse;
    if (Math.abs(rx - ry) > tol * Math.max(rx, ry)) return rx > ry ? x : y;
    const cx = x.legs.flatMap((l) => l.conversions).length, cy = y.legs.flatMap((l) => l.conversions).length;
    if (cx !== cy) return cx < cy ? x : y;
    if (x.c.nativeDof !== y.c.nativeDof) return x.c.nativeDof ? x : y;
    return x;
  });

  // Finite-key parameters for the winner only (optimisation is the expensive step).
  let final = best.pred;
  let pulses = best.pulses;
  if (finite && pulses > 0) {
    final = finite.predict(best.ch, pulses) ?? final;
    // "until k bits": fixed-point N = k / rate(N); the finite-key rate per pulse rises with N, so a
    // few steps settle within a few per cent (the last step rounds up rather than short).
    for (let i = 0; i < 6 && !request.seconds && request.bits && final.result.secretBitsPerPulse > 0; i++) {
      const got = final.result.secretBits;
      if (got >= request.bits && got <= request.bits * 1.05) break;
      pulses = Math.ceil((request.bits * (got < request.bits ? 1.01 : 1)) / final.result.secretBitsPerPulse);
      final = finite.predict(best.ch, pulses);
    }
  }
  // The session charges the bits Cascade discloses (and the QBER sample), not f n h(e): predict
  // (and size the run) with that leak.
  const predictAt = (n: number) => settleLeak(best.ch, finite!.predict(best.ch, n), n);
  if (pulses > 0 && finite) final = settleLeak(best.ch, final, pulses);
  if (finite) {
    const sized = sizeForKey(request, a.id, b.id, best.c.label, predictAt, pulses, final, d.rateHz);
    if (typeof sized === 'string') return refused(sized);
    ({ pulses, final } = sized);
  }
  const r = final.result;
  const budgetMs = processingBudgetMs({ pulses, prediction: r });
  if (budgetMs > MAX_TIMER_MS) {
    const most = maxBudgetPulses(pulses > 0 ? r.siftedBits / pulses : 0);
    return refused(`${best.c.label}: a ${seconds(pulses, d.rateHz)} run predicts ${r.siftedBits.toExponential(2)} sifted bits, whose processing deadline (${(budgetMs / 86_400_000).toFixed(0)} days) is longer than a timer can hold (24.8 days); at most about ${seconds(most, d.rateHz)} on this pair`);
  }
  const plan: Plan = {
    kind: 'plan',
    requestId,
    sessionId: deps.sessionId ?? `s-${requestId}`,
    // A candidate runs its descriptor's name or one of its variants (protocols/qkd/registry.ts).
    protocol: best.c.protocol as Plan['protocol'],
    keyKind: request.keyKind ?? 'secret',
    a: a.id,
    b: b.id,
    dof: { a: a.dof, b: b.dof, channel: best.c.channelDof },
    conversions: best.legs.flatMap((l) => l.conversions),
    relay: best.c.relay,
    legs: best.legs.map(({ conversions: _c, ports: _p, ...leg }) => leg),
    crossConnects: best.legs.flatMap((l) => l.crossConnects),
    resources: best.resources,
    params: { ...r.params },
    paramsSource: final.paramsSource,
    pulses,
    prediction: { secretBits: r.secretBits, secretBitsPerPulse: r.secretBitsPerPulse, siftedBits: r.siftedBits, qber: r.qber, leakEC: r.leakEC, engine: final.engine, ...(r.reason ? { reason: r.reason } : {}) },
    switchTimeMs: fabric.switchTimeMs,
    considered,
  };
  return plan;
}

/** The longest acquisition a request may ask for (qkdRequestSchema: seconds <= 1e6). */
const MAX_SECONDS = 1e6;

const seconds = (pulses: number, rateHz: number) => `${Number((pulses / rateHz).toPrecision(2))} s`;

/**
 * A secret-key run whose finite-key prediction gives no key is refused with the shortest run that
 * gives one (`force` runs it as asked); "until k bits" is sized by the finite-key prediction when the
 * asymptotic sizing falls short. Returns the run to make, or why not. Imperfect-key runs deposit the
 * reconciled key, which needs no positive l_sec.
 */
function sizeForKey(request: QkdRequest, a: NodeId, b: NodeId, label: string, predict: (pulses: number) => EnginePrediction,
  pulses: number, final: EnginePrediction, rateHz: number): { pulses: number; final: EnginePrediction } | string {
  if ((request.keyKind ?? 'secret') !== 'secret' || request.force) return { pulses, final };
  const keyAt = (n: number) => predict(Math.round(n)).result.secretBits;
  const maxPulses = MAX_SECONDS * rateHz;
  if (request.bits && !request.seconds) {
    if (final.result.secretBits >= request.bits) return { pulses, final };
    const s = smallestPulses(keyAt, request.bits, Math.max(pulses, 1e6), maxPulses);
    if (!s) return `${label}: even a ${seconds(maxPulses, rateHz)} run predicts fewer than ${request.bits} secret bits (${keyAt(maxPulses)})`;
    return { pulses: Math.round(s.pulses), final: predict(Math.round(s.pulses)) };
  }
  if (final.result.secretBits > 0) return { pulses, final };
  const asked = `${label} predicts no secret key for a ${seconds(pulses, rateHz)} run (${pulses.toExponential(2)} pulses)${final.result.reason ? `: ${final.result.reason}` : ''}`;
  const s = smallestPulses(keyAt, 1, pulses, maxPulses);
  if (!s) return `${asked}, nor for any run up to ${seconds(maxPulses, rateHz)}; --force runs it anyway`;
  const t = roundUp2(s.pulses / rateHz);
  return `${asked}; the shortest run with a key is about ${t} s (${s.pulses.toExponential(2)} pulses, predicted l_sec ${s.bits}): hetqn qkd ${a} ${b} --seconds ${t}, or --force to run this one anyway`;
}

/** Nodes a plan involves (both ends and helpers): whom the session must talk to. */
export function planParticipants(plan: Plan): NodeId[] {
  return protocolOf(plan.protocol).participants(plan).map((p) => p.node);
}
