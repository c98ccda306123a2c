// What the server process adds for QKD sessions: the task manager with its orchestration core
// (actors/server/task-manager-host.ts), the router (switch-fabric-machine.ts), one session
// coordinator per planned session (actors/sessions/coordinator.ts) and the emulated optics
// (actors/server/fabric.ts) that deliver each participant its local view on fabric.<sid>.<node>.
//   platform.request (request/reply)  -> SUBMIT to the task manager, answered task.notice accepted
//   notices, progress, result         -> published on tasks.<requester>.<requestId>, for the identity
//                                        that asked only (runtime/subjects.ts)
//   hypervisor view (polled)          -> VIEW to the orchestration core; a participant that goes
//                                        down aborts its sessions (PARTICIPANT.DOWN)
//   sessions.decision (request/reply) -> the recorded commit/abort of a session (session-recovery.ts);
//                                        decisions live in Redis (the server's own user, from its bundle)
// Test hook (fault injection, read only here): HETQN_FAULT=server-crash-after-decision kills the server
// (SIGKILL) right after it recorded a commit, before any party hears it. Never set otherwise.
import { randomBytes } from 'node:crypto';
import type { AnyActorRef } from 'xstate';
import { controlPlaneMachine } from '../../actors/server/task-manager-host.ts';
import { switchFabricMachine } from '../../actors/server/switch-fabric-machine.ts';
import { layoutFromView } from '../../actors/server/switch-fabric.ts';
import { networkViewFromTopology, type HypervisorNodeState } from '../../actors/server/orchestration-view.ts';
import type { NetworkView, Plan, QkdRequest } from '../../actors/server/orchestration-types.ts';
import type { AgentNotice } from '../../actors/server/task-manager-machine.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { CalibrationData, FabricInputs, MdiCalibrationData } from '../../actors/server/fabric.ts';
import { protocolOf } from '../../protocols/qkd/registry.ts';
import { FabricWorkerPool } from './fabric-worker-pool.ts';
import { coordinatorMachine, type CoordinatorContext, type FabricInput, type FabricOutput, type Participant } from '../../actors/sessions/coordinator.ts';
import { coordinatorSystemId } from '../../actors/sessions/session.messages.ts';
import '../../actors/server/orchestration.messages.ts';
import type { HypervisorView } from '../../actors/server/registry.messages.ts';
import type { Topology } from '../../infra/topology.ts';
import { fromPromise } from 'xstate';
import type { ActorHost } from '../host.ts';
import { subject } from '../subjects.ts';
import { StreamSender } from './session-wiring-stream.ts';
import { openOwnRedis, type RedisClient } from '../../infra/keypool/connect.ts';
import type { RedisAccess } from './session-wiring-node.ts';
import { SessionDecisions } from '../../infra/keypool/decisions.ts';
import { serveDecisions } from './session-recovery.ts';
import '../../actors/sessions/decision.messages.ts';
import { qkdAdmission } from '../../actors/server/admission.ts';
import { MAX_TIMER_MS, processingBudgetMs } from '../../actors/sessions/session-budget.ts';

/** The control plane's network view, and a way to re-read the hypervisor's states into it now. */
export interface NetworkState { view(): NetworkView; refresh(): Promise<void> }

export interface SessionServerOptions {
  /** How often the hypervisor's view is read, ms. */
  viewEveryMs?: number;
  stepTimeoutMs?: number;
  /** How long a participant may stay down (hypervisor: no heartbeat for downAfterMs) before its sessions abort, ms (default DOWN_GRACE_MS). */
  downGraceMs?: number;
  /** Events per fabric frame (smaller frames: earlier progress, more messages). */
  maxFrameEvents?: number;
  /** Redis of the session decisions, as the server's own user. */
  redis?: RedisAccess;
}

/** Roles of a plan's participants (its protocol's, protocols/qkd/registry.ts), with the DoF
 *  conversion each does at its own converter. */
export function participantsOf(plan: Plan): Participant[] {
  return protocolOf(plan.protocol).participants(plan).map((p) => {
    const to = plan.conversions.find((c) => c.node === p.node && c.at === 'node')?.to;
    return { ...p, role: p.role as Participant['role'], ...(to ? { convertTo: to } : {}) };
  });
}

