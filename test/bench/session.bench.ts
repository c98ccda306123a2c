// (d) The whole reference D–A session (BB84, 2e9 pulses = 2 s of a 1 GHz source, L = 35.3 km,
// 20 % detectors, the BB84 engineer's calibration of this link), wall time by stage, with both
// parties' halves in this one process (each party's own share of the CPU is about half of the
// protocol stages). Also reports l_sift, QBER, disclosed bits, f, l_sec and the key-rate
// engine's prediction for the same settings.
import fs from 'node:fs';
import type { Emit } from './run.ts';
import { fibreTransmittance } from '../../protocols/physics/channel.ts';
import type { Bb84Link } from '../../protocols/physics/bb84-model.ts';
import { bb84Predict } from '../../protocols/keyrate/bb84-lim.ts';
import { bb84Optimise } from '../../protocols/keyrate/bb84-optimise.ts';
import { runBb84Session } from '../../protocols/postprocessing/pipeline-session.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';

export default async function (emit: Emit): Promise<void> {
  const cal = JSON.parse(fs.readFileSync(new URL('../../infra/topologies/reference-calibration.json', import.meta.url), 'utf8'));
  const da = cal.links['David-Alice'];
  const link: Bb84Link = { etaCh: fibreTransmittance(35.3, 0.2, da.extraLossDb), etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0, eMis: da.misalignment };
  const pulses = 2e9;
  const opt = bb84Optimise({ link, f: 1.138, pulses, qXBob: 0.5 });
  const p = opt.params;
  const source = { qX: p.qX, mu1: p.mu1, mu2: p.mu2, mu3: p.mu3, pMu1: p.pMu1, pMu2: p.pMu2, qXBob: 0.5 };
  const modes = (process.env.SESSION_BENCH_MODES ?? 'unauthenticated,authenticated').split(',');
  for (const mode of modes) {
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
