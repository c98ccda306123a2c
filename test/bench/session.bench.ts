// (d) The whole reference D–A session (BB84, 2e9 pulses = 2 s of a 1 GHz source, L = 35.3 km,
// 20 % detectors, the BB84 engineer's calibration of this link), wall time by stage, with both
// parties' halves in this one process (each party's own share of the CPU is about half of the
// protocol stages). Also reports l_sift, QBER, disclosed bits, f, l_sec and the key-rate
// engine's prediction for the same settings.
// (e) The same session over the cluster (SESSION_BENCH_MODES includes `cluster`): the reference
// network launched as in `hetqn up` (one OS process per node, the server, private secured
// nats-server and redis-server), `David–Alice` for 2 s asked on platform.request, then the same
// session in this process with the plan's own source parameters, link and pulses, back to back.
// session.cluster.* are the cluster's stages (the coordinator's stamps, and each party's own
// timings); session.cluster_cost.* are the ratios cluster / in-process of the same run:
//   total        request accepted -> committed in both pools    vs  sample + post-processing
//   sampling     the server's fabric sampling and delivery        vs  sample
//   processing   the parties' post-processing up to staged       vs  sift + estimate + cascade + verify + pa
//   cpu          CPU seconds of every process of the network (server, nodes, nats-server,
//                redis-server, this one) during the session       vs  this process's CPU for the session
// On a shared machine the wall ratios depend on the load (several processes get a larger share of
// contended cores than one); the CPU ratio does not, so both are reported, with the load average.
import fs from 'node:fs';
import os from 'node:os';
import type { Emit } from './run.ts';
import { fibreTransmittance } from '../../protocols/physics/channel.ts';
import type { Bb84Link } from '../../protocols/physics/bb84-model.ts';
import { bb84Predict } from '../../protocols/keyrate/bb84-lim.ts';
import { bb84Optimise } from '../../protocols/keyrate/bb84-optimise.ts';
import { runBb84Session, type Bb84SessionResult } from '../../protocols/postprocessing/pipeline-session.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';
import { bb84SourceParams } from '../../protocols/qkd/bb84/params.ts';

/** CPU seconds (user + system, threads included) a process has used, from /proc (Linux). */
function procCpuS(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return 0; }
}

async function clusterSession(emit: Emit, rounds: number): Promise<void> {
  const { startEnv, stopEnv, qkd } = await import('../sessions/helpers.ts');
  const env = await startEnv();
  try {
    // One short session first: the party workers and code paths are warm, as in a running network.
    const warm = await qkd(env, 'David', 'Alice', { seconds: 0.01 });
    if (!warm.ok) throw new Error(`warm-up session failed: ${warm.reason}`);
    const ratios: Record<string, number[]> = { total: [], sampling: [], processing: [], cpu: [] };
    for (let round = 0; round < rounds; round++) {
      const pids = [process.pid, env.nats.pid(), env.redis.pid(), ...env.cluster.children.map((ch) => ch.child.pid)];
      const cpu0 = pids.map(procCpuS);
      const load = os.loadavg()[0];
      const c = await qkd(env, 'David', 'Alice', { seconds: 2 });
      const clusterCpu = pids.map(procCpuS).reduce((n, x, i) => n + x - cpu0[i]!, 0);
      if (!c.ok) { emit({ bench: 'session.cluster.aborted', value: 1, unit: 'flag', reason: c.reason }); continue; }
      const r = c.result!;
      const link = r.link as Bb84Link;
      const lc0 = process.cpuUsage();
      const local = await runBb84Session({ pulses: r.pulses, source: bb84SourceParams(r.params), link, seed: `bench-cluster-${round}`, cascadeVariant: 'yanetal', unauthenticated: false });
      if (!local.ok) { emit({ bench: 'session.cluster.aborted', value: 1, unit: 'flag', reason: `in-process: ${local.reason}` }); continue; }
      const lcu = process.cpuUsage(lc0);
      const localCpu = (lcu.user + lcu.system) / 1e6;
      const w = (local as Bb84SessionResult).wallMs;
      const proc = w.sift + w.estimate + w.cascade + w.verify + w.pa;
      const common = { round, pulses: r.pulses, hardwareSeconds: r.seconds, load: +load.toFixed(1), loadAfter: +os.loadavg()[0].toFixed(1) };
      for (const [stage, ms] of Object.entries(r.stageMs as Record<string, number>)) emit({ bench: `session.cluster.wall.${stage}`, value: ms / 1000, unit: 's', ...common });
      for (const [node, t] of Object.entries(r.partyMs as Record<string, Record<string, number>>)) {
        for (const [stage, ms] of Object.entries(t ?? {})) emit({ bench: `session.cluster.party.${stage}`, value: ms / 1000, unit: 's', node, ...common });
      }
      for (const [stage, ms] of Object.entries(w)) emit({ bench: `session.inprocess.wall.${stage}`, value: ms / 1000, unit: 's', ...common });
      const pair = { total: [r.stageMs.total, w.total], sampling: [r.stageMs.sampling, w.sample], processing: [r.stageMs.postprocessing + r.stageMs.committing, proc], cpu: [clusterCpu * 1000, localCpu * 1000] } as Record<string, [number, number]>;
      for (const [k, [cl, ip]] of Object.entries(pair)) {
        ratios[k]!.push(cl / ip);
        emit({ bench: `session.cluster_cost.${k}`, value: +(cl / ip).toFixed(3), unit: 'ratio cluster/in-process', clusterS: cl / 1000, inProcessS: ip / 1000, ...common, lSec: r.l_sec, lSecInProcess: local.stats.secretBits });
      }
    }
    if (rounds > 1) for (const [k, xs] of Object.entries(ratios)) {
      const s = [...xs].sort((a, b) => a - b);
      emit({ bench: `session.cluster_cost.${k}.median`, value: +s[Math.floor(s.length / 2)]!.toFixed(3), unit: 'ratio cluster/in-process', rounds: xs.map((x) => +x.toFixed(3)) });
    }
  } finally {
    await stopEnv(env);
  }
}

