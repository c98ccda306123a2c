import test from 'ava';
import { bbm92GainQber, type Bbm92Link } from '../../protocols/keyrate/bbm92.ts';
import { sampleBbm92Frames } from '../../protocols/physics/sampler-bbm92.ts';
import { chi2Critical, chiSquare, ALPHA } from './stats.ts';

test(`BBM92 coincidences per basis pair and matching-basis errors follow Ma-Fung-Lo Q_lambda, E_lambda (false-alarm ${ALPHA})`, (t) => {
  const link: Bbm92Link = { etaA: 0.2 * 10 ** -0.5, etaB: 0.2 * 10 ** -0.6, pDark: 1e-6, eMis: 0.015 };
  const lambda = 0.05, pulses = 1e9, qX = 0.6;
  const { gain, qber } = bbm92GainQber(lambda, link);
  const obs = new Float64Array(4); let n = 0, m = 0;
  for (const f of sampleBbm92Frames({ pulses, lambda, link, qX, seed: 'bbm92' })) {
    for (let i = 0; i < f.a.bit.length; i++) {
      obs[f.a.basis[i] * 2 + f.b.basis[i]]++;
      if (f.a.basis[i] === f.b.basis[i]) { n++; m += f.a.bit[i] ^ f.b.bit[i]; }
    }
  }
  const q = [qX, 1 - qX];
  const exp = [0, 1, 2, 3].map((c) => pulses * gain * q[c >> 1] * q[c & 1]);
  const tot = obs.reduce((a, b) => a + b, 0);
  const { stat, df } = chiSquare([...obs, pulses - tot], [...exp, pulses - exp.reduce((a, b) => a + b, 0)]);
  t.true(stat < chi2Critical(df), `chi2 ${stat}`);
  t.true(Math.abs(m - n * qber) < 3.29 * Math.sqrt(n * qber * (1 - qber)), `errors ${m} vs ${n * qber}`);
});
