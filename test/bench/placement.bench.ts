// Placement figures (issue 14 item 4): networks of 5, 50, 200 and 1 000 user nodes generated with
// `hetqn topology generate --kind laqn` (plus the server-owned relays and sources it adds), started by
// the launcher with `nodesPerProcess` nodes per process (each node on its own NATS connection and
// identity), on private secured NATS and Redis (every node its own Redis user):
//   placement.registered_s      launch (issuer secrets, private servers, bundles, server process, node
//                               processes) until the hypervisor sees every node up; from_node_start_s:
//                               from the node processes' start
//   placement.rss_mb            total resident memory of the server and node processes (nats-server
//                               and redis-server in rss_servers_mb)
//   placement.idle_cpu_per_node  CPU of the node processes over `idleS` seconds of idling (heartbeats
//                               only), per node, as a share of one core (server: server_cpu)
//   placement.compiled_start_ratio  a node process's start until every module is loaded, from dist/
//                               (compiled.ts) over the same with tsx, alternating, medians of 5 each
//   placement.compiled_launch_ratio  the same for a whole 5-node network, one process per node, until
//                               all registered (medians of HETQN_BENCH_ROUNDS, default 2)
// Sizes: HETQN_BENCH_PLACEMENT_SIZES (default 5,50,200,1000); nodes per process:
// HETQN_BENCH_NODES_PER_PROCESS (default 100); HETQN_BENCH_ROUNDS=0 skips the start ratios. Each figure carries the load average it was measured at.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emit } from './run.ts';
import { loadTopology } from '../../infra/topology.ts';
import { launchCluster, spawnTs, type Cluster } from '../../runtime/launcher.ts';
import { compileRuntime, DIST } from '../../runtime/compiled.ts';
import { spawn } from 'node:child_process';

const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux (proc(5))

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try { return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024; } catch { return 0; }
}

/** utime + stime of a process, in seconds (proc(5) fields 14 and 15). */
function cpuS(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch { return 0; }
}

const load = () => Number(os.loadavg()[0]!.toFixed(2));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** `hetqn topology generate --kind laqn --nodes N`, as a user runs it. */
function generate(dir: string, nodes: number): Promise<string> {
  const out = path.join(dir, `laqn-${nodes}.json`);
  const c = spawnTs('runtime/cli/main.ts', ['topology', 'generate', '--kind', 'laqn', '--nodes', String(nodes), '--seed', '1', '--out', out, '--json']);
  return new Promise<string>((resolve, reject) => {
    let err = '';
    c.stderr!.on('data', (d) => { err += d; });
    c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`topology generate: ${err}`))));
  });
}

/** Seconds until a node process has loaded every module: run with no arguments, it stops at once
 *  ("--bundle is required") after its static imports are in. */
function loadTime(compiled: boolean): Promise<number> {
  const t0 = performance.now();
  const c = compiled ? spawn(process.execPath, [path.join(DIST, 'node-main.js')], { stdio: 'ignore' }) : spawnTs('runtime/processes/node-main.ts', []);
  return new Promise((resolve) => c.once('exit', () => resolve((performance.now() - t0) / 1000)));
}

/** `s`: launch to all registered; `nodesS`: from the node processes' start (after the issuer's
 *  secrets, the private servers and the bundles are ready) to all registered. */
async function launch(file: string, nodesPerProcess: number, compiled: boolean): Promise<{ cluster: Cluster; s: number; nodesS: number }> {
  const topology = loadTopology(file);
  const t0 = performance.now();
  let tNodes = t0;
  const cluster = await launchCluster({ topology, nodesPerProcess, compiled, forwardChildLogs: false, startTimeoutMs: 900_000,
    log: (l) => { if (/^starting \d+ nodes in/.test(l)) tNodes = performance.now(); } });
  const t1 = performance.now();
  return { cluster, s: (t1 - t0) / 1000, nodesS: (t1 - tNodes) / 1000 };
}

/** Compiled against tsx start, same run, alternating: a node process's module loading alone
 *  (median of 5 each), then a whole 5-node network one process per node (medians of `rounds`). */
