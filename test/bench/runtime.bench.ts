// Actor runtime figures over a private nats-server, between two OS processes, measured twice in one
// run: on an open NATS (no authentication) and on the zero-trust bus (every process its own nkey
// identity, the generated least-privilege permissions; infra/nats-config.ts), so the cost of the
// zero-trust bus is a ratio of two figures of the same run (runtime.zero_trust_cost.*). With
// HETQN_BENCH_TLS=1 a third pass runs the zero-trust bus over TLS (runtime.zero_trust_tls_cost.*).
// HETQN_BENCH_ROUNDS (default 3) rounds of the modes in turn; figures are medians.
//   runtime.rr_per_s        request/reply round trips per second (1 and 64 in flight): the server
//                           identity asks an echo actor of a node identity in the other process
//   runtime.events_per_s    one-way actor events per second (publish -> delivered to actor.send)
//   runtime.raw_rr_per_s, runtime.raw_events_per_s   the same with the bare NATS client on the same
//                           connections, permissions and subjects (no envelope, validation or actor),
//                           the baseline of runtime.actor_cost.* (actor figure / raw figure, same round)
//   runtime.attach_ms       time for a node host to connect, authenticate and be seen up by the
//                           hypervisor in the server process (median of 20)
//   runtime.attach_process_ms  the same including starting the node's OS process (median of 5)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Emit, Figure } from './run.ts';
import { startNats, type ManagedServer } from '../../infra/servers.ts';
import { loadTopology } from '../../infra/topology.ts';
import { createIssuer, issueBundle } from '../../infra/issuer.ts';
import { writeBundle } from '../../infra/bundle.ts';
import { makeNatsTls, writeNatsConfig } from '../../infra/nats-config.ts';
import { createCa } from '../../infra/tls.ts';
import { freePort } from '../../infra/free-port.ts';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { spawnTs, stopChild } from '../../runtime/launcher.ts';
import { startNodeProcess } from '../../runtime/processes/node-process.ts';
import { fullSubject, SERVER, subject } from '../../runtime/subjects.ts';
import type { HypervisorView } from '../../actors/server/registry.messages.ts';
import { RAW_COUNT, RAW_COUNTER, RAW_ECHO } from './runtime-peer.ts';
import { packRaw } from '../../runtime/codec.ts';

const NET = 'bench';
const PEER = 'Peer';

