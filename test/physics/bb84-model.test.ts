import test from 'ava';
import { fibreTransmittance, dbToTransmittance, transmittanceToDb } from '../../protocols/physics/channel.ts';
import { bb84DetectionProb, bb84ErrorProb, bb84ExpectedCounts, type Bb84Link } from '../../protocols/physics/bb84-model.ts';

test('fibre transmittance: 50 km at 0.2 dB/km is 10 dB = 0.1', t => {
  t.true(Math.abs(fibreTransmittance(50) - 0.1) < 1e-12);
  t.true(Math.abs(fibreTransmittance(40, 0.2, 2) - 0.1) < 1e-12);
  t.true(Math.abs(transmittanceToDb(dbToTransmittance(13.7)) - 13.7) < 1e-12);
  t.is(transmittanceToDb(0), Number.POSITIVE_INFINITY);
});

const link: Bb84Link = { etaCh: 0.01, etaDet: 0.1, pDark: 6e-7, pAfterpulse: 0.04, eMis: 0.005 };

test('detection probability follows Lim 2014 Sec. IV', t => {
  const k = 0.5;
  const dk = 1 - (1 - 2 * 6e-7) * Math.exp(-0.001 * k);
  t.true(Math.abs(bb84DetectionProb(k, link) - dk * 1.04) < 1e-15);
  // vacuum: only dark counts (two detectors) plus afterpulses
  t.true(Math.abs(bb84DetectionProb(0, link) - 2 * 6e-7 * 1.04) < 1e-15);
});

test('error probability: dark + misalignment (eta_sys) + half the afterpulses', t => {
  const k = 0.5;
  const dk = 1 - (1 - 2 * 6e-7) * Math.exp(-0.001 * k);
  const e = 6e-7 + 0.005 * (1 - Math.exp(-0.001 * k)) + 0.04 * dk / 2;
  t.true(Math.abs(bb84ErrorProb(k, link) - e) < 1e-15);
  t.true(bb84ErrorProb(k, link) < bb84DetectionProb(k, link));
});

test('expected counts scale with basis and intensity probabilities', t => {
  const p = { qX: 0.8, mu1: 0.5, mu2: 0.1, mu3: 2e-4, pMu1: 0.7, pMu2: 0.2 };
  const c = bb84ExpectedCounts(p, link, 1e10);
  t.true(Math.abs(c.nX.mu1 - 1e10 * 0.64 * 0.7 * bb84DetectionProb(0.5, link)) < 1e-6);
  t.true(Math.abs(c.nZ.mu3 - 1e10 * 0.04 * 0.1 * bb84DetectionProb(2e-4, link)) < 1e-6);
});