async function startRatios(emit: Emit, dir: string, rounds: number): Promise<void> {
  const loads: Record<'compiled' | 'tsx', number[]> = { compiled: [], tsx: [] };
  for (let r = 0; r < 5; r++) for (const mode of ['tsx', 'compiled'] as const) loads[mode].push(await loadTime(mode === 'compiled'));
  const [lc, lx] = [median(loads.compiled), median(loads.tsx)];
  emit({ bench: 'placement.compiled_start_ratio', value: Number((lc / lx).toFixed(3)), unit: 'ratio', compiled_s: Number(lc.toFixed(3)), tsx_s: Number(lx.toFixed(3)), what: 'node process start to all modules loaded', samples: 5, load: load() });
  const small = await generate(dir, 5);
  const times: Record<'compiled' | 'tsx', number[]> = { compiled: [], tsx: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['tsx', 'compiled'] as const) {
      const { cluster, s } = await launch(small, 1, mode === 'compiled');
      if (cluster.compiled !== (mode === 'compiled')) throw new Error(`placement: asked for ${mode}, got ${cluster.compiled ? 'compiled' : 'tsx'}`);
      times[mode].push(s);
      await cluster.stop();
    }
  }
  const [c, x] = [median(times.compiled), median(times.tsx)];
  emit({ bench: 'placement.compiled_launch_ratio', value: Number((c / x).toFixed(3)), unit: 'ratio', compiled_s: Number(c.toFixed(2)), tsx_s: Number(x.toFixed(2)), nodes: 5, nodesPerProcess: 1, rounds, load: load() });
}

export default async function placement(emit: Emit): Promise<void> {
  const sizes = (process.env.HETQN_BENCH_PLACEMENT_SIZES ?? '5,50,200,1000').split(',').map(Number);
  const k = Number(process.env.HETQN_BENCH_NODES_PER_PROCESS ?? 100);
  const rounds = Number(process.env.HETQN_BENCH_ROUNDS ?? 2);
  const idleS = Number(process.env.HETQN_BENCH_IDLE_S ?? 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-placement-'));
  try {
    const build = await compileRuntime();
    emit({ bench: 'placement.build_ms', value: build.ms, unit: 'ms', sources: build.inputs, load: load() });

    if (rounds > 0) await startRatios(emit, dir, rounds);

    for (const n of sizes) {
      const file = await generate(dir, n);
      const total = loadTopology(file).nodes.filter((x) => !x.attachLater).length;
      const { cluster, s, nodesS } = await launch(file, k, true);
      try {
        const processes = cluster.children.length;
        emit({ bench: 'placement.registered_s', value: Number(s.toFixed(2)), unit: 's', from_node_start_s: Number(nodesS.toFixed(2)), userNodes: n, nodes: total, processes, nodesPerProcess: k, load: load() });
        const rss = cluster.children.reduce((a, ch) => a + rssMb(ch.pid), 0);
        const servers = rssMb(cluster.servers.nats?.pid()) + rssMb(cluster.servers.redis?.pid());
        emit({ bench: 'placement.rss_mb', value: Math.round(rss), unit: 'MB', per_node_mb: Number((rss / total).toFixed(1)), rss_servers_mb: Math.round(servers), userNodes: n, nodes: total, processes, nodesPerProcess: k, load: load() });
        await new Promise((r) => setTimeout(r, 3000)); // let registration's tail settle
        const nodes = cluster.children.filter((ch) => ch.role === 'node');
        const server = cluster.children.find((ch) => ch.role === 'server')!;
        const before = nodes.map((ch) => cpuS(ch.pid)), sBefore = cpuS(server.pid);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, idleS * 1000));
        const wall = (performance.now() - t0) / 1000;
        const used = nodes.reduce((a, ch, i) => a + cpuS(ch.pid) - before[i]!, 0);
        emit({ bench: 'placement.idle_cpu_per_node', value: Number((used / wall / total).toFixed(5)), unit: 'cores', server_cpu: Number(((cpuS(server.pid) - sBefore) / wall).toFixed(3)), nodes_cpu: Number((used / wall).toFixed(3)), idle_s: idleS, userNodes: n, nodes: total, processes, nodesPerProcess: k, load: load() });
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
