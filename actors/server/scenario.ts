// Scenario driver, pure in-process mode: the real task manager and orchestration core (the
// machines the server runs) under a stream of QKD requests, in emulated time. Requests arrive
// as a Poisson process between random user nodes; a planned session holds its hardware for the
// time its plan predicts (switch settling + calibration + pulses / source rate), then ends and
// frees it, which re-plans what waits. No NATS, no Redis, no timers: a 1 000-node network runs
// in one process on a laptop. The report gives throughput, queueing delay, refusals by reason
// and how busy the relays were; `planning` is the wall-clock cost of the control plane itself.
import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { createRng } from '../../protocols/rng.ts';
import { controlPlaneMachine } from './task-manager-host.ts';
import { planParticipants } from './orchestration.ts';
import type { orchestrationMachine } from './orchestration-machine.ts';
import type { NetworkView, Plan, QkdRequest } from './orchestration-types.ts';
import type { FiniteEngine } from './orchestration-keyrate.ts';
import { MinHeap } from './min-heap.ts';

export interface ScenarioOptions {
  requests: number;
  /** Mean arrival rate, requests per second of emulated time. */
  rate: number;
  seed?: number;
  /** Each request asks for this many secret bits (the plan sizes its pulses); default 1e5. */
  bits?: number;
  /** Or a fixed acquisition time per request, s (instead of bits). */
  seconds?: number;
  /** Calibration before a session (phase reference, polarization, intensities, delay), s. An
   *  assumption of this driver: the reference experiment does not publish it. Default 1. */
  calibrationS?: number;
  /** A session its plan predicts to last longer than this is cancelled at once (an operator would
   *  not tie up a relay for it) and counted in `tooLong`; default 1000 s, the reference MDI runs' T. */
  maxSessionS?: number;
  /** The orchestration core's finite-key engine; null (default): the ranking predictions only. */
  finite?: FiniteEngine | null;
  /** Wall clock for the planning cost (default performance.now). */
  now?: () => number;
}

export interface ScenarioReport {
  nodes: number;
  users: number;
  requests: number;
  offeredRate: number;
  seed: number;
  /** Emulated time from the first arrival to the last session's end, s. */
  makespanS: number;
  planned: number;
  completed: number;
  refused: number;
  /** Planned, but predicted to take longer than maxSessionS: cancelled. */
  tooLong: number;
  /** Still queued when nothing was left to happen. */
  pending: number;
  throughput: { plannedPerS: number; completedPerS: number };
  /** Arrival to planned, s, over planned requests. */
  queueDelayS: { mean: number; p50: number; p95: number; max: number };
  refusals: Record<string, number>;
  protocols: Record<string, number>;
  relays: { count: number; used: number; meanUtilisation: number; maxUtilisation: number; busiest: Array<{ node: string; utilisation: number }> };
  /** Time the control plane took, by `now` (wall clock unless given another). */
  planning: { attempts: number; seconds: number; msPerAttempt: number; msPerRequest: number };
}

type Event = { kind: 'arrive'; request: QkdRequest } | { kind: 'end'; sessionId: string };