/** A participant's sessions abort this long after the hypervisor marks it down. Nodes run their
 *  post-processing in worker threads (party-worker-pool.ts), so their heartbeats keep flowing during
 *  sessions of any size; the grace only absorbs a heartbeat this (loaded) server dequeues late. */
export const DOWN_GRACE_MS = 2000;

/** Fabric messages (about 1 M detections each) sampled ahead of the ones still being sent. */
const FABRIC_IN_FLIGHT = 4;

const STAGE_FOR_TM: Record<string, string> = { switching: 'switching', calibrating: 'calibrating', running: 'running', 'post-processing': 'running', staged: 'staging', committing: 'committing', aborting: 'releasing' };

export function startSessionServer(host: ActorHost, topology: Topology, opts: SessionServerOptions = {}): NetworkState & { stop(): void } {
  const calibration = topology.calibrationData as CalibrationData | undefined;
  // The MDI rows' calibration: the file the topology names (`mdiCalibration`).
  const mdiCalibration = topology.mdiCalibrationData as MdiCalibrationData | undefined;
  // The planner sees the calibrations the fabric samples with (BB84 links: fitted length, loss and
  // misalignment; MDI links: fitted constants and the calibrated pairs' source parameters), so its
  // prediction is of the run the fabric will emulate and its plan carries the session's parameters.
  const viewFrom = (st: Record<string, HypervisorNodeState>) => networkViewFromTopology(topology as never, st, calibration as never, mdiCalibration as never);
  const fullView = viewFrom(Object.fromEntries(topology.nodes.map((n) => [n.name, 'up'])) as Record<string, HypervisorNodeState>);
  // Fix every node's switch ports from the full topology, so ports do not depend on attach order.
  const portsOf = new Map<string, number[]>();
  for (const p of layoutFromView(fullView)) if (p.owner.kind === 'node') portsOf.set(p.owner.node, [...(portsOf.get(p.owner.node) ?? []), p.port]);
  const viewOf = (st: Record<string, HypervisorNodeState>): NetworkView => {
    const v = viewFrom(st);
    return { ...v, nodes: v.nodes.map((n) => ({ ...n, ports: n.ports ?? portsOf.get(n.id) ?? [] })) };
  };
  let states: Record<string, HypervisorNodeState> = Object.fromEntries(topology.nodes.map((n) => [n.name, 'expected']));
  let view: NetworkView = viewOf(states);
  const requesters = new Map<string, string>();
  const coordinators = new Map<string, { ref: AnyActorRef; nodes: string[]; graceMs: number }>();
  const registeredAt = new Map<string, number>();
  const downSince = new Map<string, number>();
  const abortSessionsOf = (node: string, why: string) => {
    for (const c of coordinators.values()) if (c.nodes.includes(node)) c.ref.send({ type: 'CANCEL', reason: `${node} ${why} during the session` });
  };

  // The server's NATS server lost: what the coordinators and the fabric sent or were sent in the
  // meantime may be gone (core NATS), so every session not yet decided aborts with the reason (the
  // abort is recorded, the parties hear it once the bus is back); a recorded commit is sent again then.
  const offConnection = host.bus.onConnection?.((e) => {
    if (e.type === 'disconnect') {
      for (const c of coordinators.values()) c.ref.send({ type: 'CANCEL', reason: `the server lost its NATS server ${e.server}: frames in flight may be lost` });
    } else for (const c of coordinators.values()) c.ref.send({ type: 'RETELL' });
  });

  // Durable commit/abort decisions (infra/keypool/decisions.ts); connected on first use.
  let decisionRedis: RedisClient | undefined;
  let decisionStore: SessionDecisions | undefined;
  const decisions = (): SessionDecisions => {
    const r = opts.redis;
    if (!r) throw new Error('server: no Redis for session decisions (its bundle names none)');
    decisionRedis ??= openOwnRedis(r.url, r, 'server (session decisions)');
    return (decisionStore ??= new SessionDecisions(decisionRedis, host.net));
  };
  const decisionService = serveDecisions(host, decisions, (sid) => coordinators.has(sid));

  const notify = (requestId: string, type: string, body: unknown) => {
    const to = requesters.get(requestId);
    if (!to) return;
    if (type === 'qkd.result') requesters.delete(requestId);
    try { host.publish(subject.tasks(to, requestId), type, body); } catch (e) { process.stderr.write(`[server] notify ${requestId}: ${(e as Error).message}\n`); }
  };

  host.spawn(switchFabricMachine, { systemId: 'router', input: { ports: layoutFromView(fullView), switchTimeMs: fullView.server.switchTimeMs } });

  const tm = host.spawn(controlPlaneMachine({
    notifyAgent: (n: AgentNotice) => {
      const body: Record<string, unknown> = { requestId: n.requestId, status: n.status };
      if (n.status === 'queued' || n.status === 'refused') body.reason = n.reason.slice(0, 2000);
      if (n.status === 'planned') body.plan = n.plan;
      notify(n.requestId, 'task.notice', body);
      if (n.status === 'refused') notify(n.requestId, 'qkd.result', { requestId: n.requestId, ok: false, reason: n.reason.slice(0, 2000) });
    },
    setSwitches: (plan) => host.send('router', 'fabric.connect', { sessionId: plan.sessionId, ports: plan.crossConnects.length ? plan.crossConnects : [[0, 0]] }),
    releaseSwitches: (sessionId) => host.send('router', 'fabric.release', { sessionId }),
    // After the task manager's 'planned' notice has gone out (it is sent in the same macrostep).
    startSession: (plan) => { setTimeout(() => startCoordinator(plan), 0); },
  }), { systemId: 'taskManager', input: { view } });

  // The optics run in a worker thread (fabric-worker-pool.ts); this thread only publishes.
  const fabricWorkers = new FabricWorkerPool();
  fabricWorkers.warm();
  const fabricActor = fromPromise<FabricOutput, FabricInput>(async ({ input, signal }) => {
    const seed = randomBytes(8).toString('hex');
    const env: FabricInputs = { view: fullView, calibration, mdiCalibration, residual: input.residual, seed, maxFrameEvents: opts.maxFrameEvents };
    const senders = new Map<string, StreamSender>();
    const sender = (n: string) => { let s = senders.get(n); if (!s) { s = new StreamSender(host, subject.fabric(input.plan.sessionId, n)); senders.set(n, s); } return s; };
    let lastReport = Date.now();
    let link: Record<string, number> = {};
    try {
      // The worker samples the next frames while earlier ones are still going out; at most
      // FABRIC_IN_FLIGHT messages are queued ahead of the senders.
      const detections = await fabricWorkers.run(input.plan, env, {
        link: (l) => { link = l; },
        deliver: async (node, bytes, n) => {
          if (Date.now() - lastReport > 1000) {
            lastReport = Date.now();
            notify(input.plan.requestId, 'qkd.progress', { requestId: input.plan.requestId, sessionId: input.plan.sessionId, stage: 'sampling', detail: { detections: n } });
          }
          await sender(node).sendPacked(bytes);
        },
      }, signal, FABRIC_IN_FLIGHT);
      await Promise.all([...senders.values()].map((s) => s.drain()));
      return { detections, seed, link };
    } catch (e) {
      for (const s of senders.values()) s.close('session aborted');
      throw e;
    }
  });

  function startCoordinator(plan: Plan): void {
    const systemId = coordinatorSystemId(plan.sessionId);
    const reports = subject.coordinator(plan.sessionId);
    const participants = participantsOf(plan);
    const stepTimeoutMs = opts.stepTimeoutMs ?? 20_000;
    const processingTimeoutMs = Math.min(MAX_TIMER_MS, processingBudgetMs(plan));
    // This coordinator's incarnation: only it can record this session's commit.
    const nonce = randomBytes(6).toString('hex');
    const ref = host.spawn(coordinatorMachine, {
      systemId,
      input: { coordinatorId: reports, plan, participants, stepTimeoutMs, processingTimeoutMs },
      routes: [{ subject: reports }],
      provide: () => ({
        actions: {
          progress: (_: unknown, p: { stage: string; detail?: Record<string, number | string> }) => {
            notify(plan.requestId, 'qkd.progress', { requestId: plan.requestId, sessionId: plan.sessionId, stage: p.stage, ...(p.detail ? { detail: p.detail } : {}) });
            const st = STAGE_FOR_TM[p.stage];
            if (st) tm.send({ type: 'SESSION_PROGRESS', sessionId: plan.sessionId, stage: st });
          },
        },
        actors: {
          fabric: fabricActor,
          recordAbort: fromPromise<void, { sessionId: string }>(async ({ input }) => {
            try { await decisions().decide(input.sessionId, 'abort', nonce); } catch (e) {
              process.stderr.write(`[server] abort of ${input.sessionId} not recorded (recovered as one): ${(e as Error).message}\n`);
            }
          }),
          recordDecision: fromPromise<boolean, { sessionId: string }>(async ({ input }) => {
            const ok = await decisions().decide(input.sessionId, 'commit', nonce);
            if (ok && process.env.HETQN_FAULT === 'server-crash-after-decision') { process.stderr.write('fault injection (HETQN_FAULT): commit recorded, server dying before sending it\n'); process.kill(process.pid, 'SIGKILL'); }
            return ok;
          }),
        },
      }),
    });
    // Take the session's decision record first (a reused session id has one: cancel).
    (async () => decisions().open(plan.sessionId, nonce))().then(
      (ok) => { if (!ok) ref.send({ type: 'CANCEL', reason: `session id ${plan.sessionId} already has a decision record` }); },
      (e) => ref.send({ type: 'CANCEL', reason: `session decisions unavailable: ${(e as Error).message}` }),
    );
    const graceMs = opts.downGraceMs ?? DOWN_GRACE_MS;
    coordinators.set(plan.sessionId, { ref, nodes: participants.map((p) => p.node), graceMs });
    const sub = ref.subscribe((snap: { status: string; value: unknown; context: CoordinatorContext }) => {
      if (snap.status !== 'done') return;
      sub.unsubscribe();
      const ctx = snap.context;
      const ok = snap.value === 'finished';
      tm.send({ type: 'SESSION_ENDED', sessionId: plan.sessionId, outcome: ok ? 'finished' : 'aborted', ...(ctx.reason ? { reason: ctx.reason } : {}) });
      notify(plan.requestId, 'qkd.result', ok
        ? { requestId: plan.requestId, ok: true, result: sessionResult(ctx) }
        : { requestId: plan.requestId, ok: false, reason: (ctx.reason ?? 'aborted').slice(0, 2000), result: { sessionId: plan.sessionId, protocol: plan.protocol, stageAt: ctx.stageAt } });
      coordinators.delete(plan.sessionId);
      setTimeout(() => host.stopActor(systemId), 0);
    });
  }

  // platform.request: validated by the codec against orchestration.messages.ts.
  host.serve(subject.platformRequest(), async (env, meta) => {
    const req = env.body as QkdRequest;
    // A request right after a node attached may beat the next poll, and the planner may need any
    // node as relay or source, not only the pair: read the hypervisor's view first (one round trip).
    await refresh();
    if (!/^[A-Za-z0-9_-]+$/.test(req.id)) throw Object.assign(new Error('id: letters, digits, _ and - only'), { field: 'id' });
    const refusal = qkdAdmission(topology.network, req, topology.nodes.map((n) => n.name), states);
    if (refusal) throw Object.assign(new Error(refusal.message), refusal);
    if (requesters.has(req.id)) throw Object.assign(new Error(`id: request ${req.id} is already running`), { field: 'id' });
    requesters.set(req.id, meta.from);
    tm.send({ type: 'SUBMIT', request: req });
    return { type: 'task.notice', body: { requestId: req.id, status: 'accepted' } };
  }, { queue: 'platform' });

  // The hypervisor's view: nodes attaching, going down, coming back.
  const refresh = async () => {
    let hv: HypervisorView;
    try { hv = (await host.request<HypervisorView>(subject.actor(host.identity, 'hypervisor'), 'hypervisor.status', {}, { timeoutMs: 2000 })).body; } catch { return; }
    const next = Object.fromEntries(hv.nodes.map((n) => [n.name, n.state])) as Record<string, HypervisorNodeState>;
    const now = Date.now();
    for (const n of hv.nodes) {
      const before = registeredAt.get(n.name);
      if (n.registeredAt !== undefined) registeredAt.set(n.name, n.registeredAt);
      // A node that left, or came back as a new process, has lost its sessions: abort them now.
      const restarted = before !== undefined && n.registeredAt !== undefined && n.registeredAt !== before;
      if (n.state === 'left' || restarted) { downSince.delete(n.name); abortSessionsOf(n.name, restarted ? 'restarted' : 'left the network'); continue; }
      // Down for longer than the grace: the node is gone (its event loop never blocks for long).
      if (n.state === 'down') { if (!downSince.has(n.name)) downSince.set(n.name, now); }
      else downSince.delete(n.name);
      const since = downSince.get(n.name);
      if (since !== undefined) for (const c of coordinators.values()) if (c.nodes.includes(n.name) && now - since > c.graceMs) c.ref.send({ type: 'PARTICIPANT.DOWN', node: n.name });
    }
    const changed = Object.keys(next).some((k) => next[k] !== states[k]);
    if (!changed) return;
    states = next;
    view = viewOf(states);
    tm.send({ type: 'VIEW', view });
  };
  const poll = setInterval(refresh, opts.viewEveryMs ?? 500);
  poll.unref();

  return { view: () => view, refresh, stop() { offConnection?.(); clearInterval(poll); void fabricWorkers.close(); decisionService.stop(); decisionRedis?.disconnect(); } };
}

