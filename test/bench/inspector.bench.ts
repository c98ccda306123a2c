// The inspector page under load: 50 nodes and 356 actors (per node: node, local control, four
// devices, task agent; the server's six), fed by a synthetic event source in this process that
// publishes real-shaped inspection events (the catalog machines' definitions, their real states)
// over a private nats-server to `hetqn inspect --web`'s server, with the page open in headless
// Chromium. For each offered rate (actor events/s; one event = an @xstate.event and an
// @xstate.snapshot) and view (network; machine = a followed actor's statechart):
//   inspector.applied_per_s   events the page folded per second  (keptUp: >= 95 % of offered and p95 < 1 s)
//   inspector.paint_ms        event-to-paint latency p50 / p95 / p99 (source createdAt -> after the frame that shows it)
//   inspector.max_per_s       the highest offered rate the page kept up with, per view
// Latencies are also given as a ratio to the lowest rate's p50 in the same run (baseline).
import type { Emit } from './run.ts';
import { startNats } from '../../infra/servers.ts';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { INSPECTOR, SERVER, subject } from '../../runtime/subjects.ts';
import { startInspector } from '../../runtime/inspector/inspector.ts';
import { exportedConfigJson } from '../../runtime/inspector/export.ts';
import { chartFromDefinition } from '../../runtime/inspector/chart.ts';
import { machineCatalog } from '../../runtime/machine-catalog.ts';
import type { ChartState } from '../../runtime/inspector/model.ts';
import { openPage } from '../inspector/browser.ts';
import '../../actors/server/registry.messages.ts';
// Browser globals used inside page.evaluate callbacks (this program has no DOM lib).
declare const window: any, document: any, location: any, MutationObserver: any;

const NET = 'benchinspect';
const NODES = 50;
const RATES = [250, 500, 1000, 2000, 4000, 8000];
const SECONDS = 4;

interface SynthActor { pid: string; sys: string; sid: string; def: string; machine: string; states: string[]; i: number }

const atomic = (s: ChartState): string[] => (s.children.length ? s.type === 'parallel' ? [] : s.children.flatMap(atomic) : [s.id.split('.').slice(1).join('.')]);
const valueOf = (path: string): unknown => path.split('.').reduceRight<unknown>((inner, k) => (inner === undefined ? k : { [k]: inner }), undefined);
const pct = (xs: number[], p: number) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };

async function actors(): Promise<SynthActor[]> {
  const machines = new Map((await Promise.all(machineCatalog.map((l) => l()))).map((m) => [m.id, m]));
  const make = (pid: string, sys: string, id: string, n: number): SynthActor => {
    const def = exportedConfigJson(machines.get(id)!);
    const states = atomic(chartFromDefinition(def)!.root).filter(Boolean);
    return { pid, sys, sid: `${pid}/x:${n}`, def, machine: id, states: states.length ? states : ['idle'], i: 0 };
  };
  const out: SynthActor[] = [];
  for (const [k, [sys, id]] of [['platform', 'platform'], ['hypervisor', 'hypervisor'], ['orchestration', 'orchestration'], ['tasks', 'taskCoordinator'], ['router', 'switchFabric'], ['taskManager', 'taskManager']].entries()) out.push(make('server', sys!, id!, k));
  for (let n = 0; n < NODES; n++) {
    const pid = `node-N${String(n).padStart(2, '0')}`;
    const list: Array<[string, string]> = [[pid, 'node'], [`local-N${n}`, 'localControl'], ['device-source', 'device'], ['device-qrng', 'device'], ['device-converter', 'device'], ['device-postprocessor', 'device'], [`tasks-N${n}`, 'taskAgent']];
    list.forEach(([sys, id], k) => out.push(make(pid, sys, id, k)));
  }
  return out;
}

function view(now: number) {
  const nodes = Array.from({ length: NODES }, (_, n) => ({
    name: `N${String(n).padStart(2, '0')}`, type: (['C', 'E', 'D'] as const)[n % 3], dof: (['pol', 'tbp', 'pha'] as const)[n % 3], linkKm: 5 + (n % 20),
    attachLater: false, state: 'up' as const, processId: `node-N${String(n).padStart(2, '0')}`, registeredAt: now - 60_000, lastHeartbeatAt: now - (n % 10) * 100, heartbeatAgeMs: (n % 10) * 100, heartbeats: 10, actors: {},
  }));
  return { network: NET, at: now, nodes, links: nodes.map((n) => ({ from: n.name, to: 'server', km: n.linkKm })), downAfterMs: 5000 };
}