function waitLine(c: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const on = (d: Buffer) => { buf += d; if (re.test(buf)) resolve(); };
    c.stdout!.on('data', on); c.stderr!.on('data', on);
    c.once('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** One bus to measure on: its server, and each identity's seed and bundle file. Both modes use the
 *  same clients (nkey signing at connect included); only the server's config differs. */
interface BusUnderTest { mode: 'open' | 'zero-trust' | 'zero-trust+tls'; nats: ManagedServer; ca?: string; seed(identity: string): string; bundleFile(identity: string): string }

async function startBus(mode: BusUnderTest['mode'], dir: string, topoFile: string, round: number): Promise<BusUnderTest> {
  const topology = loadTopology(topoFile);
  const port = await freePort();
  const ca = mode === 'zero-trust+tls' ? await createCa('bench CA') : undefined;
  const issuer = createIssuer(topology, { natsServers: [`nats://127.0.0.1:${port}`], redisUrl: 'redis://127.0.0.1:1', ca });
  const confFile = path.join(dir, `${mode}-${round}`, 'nats.conf');
  if (ca) await makeNatsTls(confFile, ca, ['127.0.0.1']);
  const conf = writeNatsConfig(confFile, issuer);
  const nats = await startNats({ port, jetstream: false, extraArgs: mode === 'open' ? [] : ['-c', conf] });
  return {
    mode, nats, ca: ca?.cert,
    seed: (id) => issuer.identities[id]!.seed,
    bundleFile: (id) => { const f = path.join(path.dirname(confFile), 'bundles', `${id}.json`); writeBundle(f, issueBundle(issuer, id, topology)); return f; },
  };
}

async function measure(emit: (f: Figure) => void, bus: BusUnderTest, topoFile: string, nodes: Array<{ name: string; credential: string }>): Promise<void> {
  const children: ChildProcess[] = [];
  const url = bus.nats.url;
  const connectAs = (identity: string, name: string) => NatsBus.connect({ servers: [url], name, net: NET, identity, seed: bus.seed(identity), ca: bus.ca });
  const host = new ActorHost({ bus: await connectAs(SERVER, 'bench').catch(async (e) => { await bus.nats.stop(); throw e; }), net: NET, processId: 'bench' });
  const mode = bus.mode;
  try {
    const peer = spawnTs('test/bench/runtime-peer.ts', [bus.bundleFile(PEER)]);
    children.push(peer);
    await waitLine(peer, /ready/);
    const echo = subject.actor(PEER, 'echo');

    // Request/reply round trips through the echo actor in the peer process, and the raw baseline.
    const nc = (host.bus as NatsBus).nc;
    const rawSubject = (sid: string) => fullSubject(NET, subject.actor(PEER, sid), SERVER);
    const rawPayload = packRaw({ i: 1 });
    const rawRr = (i: number) => nc.request(rawSubject(RAW_ECHO), rawPayload, { timeout: 5000 }).then(() => i);
    for (let i = 0; i < 200; i++) { await host.request(echo, 'bench.ping', { i }); await rawRr(i); }
    for (const concurrency of [1, 64]) {
      const total = concurrency === 1 ? 3000 : 30_000;
      for (const raw of [true, false]) {
        let next = 0;
        const t0 = performance.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next < total) { const i = next++; if (raw) await rawRr(i); else await host.request(echo, 'bench.ping', { i }); }
        }));
        const s = (performance.now() - t0) / 1000;
        emit({ bench: raw ? 'runtime.raw_rr_per_s' : 'runtime.rr_per_s', value: Math.round(total / s), unit: 'round trips/s', mode, concurrency, n: total, processes: 2 });
      }
    }

    // One-way events to the counter actor; done when the actor has counted them all. Then the raw
    // baseline: the same number of publishes to the raw counter, same windowing.
    // Windowed (at most ~20k in flight) so the receiver is never cut off as a slow consumer.
    const events = 100_000;
    const batch = 5000;
    for (const raw of [true, false]) {
      const counted = raw
        ? async () => Number(new TextDecoder().decode((await nc.request(rawSubject(RAW_COUNT), new Uint8Array(0), { timeout: 30_000 })).data))
        : async () => (await host.request<{ n: number }>(subject.actor(PEER, 'counter'), 'bench.count', {}, { timeoutMs: 30_000 })).body.n;
      const base = await counted();
      const t0 = performance.now();
      for (let sent = 0; sent < events;) {
        for (let k = 0; k < batch; k++) { if (raw) { nc.publish(rawSubject(RAW_COUNTER), packRaw({ i: sent++ })); } else host.send(`${PEER}/counter`, 'bench.event', { i: sent++ }); }
        await host.bus.flush();
        if (sent % (4 * batch) === 0) while (sent - ((await counted()) - base) > 3 * batch) { /* let the receiver catch up */ }
      }
      while ((await counted()) - base < events) await new Promise((res) => setTimeout(res, 1));
      const s = (performance.now() - t0) / 1000;
      emit({ bench: raw ? 'runtime.raw_events_per_s' : 'runtime.events_per_s', value: Math.round(events / s), unit: 'events/s', mode, n: events, processes: 2 });
    }
    if (process.env.HETQN_BENCH_ATTACH === '0') return;

    // Attach: a server process with 25 attachable nodes.
    const server = spawnTs('runtime/processes/server-main.ts', ['--bundle', bus.bundleFile(SERVER), '--topology', topoFile]);
    children.push(server);
    await waitLine(server, /platform and hypervisor up/);
    const isUp = async (name: string) => {
      const v = await host.request<HypervisorView>(subject.actor(SERVER, 'hypervisor'), 'hypervisor.status', {});
      return v.body.nodes.find((n) => n.name === name)?.state === 'up';
    };
    const attachMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const spec = nodes[i]!;
      const t = performance.now();
      const node = await startNodeProcess({ nats: { servers: [url], seed: bus.seed(spec.name), ca: bus.ca }, net: NET, name: spec.name, type: 'D', dof: 'tbp', linkKm: 10, credential: spec.credential, processId: `attach-${i}` });
      await node.registered;
      while (!(await isUp(spec.name))) { /* poll */ }
      attachMs.push(performance.now() - t);
      await node.stop();
    }
    emit({ bench: 'runtime.attach_ms', value: +median(attachMs).toFixed(2), unit: 'ms', mode, n: 20, stat: 'median', includes: 'NATS connect (nkey) + challenge + HMAC announce + seen up by hypervisor' });

    {
      const procMs: number[] = [];
      for (let i = 20; i < 25; i++) {
        const spec = nodes[i]!;
        const t = performance.now();
        const c = spawnTs('runtime/processes/node-main.ts', ['--bundle', bus.bundleFile(spec.name)]);
        children.push(c);
        while (!(await isUp(spec.name))) await new Promise((r) => setTimeout(r, 5));
        procMs.push(performance.now() - t);
        await stopChild(c);
      }
      emit({ bench: 'runtime.attach_process_ms', value: Math.round(median(procMs)), unit: 'ms', mode, n: 5, stat: 'median', includes: 'node + tsx start-up of a new OS process from its bundle, then attach' });
    }
  } finally {
    for (const c of children) await stopChild(c);
    await host.stop();
    await bus.nats.stop();
  }
}