/** The session's result as the requester sees it (hetqn qkd --json). */
export function sessionResult(ctx: CoordinatorContext): Record<string, unknown> {
  const plan = ctx.plan;
  const holders = ctx.participants.filter((p) => p.holdsKey).map((p) => p.node);
  // The correcting side's statistics (the protocol's reporting role) carry the corrected errors.
  const reporting = protocolOf(plan.protocol).summary.reportingRole;
  const main = ctx.participants.find((p) => p.role === reporting)?.node ?? holders[0]!;
  const st = ctx.staged[main];
  const t = ctx.stageAt;
  const span = (a: string, b: string) => (t[a] !== undefined && t[b] !== undefined ? t[b]! - t[a]! : undefined);
  return {
    sessionId: plan.sessionId, requestId: plan.requestId, protocol: plan.protocol, a: plan.a, b: plan.b,
    // keyBits: bits committed in each end's `keyKind` pool (imperfect: the reconciled key, l_sift
    // bits; secret: l_sec). l_sec is what PA yields (for imperfect: would have yielded; not deposited).
    keyKind: plan.keyKind ?? 'secret', keyBits: st?.bits,
    dof: plan.dof, conversions: plan.conversions.map((c) => ({ node: c.node, from: c.from, to: c.to, at: c.at, lossDb: c.lossDb })),
    relay: plan.relay, params: plan.params, paramsSource: plan.paramsSource, pulses: plan.pulses, seconds: plan.pulses / 1e9,
    keyId: st?.blockId, detections: ctx.fabric?.detections, l_sift: st?.stats.siftedBits, qber: st?.stats.qber, l_sec: (plan.keyKind ?? 'secret') === 'imperfect' ? st?.stats.secretBits : st?.bits,
    disclosedBits: st?.stats.disclosedBits, sampleBits: st?.stats.sampleBits, f: st?.stats.f, phaseErrorBound: st?.stats.phaseErrorBound, authKeyBits: st?.stats.authKeyBits,
    link: ctx.fabric?.link, prediction: plan.prediction,
    residualMisalignment: Object.fromEntries(Object.entries(ctx.ready).map(([n, r]) => [n, r.residualMisalignment])),
    stageAt: t,
    stageMs: { switching: span('switching', 'calibrating'), calibrating: span('calibrating', 'running'), sampling: span('running', 'processing'), postprocessing: span('processing', 'committing'), committing: span('committing', 'finished'), total: span('reserved', 'finished') },
    partyMs: Object.fromEntries(holders.map((n) => [n, ctx.staged[n]?.timings])),
  };
}
