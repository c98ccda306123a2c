// (a) Detection-event sampler throughput: detections (or BSM successes) per second of wall time,
// including the split into per-party columnar views. CPU time is reported too, since the
// machine's other load inflates wall time.
import type { Emit } from './run.ts';
import { fibreTransmittance } from '../../protocols/physics/channel.ts';
import { sampleBb84Frames } from '../../protocols/physics/sampler-bb84.ts';
import { sampleMdiFrames } from '../../protocols/physics/sampler-mdi.ts';
import { sampleJointBsmFrames } from '../../protocols/physics/sampler-joint-bsm.ts';
import { mdiLinkFromFibres } from '../../protocols/physics/mdi-model.ts';
import { interceptResend } from '../../protocols/physics/eavesdroppers.ts';

function measure(run: () => number): { n: number; wall: number; cpu: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const n = run();
  const wall = (performance.now() - t0) / 1000, cu = process.cpuUsage(c0);
  return { n, wall, cpu: (cu.user + cu.system) / 1e6 };
}

export default async function (emit: Emit): Promise<void> {
  const link = { etaCh: fibreTransmittance(35.3), etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0, eMis: 0.0085 };
  const source = { qX: 0.93, mu1: 0.6, mu2: 0.245, mu3: 2e-4, pMu1: 0.685, pMu2: 0.207, qXBob: 0.5 };
  for (const [name, eve] of [['bb84', undefined], ['bb84-intercept-resend', interceptResend(0.3)]] as const) {
    const pulses = 2e9;
    const m = measure(() => { let n = 0; for (const f of sampleBb84Frames({ pulses, source, link, seed: 1, eavesdropper: eve })) n += f.source.bit.length; return n; });
    emit({ bench: 'sampler.detectionsPerSecond', value: m.n / m.wall, unit: 'detections/s', protocol: name, pulses, detections: m.n, wallS: m.wall, cpuS: m.cpu, perCpuSecond: m.n / m.cpu });
  }
  const params = { a: { s: 0.3, mu: 0.25, nu: 0.04, pS: 0.5, pMu: 0.1, pNu: 0.3 }, b: { s: 0.3, mu: 0.25, nu: 0.04, pS: 0.5, pMu: 0.1, pNu: 0.3 } };
  {
    const pulses = 1e12;
    const mdiLink = mdiLinkFromFibres({ lengthAKm: 30, lengthBKm: 34.6, etaDet: 0.2, pDark: 1e-6, eMis: 0.01, visibility: 0.96 });
    const m = measure(() => { let n = 0; for (const f of sampleMdiFrames({ pulses, params, link: mdiLink, seed: 2 })) n += f.a.bit.length; return n; });
    emit({ bench: 'sampler.detectionsPerSecond', value: m.n / m.wall, unit: 'detections/s', protocol: 'mdi', pulses, detections: m.n, wallS: m.wall, cpuS: m.cpu, perCpuSecond: m.n / m.cpu });
  }
  {
    const pulses = 1e12;
    const bsm = { lengthAKm: 30, lengthBKm: 30, eMis: 0.01, visibility: 0.96, ports: [{ fibreKm: 12, etaDet: 0.2, pDark: 1e-6 }, { fibreKm: 12, etaDet: 0.2, pDark: 1e-6 }] as [any, any] };
    const m = measure(() => { let n = 0; for (const f of sampleJointBsmFrames({ pulses, params, bsm, seed: 3 })) n += f.a.bit.length; return n; });
    emit({ bench: 'sampler.detectionsPerSecond', value: m.n / m.wall, unit: 'detections/s', protocol: 'mdi-joint-bsm', pulses, detections: m.n, wallS: m.wall, cpuS: m.cpu, perCpuSecond: m.n / m.cpu });
  }
}