export default async function (emit: Emit): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-bench-'));
  const nodes = Array.from({ length: 25 }, (_, i) => ({ name: `N${i}`, type: 'D', dof: 'tbp', linkKm: 10, credential: `bench-secret-${i}`, attachLater: true }));
  const topo = path.join(dir, 'bench.json');
  fs.writeFileSync(topo, JSON.stringify({ network: NET, nodes: [...nodes, { name: PEER, type: 'D', dof: 'pol', linkKm: 1, credential: 'bench-peer-secret', attachLater: true }] }));
  const modes: BusUnderTest['mode'][] = ['open', 'zero-trust', ...(process.env.HETQN_BENCH_TLS === '1' ? ['zero-trust+tls' as const] : [])];
  // The modes take turns, round after round, so a change of load hits all of them alike; each figure
  // is the median of its rounds, each cost the median of the rounds' paired ratios.
  const rounds = Number(process.env.HETQN_BENCH_ROUNDS ?? 3);
  const figures: Array<Figure & { round: number }> = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) await measure((f) => figures.push({ ...f, round }), await startBus(mode, dir, `${topo}`, round), topo, nodes);
    }
    const key = (f: Figure) => `${f.bench}|${f.concurrency ?? ''}`;
    const med = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
    for (const mode of modes) {
      for (const k of new Set(figures.filter((f) => f.mode === mode).map(key))) {
        const rows = figures.filter((f) => f.mode === mode && key(f) === k);
        const { round: _r, value: _v, ...rest } = rows[0]!;
        emit({ ...rest, value: +med(rows.map((f) => f.value)).toFixed(2), rounds: rows.map((f) => f.value) } as Figure);
      }
    }
    // What the actor layer costs against the bare client, per mode: actor figure / raw figure of the same round.
    for (const mode of modes) {
      for (const [actor, raw] of [['runtime.rr_per_s', 'runtime.raw_rr_per_s'], ['runtime.events_per_s', 'runtime.raw_events_per_s']] as const) {
        for (const concurrency of [...new Set(figures.filter((f) => f.mode === mode && f.bench === actor).map((f) => f.concurrency))]) {
          const ratios = figures.filter((f) => f.mode === mode && f.bench === actor && f.concurrency === concurrency).flatMap((a) => {
            const r = figures.find((f) => f.mode === mode && f.bench === raw && f.round === a.round && f.concurrency === concurrency);
            return r ? [a.value / r.value] : [];
          });
          emit({ bench: `runtime.actor_cost.${actor.slice('runtime.'.length)}`, value: +med(ratios).toFixed(3), unit: 'ratio actor/raw NATS', mode, stat: 'median of paired rounds',
            rounds: ratios.map((r) => +r.toFixed(3)), ...(concurrency ? { concurrency } : {}), higherIs: 'faster' });
        }
      }
    }
    for (const mode of modes.filter((m) => m !== 'open')) {
      for (const k of new Set(figures.filter((f) => f.mode === mode).map(key))) {
        const ratios = figures.filter((f) => f.mode === mode && key(f) === k).flatMap((z) => {
          const o = figures.find((f) => f.mode === 'open' && f.round === z.round && key(f) === k);
          return o ? [z.value / o.value] : [];
        });
        const z = figures.find((f) => f.mode === mode && key(f) === k)!;
        const name = mode === 'zero-trust' ? 'zero_trust_cost' : 'zero_trust_tls_cost';
        emit({ bench: `runtime.${name}.${z.bench.slice('runtime.'.length)}`, value: +med(ratios).toFixed(3), unit: `ratio ${mode}/open`, stat: 'median of paired rounds',
          rounds: ratios.map((r) => +r.toFixed(3)), ...(z.concurrency ? { concurrency: z.concurrency } : {}), higherIs: z.unit === 'ms' ? 'slower' : 'faster' });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
