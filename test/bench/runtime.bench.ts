// Actor runtime figures over a private nats-server, between two OS processes:
//   runtime.rr_per_s        request/reply round trips per second (1 and 64 in flight)
//   runtime.events_per_s    one-way actor events per second (publish -> delivered to actor.send)
//   runtime.attach_ms       time for a node host to connect, authenticate and be seen up by the
//                           hypervisor in the server process (median of 20)
//   runtime.attach_process_ms  the same including starting the node's OS process (median of 5)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Emit } from './run.ts';
import { startNats } from '../../infra/servers.ts';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { spawnTs, stopChild } from '../../runtime/launcher.ts';
import { startNodeProcess } from '../../runtime/processes/node-process.ts';
import type { HypervisorView } from '../../actors/server/registry.messages.ts';
import './runtime-peer.ts';

const NET = 'bench';

function waitLine(c: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const on = (d: Buffer) => { buf += d; if (re.test(buf)) resolve(); };
    c.stdout!.on('data', on); c.stderr!.on('data', on);
    c.once('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

export default async function (emit: Emit): Promise<void> {
  const nats = await startNats({ jetstream: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-bench-'));
  const children: ChildProcess[] = [];
  const host = new ActorHost({ bus: await NatsBus.connect(nats.url, 'bench'), net: NET, processId: 'bench' });
  try {
    const peer = spawnTs('test/bench/runtime-peer.ts', [nats.url, NET], {});
    children.push(peer);
    await waitLine(peer, /ready/);

    // Request/reply round trips through the echo actor in the peer process.
    for (let i = 0; i < 200; i++) await host.request('actor.echo', 'bench.ping', { i });
    for (const concurrency of [1, 64]) {
      const total = concurrency === 1 ? 3000 : 30_000;
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < total) { const i = next++; await host.request('actor.echo', 'bench.ping', { i }); }
      }));
      const s = (performance.now() - t0) / 1000;
      emit({ bench: 'runtime.rr_per_s', value: Math.round(total / s), unit: 'round trips/s', concurrency, n: total, processes: 2 });
    }

    // One-way events to the counter actor; done when the actor has counted them all.
    // Windowed (at most ~20k in flight) so the receiver is never cut off as a slow consumer.
    const events = 100_000;
    const batch = 5000;
    const counted = async () => (await host.request<{ n: number }>('actor.counter', 'bench.count', {}, { timeoutMs: 30_000 })).body.n;
    const t0 = performance.now();
    for (let sent = 0; sent < events;) {
      for (let k = 0; k < batch; k++) host.send('counter', 'bench.event', { i: sent++ });
      await host.bus.flush();
      if (sent % (4 * batch) === 0) while (sent - (await counted()) > 3 * batch) { /* let the actor catch up */ }
    }
    while ((await counted()) < events) await new Promise((res) => setTimeout(res, 1));
    const s = (performance.now() - t0) / 1000;
    emit({ bench: 'runtime.events_per_s', value: Math.round(events / s), unit: 'events/s', n: events, processes: 2 });

    // Attach: a server process with 25 attachable nodes.
    const nodes = Array.from({ length: 25 }, (_, i) => ({ name: `N${i}`, type: 'D', dof: 'tbp', linkKm: 10, credential: `bench-secret-${i}`, attachLater: true }));
    const topo = path.join(dir, 'bench.json');
    fs.writeFileSync(topo, JSON.stringify({ network: NET, nodes }));
    const server = spawnTs('runtime/processes/server-main.ts', ['--nats', nats.url, '--topology', topo], {});
    children.push(server);
    await waitLine(server, /platform and hypervisor up/);
    const isUp = async (name: string) => {
      const v = await host.request<HypervisorView>('actor.hypervisor', 'hypervisor.status', {});
      return v.body.nodes.find((n) => n.name === name)?.state === 'up';
    };
    const attachMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const spec = nodes[i]!;
      const t = performance.now();
      const node = await startNodeProcess({ nats: nats.url, net: NET, name: spec.name, type: 'D', dof: 'tbp', linkKm: 10, credential: spec.credential, processId: `attach-${i}` });
      await node.registered;
      while (!(await isUp(spec.name))) { /* poll */ }
      attachMs.push(performance.now() - t);
      await node.stop();
    }
    emit({ bench: 'runtime.attach_ms', value: +median(attachMs).toFixed(2), unit: 'ms', n: 20, stat: 'median', includes: 'NATS connect + challenge + HMAC announce + seen up by hypervisor' });

    const procMs: number[] = [];
    for (let i = 20; i < 25; i++) {
      const spec = nodes[i]!;
      const t = performance.now();
      const c = spawnTs('runtime/processes/node-main.ts', ['--nats', nats.url, '--net', NET, '--name', spec.name, '--type', 'D', '--dof', 'tbp', '--link-km', '10'], { HETQN_CREDENTIAL: spec.credential });
      children.push(c);
      while (!(await isUp(spec.name))) await new Promise((r) => setTimeout(r, 5));
      procMs.push(performance.now() - t);
      await stopChild(c);
    }
    emit({ bench: 'runtime.attach_process_ms', value: Math.round(median(procMs)), unit: 'ms', n: 5, stat: 'median', includes: 'node + tsx start-up of a new OS process, then attach' });
  } finally {
    for (const c of children) await stopChild(c);
    await host.stop();
    await nats.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
