// The BB84 sampler against the model's expectations (bb84CellProbs / bb84ExpectedCounts of
// protocols/physics/bb84-model.ts), with fixed seeds and false-alarm ALPHA per assertion.
import test from 'ava';
import { bb84CellProbs, bb84ErrorRateGivenDetection, bb84DetectionProb, INTENSITIES, intensityProbs, type Bb84Link, type Bb84SourceParams } from '../../protocols/physics/bb84-model.ts';
import { fibreTransmittance } from '../../protocols/physics/channel.ts';
import { BASIS_X, BASIS_Z, sampleBb84Run, bb84OutcomeLaw } from '../../protocols/physics/sampler-bb84.ts';
import { frameSlots } from '../../protocols/physics/sampler-core.ts';
import { interceptResend, photonNumberSplitting } from '../../protocols/physics/eavesdroppers.ts';
import { ALPHA, chi2Critical, chiSquare, Z_ALPHA } from './stats.ts';

const link: Bb84Link = { etaCh: fibreTransmittance(35.3), etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0.02, eMis: 0.01 };
const source: Bb84SourceParams = { qX: 0.7, mu1: 0.6, mu2: 0.2, mu3: 0.0002, pMu1: 0.5, pMu2: 0.3, qXBob: 0.5 };
const PULSES = 1e8;
const run = sampleBb84Run({ pulses: PULSES, source, link, seed: 'bb84-stat', maxFrameEvents: 300_000 });

test(`per (intensity, basis pair) click counts are Multinomial(N; p_k q_a q_b R_k): chi-square, false-alarm ${ALPHA}`, (t) => {
  const pk = intensityProbs(source);
  const qa = [source.qX, 1 - source.qX], qb = [source.qXBob!, 1 - source.qXBob!];
  const obs = new Float64Array(12), exp = new Float64Array(12);
  INTENSITIES.forEach((name, k) => {
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) exp[k * 4 + a * 2 + b] = PULSES * pk[name] * qa[a] * qb[b] * bb84DetectionProb(source[name], link);
  });
  for (let f = 0; f < run.source.length; f++) {
    const s = run.source[f], d = run.detector[f];
    for (let i = 0; i < s.bit.length; i++) obs[s.intensity[i] * 4 + s.basis[i] * 2 + d.basis[i]]++;
  }
  // the "no click" cell completes the multinomial; its deviation equals minus the sum of the others
  const noClickExp = PULSES - exp.reduce((a, b) => a + b, 0), noClickObs = PULSES - obs.reduce((a, b) => a + b, 0);
  const { stat, df } = chiSquare([...obs, noClickObs], [...exp, noClickExp]);
  t.is(df, 12);
  t.true(stat < chi2Critical(df), `chi2 ${stat.toFixed(2)} vs ${chi2Critical(df).toFixed(2)}`);
});

test('matching-basis errors per intensity match the model (errors ~ Binomial(n, e_k/R_k)); X and Z alike', (t) => {
  const cells = bb84CellProbs(source, link);
  let stat = 0, df = 0;
  for (const basis of [BASIS_X, BASIS_Z]) {
    const n = [0, 0, 0], m = [0, 0, 0];
    for (let f = 0; f < run.source.length; f++) {
      const s = run.source[f], d = run.detector[f];
      for (let i = 0; i < s.bit.length; i++) if (s.basis[i] === basis && d.basis[i] === basis) { n[s.intensity[i]]++; m[s.intensity[i]] += s.bit[i] ^ d.bit[i]; }
    }
    INTENSITIES.forEach((name, k) => {
      const det = basis === BASIS_X ? cells.detX[name] : cells.detZ[name], err = basis === BASIS_X ? cells.errX[name] : cells.errZ[name];
      const e = err / det;
      t.true(Math.abs(e - bb84ErrorRateGivenDetection(source[name], link)) < 1e-12);
      const mean = n[k] * e, v = n[k] * e * (1 - e);
      stat += (m[k] - mean) ** 2 / v; df++;
    });
  }
  t.true(stat < chi2Critical(df), `chi2 ${stat.toFixed(2)} df ${df}`);
});

test('conditional laws: Alice bit uniform, Bob bit uniform and independent in mismatched bases', (t) => {
  const tab = new Float64Array(4); let ones = 0, total = 0;
  for (let f = 0; f < run.source.length; f++) {
    const s = run.source[f], d = run.detector[f];
    for (let i = 0; i < s.bit.length; i++) {
      ones += s.bit[i]; total++;
      if (s.basis[i] !== d.basis[i]) tab[s.bit[i] * 2 + d.bit[i]]++;
    }
  }
  t.true(Math.abs(ones - total / 2) < 3.29 * Math.sqrt(total / 4));
  const n = tab.reduce((a, b) => a + b, 0);
  const { stat, df } = chiSquare(tab, [n / 4, n / 4, n / 4, n / 4]);
  t.true(stat < chi2Critical(df, 3.0902), `chi2 ${stat} df ${df}`);
});