export default async function (emit: Emit): Promise<void> {
  const nats = await startNats({ jetstream: false });
  // The source stands in for the server (and the nodes' inspection events); the page reads as the inspector.
  const source = new ActorHost({ bus: await NatsBus.connect({ servers: [nats.url], name: 'bench-source', net: NET, identity: SERVER }), net: NET, processId: 'bench-source', logFrameErrors: false });
  const client = new ActorHost({ bus: await NatsBus.connect({ servers: [nats.url], name: 'bench-inspector', net: NET, identity: INSPECTOR }), net: NET, processId: 'bench-inspector', logFrameErrors: false });
  source.serve(subject.actor(SERVER, 'hypervisor'), () => ({ type: 'hypervisor.view', body: view(Date.now()) }));
  const inspector = await startInspector({ host: client, net: NET, port: 0 });
  const all = await actors();
  let seq = 0;
  const base = (a: SynthActor) => ({ sessionId: a.sid, rootId: a.sid, createdAt: String(Date.now()), id: `b${++seq}`, _version: '0.4.0', processId: a.pid, systemId: a.sys });
  const publish = (a: SynthActor, ev: object) => source.publish(subject.inspect(a.pid), 'inspect.event', ev);
  for (const a of all) publish(a, { ...base(a), type: '@xstate.actor', name: a.machine, definition: a.def, snapshot: { status: 'active', value: valueOf(a.states[0]!), context: { n: 0 } } });
  /** One actor event: the event, then the snapshot in the machine's next state. */
  const step = (a: SynthActor) => {
    a.i = (a.i + 1) % a.states.length;
    publish(a, { ...base(a), type: '@xstate.event', event: { type: 'bench.tick', body: { i: a.i } }, sourceId: all[0]!.sid });
    publish(a, { ...base(a), type: '@xstate.snapshot', event: { type: 'bench.tick' }, snapshot: { status: 'active', value: valueOf(a.states[a.i]!), context: { n: a.i, label: a.states[a.i] } } });
  };

  const followed = all.find((a) => a.machine === 'localControl')!;
  const page = await openPage(`${inspector.url}#/network`);
  try {
    await page.page.waitForSelector('[data-node="N49"]', { timeout: 30_000 });
    const stats = () => page.page.evaluate(() => {
      const s = (window as unknown as { hetqnInspector: { stats: { applied: number; latencies: number[] } } }).hetqnInspector.stats;
      const out = { applied: s.applied, latencies: [...s.latencies] };
      s.latencies.length = 0;
      return out;
    });
    const views: Array<[string, string]> = [['network', '#/network'], ['machine', `#/machine/${encodeURIComponent(followed.sid)}`]];
    for (const [name, hash] of views) {
      await page.page.evaluate((h) => { location.hash = h; }, hash);
      if (name === 'machine') await page.page.waitForSelector('svg.diagram', { timeout: 30_000 });
      let baseline: number | undefined;
      let max = 0;
      for (const rate of RATES) {
        await stats();
        const before = (await stats()).applied;
        const t0 = performance.now();
        let sent = 0;
        const hot = all.filter((a) => a !== followed);
        // 10 ms ticks; the followed actor gets one event in ten so its diagram keeps changing.
        while (performance.now() - t0 < SECONDS * 1000) {
          const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sent;
          for (let i = 0; i < due; i++, sent++) step(sent % 10 === 0 ? followed : hot[sent % hot.length]!);
          await new Promise((r) => setTimeout(r, 10));
        }
        const offeredS = (performance.now() - t0) / 1000;
        await new Promise((r) => setTimeout(r, 1500)); // let the page drain
        const s = await stats();
        const applied = s.applied - before;
        const p50 = pct(s.latencies, 0.5), p95 = pct(s.latencies, 0.95), p99 = pct(s.latencies, 0.99);
        baseline ??= p50;
        // Records the page applied include one per actor event (plus an occasional network record).
        const ratio = applied / sent;
        const keptUp = ratio >= 0.95 && p95 < 1000;
        if (keptUp) max = Math.max(max, sent / offeredS);
        const common = { view: name, offeredPerS: Math.round(sent / offeredS), nodes: NODES, actors: all.length, seconds: SECONDS, keptUp };
        emit({ bench: 'inspector.applied_per_s', value: Math.round(applied / offeredS), unit: 'events/s', ...common, appliedRatio: Number(ratio.toFixed(3)) });
        emit({ bench: 'inspector.paint_ms', value: p50, unit: 'ms (p50)', ...common, p95, p99, samples: s.latencies.length, p50ToBaseline: Number((p50 / baseline).toFixed(2)) });
      }
      emit({ bench: 'inspector.max_per_s', value: Math.round(max), unit: 'events/s kept up with', view: name, nodes: NODES, actors: all.length });
    }
  } finally {
    await page.close();
    await inspector.stop();
    await client.stop();
    await source.stop();
    await nats.stop();
  }
}