/** Run a scenario on `view` (users: every node the server does not own). */
export function runScenario(view: NetworkView, opts: ScenarioOptions): ScenarioReport {
  const now = opts.now ?? (() => performance.now());
  const seed = opts.seed ?? 1;
  const users = view.nodes.filter((n) => !n.serverOwned && n.state !== 'down').map((n) => n.id);
  if (users.length < 2) throw new Error('scenario: the network needs at least two user nodes');
  const rateHz = view.rateHz ?? 1e9;
  const calibrationS = opts.calibrationS ?? 1;
  const events = new MinHeap<{ t: number; e: Event }>();
  let t = 0;
  const rng = createRng(`hetqn-scenario|${seed}`);
  for (let i = 0; i < opts.requests; i++) {
    t += -Math.log(1 - rng.nextDouble()) / opts.rate;
    const a = users[rng.nextInt(users.length)]!;
    let b = users[rng.nextInt(users.length - 1)]!;
    if (b === a) b = users[users.length - 1]!;
    const request: QkdRequest = { id: `r${i + 1}`, kind: 'qkd', a, b, ...(opts.seconds ? { seconds: opts.seconds } : { bits: opts.bits ?? 1e5 }) };
    events.push({ t, e: { kind: 'arrive', request } }, t);
  }

  const arrivedAt = new Map<string, number>();
  const delays: number[] = [];
  const refusals: Record<string, number> = {};
  const protocols: Record<string, number> = {};
  const busy = new Map<string, number>();
  const names = new Set(view.nodes.map((n) => n.id));
  let clock = 0, first = Infinity, lastPlan = 0, completed = 0, tooLong = 0;
  const maxSessionS = opts.maxSessionS ?? 1000;
  const cancel: string[] = [];
  const onPlanned = (plan: Plan) => {
    const duration = plan.switchTimeMs / 1000 + calibrationS + plan.pulses / rateHz;
    if (duration > maxSessionS) {
      cancel.push(plan.sessionId);
      return;
    }
    delays.push(clock - arrivedAt.get(plan.requestId)!);
    protocols[plan.protocol] = (protocols[plan.protocol] ?? 0) + 1;
    lastPlan = clock;
    for (const n of planParticipants(plan).slice(2)) busy.set(n, (busy.get(n) ?? 0) + duration);
    events.push({ t: clock + duration, e: { kind: 'end', sessionId: plan.sessionId } }, clock + duration);
  };
  const tm = createActor(
    controlPlaneMachine({
      notifyAgent: (n) => {
        if (n.status === 'planned') onPlanned(n.plan);
        else if (n.status === 'refused') {
          const why = refusalClass(n.reason, names);
          refusals[why] = (refusals[why] ?? 0) + 1;
        }
      },
    }),
    { input: { view, finite: opts.finite ?? null }, clock: { setTimeout: () => 0, clearTimeout: () => {} } },
  ).start();
  let attempts = 0;
  const orch = tm.system.get('orchestration') as Actor<typeof orchestrationMachine> & AnyActorRef;
  for (const type of ['PLANNED', 'QUEUED', 'REFUSED'] as const) orch.on(type, () => void attempts++);

  let wall = 0;
  for (let x = events.pop(); x; x = events.pop()) {
    clock = x.t;
    const w0 = now();
    if (x.e.kind === 'arrive') {
      first = Math.min(first, clock);
      arrivedAt.set(x.e.request.id, clock);
      tm.send({ type: 'SUBMIT', request: x.e.request });
    } else {
      completed++;
      tm.send({ type: 'SESSION_ENDED', sessionId: x.e.sessionId, outcome: 'finished' });
    }
    // Cancelled in the same instant (an abort before the switches settle), which may plan others.
    for (let sid = cancel.shift(); sid !== undefined; sid = cancel.shift()) {
      tooLong++;
      tm.send({ type: 'SESSION_ENDED', sessionId: sid, outcome: 'aborted', reason: `predicted to last more than ${maxSessionS} s` });
    }
    wall += now() - w0;
  }
  const ctx = tm.getSnapshot().context;
  tm.stop();

  const makespan = Math.max(0, clock - (Number.isFinite(first) ? first : 0));
  const relayIds = view.nodes.filter((n) => n.serverOwned || n.type === 'E' || (n.type === 'D' && n.bsm)).map((n) => n.id);
  const util = relayIds.map((id) => ({ node: id, utilisation: makespan > 0 ? (busy.get(id) ?? 0) / makespan : 0 }));
  const planned = delays.length;
  return {
    nodes: view.nodes.length,
    users: users.length,
    requests: opts.requests,
    offeredRate: opts.rate,
    seed,
    makespanS: round(makespan),
    planned,
    completed,
    refused: Object.keys(ctx.refused).length,
    tooLong,
    pending: ctx.queue.length,
    throughput: {
      plannedPerS: round(planned / Math.max(1e-9, lastPlan - (Number.isFinite(first) ? first : 0))),
      completedPerS: round(completed / Math.max(1e-9, makespan)),
    },
    queueDelayS: summary(delays),
    refusals,
    protocols,
    relays: {
      count: relayIds.length,
      used: util.filter((u) => u.utilisation > 0).length,
      meanUtilisation: round(util.reduce((s, u) => s + u.utilisation, 0) / Math.max(1, util.length)),
      maxUtilisation: round(Math.max(0, ...util.map((u) => u.utilisation))),
      busiest: util.sort((p, q) => q.utilisation - p.utilisation).slice(0, 5).map((u) => ({ node: u.node, utilisation: round(u.utilisation) })),
    },
    planning: { attempts, seconds: round(wall / 1000), msPerAttempt: round(wall / Math.max(1, attempts)), msPerRequest: round(wall / Math.max(1, opts.requests)) },
  };
}

/** A refusal's reason without node names and the per-candidate detail in parentheses. */
export function refusalClass(reason: string, names: ReadonlySet<string>): string {
  return reason.replace(/[A-Za-z0-9_-]+/g, (w) => (names.has(w) ? '<node>' : w)).replace(/\s*\(.*$/s, '');
}

function summary(xs: number[]): ScenarioReport['queueDelayS'] {
  if (xs.length === 0) return { mean: 0, p50: 0, p95: 0, max: 0 };
  const s = [...xs].sort((p, q) => p - q);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { mean: round(s.reduce((a, b) => a + b, 0) / s.length), p50: round(q(0.5)), p95: round(q(0.95)), max: round(s.at(-1)!) };
}

const round = (x: number) => Number(x.toPrecision(4));
