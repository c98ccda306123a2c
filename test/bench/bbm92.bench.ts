// The David–George BBM92 session through Ivy (E, SPDC source) as the planner sees it in the reference
// network: arms Ivy->David 8 dB and Ivy->George 5.4 dB (fibre + one cross-connect), 20 % detectors,
// 1e-6 dark counts, e_d 1.5 %, both D nodes' passive 50:50 basis choice (qX 0.5), lambda from
// bbm92Optimise. Both halves run in this one process; wall and process CPU seconds per stage, and
// l_sift, QBER, f, l_sec against the engine's prediction at the achieved f and at f = 1.16.
import type { Emit } from './run.ts';
import { bbm92Optimise, bbm92Predict, type Bbm92Link } from '../../protocols/keyrate/bbm92.ts';
import { runBbm92Session } from '../../protocols/postprocessing/pipeline-session-bbm92.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';

const h = (p: number) => (p <= 0 || p >= 1 ? 0 : -p * Math.log2(p) - (1 - p) * Math.log2(1 - p));

export default async function (emit: Emit): Promise<void> {
  const link: Bbm92Link = { etaA: 10 ** -0.8 * 0.2, etaB: 10 ** -0.54 * 0.2, pDark: 1e-6, eMis: 0.015 };
  for (const seconds of (process.env.BBM92_BENCH_SECONDS ?? '1,10').split(',').map(Number)) {
    const pulses = seconds * 1e9;
    const opt = bbm92Optimise({ link, pulses, f: 1.16, qX: 0.5 });
    const lambda = opt.params.lambda!;
    const c0 = process.cpuUsage();
    const r = await runBbm92Session({ pulses, lambda, qX: 0.5, link, seed: `bench-bbm92-${seconds}` });
    const cu = process.cpuUsage(c0);
    const common = { pulses, hardwareSeconds: seconds, lambda };
    if (!r.ok) { emit({ bench: 'bbm92.aborted', value: 1, unit: 'flag', ...common, reason: r.reason }); continue; }
    const s = r.b.stats;
    const f = (s.disclosedBits + s.sampleBits) / (s.siftedBits * h(s.qber));
    const atF = bbm92Predict({ link, lambda, qX: 0.5, pulses, f });
    emit({ bench: 'bbm92.wall.sample', value: r.wallMs.sample / 1000, unit: 's', ...common });
    for (const st of ['sift', 'estimate', 'cascade', 'verify', 'pa'] as const) emit({ bench: `bbm92.wall.${st}`, value: Math.max(r.a.timings[st], r.b.timings[st]) / 1000, unit: 's', ...common, cpuS: r.a.cpuTimings[st] / 1000 });
    emit({ bench: 'bbm92.wall.total', value: r.wallMs.total / 1000, unit: 's', ...common, cpuS: (cu.user + cu.system) / 1e6 });
    emit({
      bench: 'bbm92.secretBits', value: s.secretBits, unit: 'bits', ...common, keysEqual: r.keysEqual,
      coincidences: s.coincidences, siftedBits: s.siftedBits, testBits: s.testBits, qber: s.qber, qberZ: s.qberZ, f,
      phaseErrorBound: s.phaseErrorBound, predictedAtF: atF.secretBits, ratioToPredictionAtF: s.secretBits / atF.secretBits, predictedAtF116: opt.secretBits, modelQber: atF.qber,
    });
  }
  await closeToeplitzPool();
}