export default async function (emit: Emit): Promise<void> {
  const modes = (process.env.SESSION_BENCH_MODES ?? 'unauthenticated,authenticated,cluster').split(',');
  if (modes.includes('cluster')) await clusterSession(emit, Number(process.env.SESSION_BENCH_ROUNDS ?? 1));
  const cal = JSON.parse(fs.readFileSync(new URL('../../infra/topologies/reference-calibration.json', import.meta.url), 'utf8'));
  const da = cal.links['David-Alice'];
  const link: Bb84Link = { etaCh: fibreTransmittance(35.3, 0.2, da.extraLossDb), etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0, eMis: da.misalignment };
  const pulses = 2e9;
  const opt = bb84Optimise({ link, f: 1.138, pulses, qXBob: 0.5 });
  const p = opt.params;
  const source = { qX: p.qX, mu1: p.mu1, mu2: p.mu2, mu3: p.mu3, pMu1: p.pMu1, pMu2: p.pMu2, qXBob: 0.5 };
  for (const mode of modes.filter((m) => m !== 'cluster')) {
    const c0 = process.cpuUsage();
    const r = await runBb84Session({ pulses, source, link, seed: 'bench-da', cascadeVariant: 'yanetal', unauthenticated: mode === 'unauthenticated' });
    const cu = process.cpuUsage(c0);
    if (!r.ok) { emit({ bench: 'session.da.aborted', value: 1, unit: 'flag', mode, reason: r.reason }); continue; }
    const predNominal = bb84Predict({ link, source, pulses, f: 1.138 });
    const predAtF = bb84Predict({ link, source, pulses, f: r.stats.f });
    const common = { mode, pulses, hardwareSeconds: pulses / 1e9 };
    for (const [stage, ms] of Object.entries(r.wallMs)) emit({ bench: `session.da.wall.${stage}`, value: ms / 1000, unit: 's', ...common, cpuS: r.cpuMs[stage as keyof typeof r.cpuMs] / 1000 });
    emit({ bench: 'session.da.wallPerHardwareSecond', value: r.wallMs.total / 1000 / (pulses / 1e9), unit: 's/s', ...common, cpuSeconds: (cu.user + cu.system) / 1e6 });
    emit({
      bench: 'session.da.secretBits', value: r.stats.secretBits, unit: 'bits', ...common,
      keysEqual: r.keysEqual, siftedBits: r.stats.siftedBits, qber: r.stats.qber, disclosedBits: r.stats.disclosedBits, f: r.stats.f,
      predictedAtF: predAtF.secretBits, ratioToPredictionAtF: r.stats.secretBits / predAtF.secretBits,
      predictedAtF1138: predNominal.secretBits, authKeyBits: r.stats.authKeyBits, detections: r.stats.detections,
      published: { lSift: 16387303, eB: 0.0088, lSec: 5895618, f: 1.138 },
    });
  }
  await closeToeplitzPool();
}