test('click slots are uniform over the run and strictly increasing (chi-square over 50 bins)', (t) => {
  const B = 50, obs = new Float64Array(B);
  let last = -1, total = 0;
  for (const f of run.detector) {
    for (const s of frameSlots(f)) { t.true(s > last || total === 0 && s >= 0); last = s; obs[Math.floor((s / PULSES) * B)]++; total++; }
  }
  t.true(last < PULSES);
  const { stat, df } = chiSquare(obs, new Array(B).fill(total / B));
  t.true(stat < chi2Critical(df), `chi2 ${stat.toFixed(1)} df ${df}`);
});

test('the same seed reproduces the run; the views of the two parties share slots but not choices', (t) => {
  const again = sampleBb84Run({ pulses: 1e7, source, link, seed: 'repro' });
  const again2 = sampleBb84Run({ pulses: 1e7, source, link, seed: 'repro' });
  t.deepEqual(again.detector[0].bit, again2.detector[0].bit);
  t.deepEqual(again.source[0].deltas, again2.source[0].deltas);
  t.false('intensity' in again.detector[0]);
  t.false('branch' in again.detector[0] || 'branch' in again.source[0]);
});

test('1e12 pulses cost only the detections (sparse link, 60 dB)', (t) => {
  const far: Bb84Link = { ...link, etaCh: 1e-6, pAfterpulse: 0 };
  const r = sampleBb84Run({ pulses: 1e12, source, link: far, seed: 'sparse' });
  const expected = bb84OutcomeLaw(source, far).pDetect * 1e12;
  t.true(Math.abs(r.detections - expected) < 3.29 * Math.sqrt(expected), `${r.detections} vs ${expected}`);
  const lastFrame = r.detector[r.detector.length - 1];
  const slots = frameSlots(lastFrame);
  t.true(slots[slots.length - 1] < 1e12 && slots[slots.length - 1] > 0.99e12);
});

test('intercept-resend: QBER on the attacked fraction is 1/4 + e/2 (near 25 %), honest part unchanged', (t) => {
  const f = 0.3;
  const r = sampleBb84Run({ pulses: 5e7, source, link, seed: 'ir', eavesdropper: interceptResend(f) });
  const att = r.branchTags.indexOf('intercepted');
  const n = [0, 0], m = [0, 0];
  for (let k = 0; k < r.source.length; k++) {
    const s = r.source[k], d = r.detector[k], e = r.fabric[k];
    for (let i = 0; i < s.bit.length; i++) if (s.basis[i] === d.basis[i] && s.intensity[i] === 0) {
      const j = e.branch[i] === att ? 1 : 0; n[j]++; m[j] += s.bit[i] ^ d.bit[i];
    }
  }
  const e0 = bb84ErrorRateGivenDetection(source.mu1, link);
  const eAtt = 0.25 + e0 / 2;
  t.true(Math.abs(m[1] / n[1] - eAtt) < Z_ALPHA * Math.sqrt(eAtt * (1 - eAtt) / n[1]), `attacked QBER ${m[1] / n[1]}`);
  t.true(Math.abs(m[0] / n[0] - e0) < Z_ALPHA * Math.sqrt(e0 * (1 - e0) / n[0]), `honest QBER ${m[0] / n[0]}`);
  // the attacked share of clicks is the attacked share of pulses (Eve keeps Bob's click rate)
  const share = n[1] / (n[0] + n[1]);
  t.true(Math.abs(share - f) < Z_ALPHA * Math.sqrt(f * (1 - f) / (n[0] + n[1])));
});

test('photon-number splitting: the click rates per intensity no longer follow one fibre (signal up relative to decoy)', (t) => {
  const law = bb84OutcomeLaw(source, link, photonNumberSplitting());
  const honest = bb84OutcomeLaw(source, link);
  const rate = (l: typeof law, k: number) => { let s = 0; for (let j = 0; j < l.weights.length; j++) if (l.intensity[j] === k) s += l.weights[j]; return s; };
  // PNS forwards multi-photon pulses losslessly: the signal's click rate goes up relative to the weak decoy's
  const ratioPns = rate(law, 0) / rate(law, 1), ratioHonest = rate(honest, 0) / rate(honest, 1);
  t.true(ratioPns > 1.2 * ratioHonest, `${ratioPns} vs ${ratioHonest}`);
});
