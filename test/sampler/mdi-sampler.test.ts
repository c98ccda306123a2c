// MDI and joint-BSM samplers against the MDI model's expected counts (mdiExpectedCounts of
// protocols/keyrate/mdi.ts, built on Xu 2013 App. B gains), fixed seeds, false-alarm ALPHA each.
import test from 'ava';
import { mdiExpectedCounts } from '../../protocols/keyrate/mdi.ts';
import type { MdiParams } from '../../protocols/keyrate/mdi-finite.ts';
import { mdiLinkFromFibres } from '../../protocols/physics/mdi-model.ts';
import { jointBsmToMdiLink, type JointBsmConfig } from '../../protocols/physics/joint-bsm.ts';
import { MDI_INTENSITIES, mdiBasisOfPair, mdiBobFlips, sampleMdiRun, type MdiSourceFrame, type MdiRelayFrame } from '../../protocols/physics/sampler-mdi.ts';
import { combineJointBsm, sampleJointBsmFrames, type DetectorNodeFrame } from '../../protocols/physics/sampler-joint-bsm.ts';
import { frameSlots } from '../../protocols/physics/sampler-core.ts';
import { ALPHA, chi2Critical, chiSquare } from './stats.ts';

const params: MdiParams = {
  a: { s: 0.5, mu: 0.3, nu: 0.05, pS: 0.4, pMu: 0.2, pNu: 0.3 },
  b: { s: 0.45, mu: 0.35, nu: 0.04, pS: 0.35, pMu: 0.25, pNu: 0.3 },
};
const link = mdiLinkFromFibres({ lengthAKm: 20, lengthBKm: 30, etaDet: 0.2, pDark: 1e-6, eMis: 0.01, visibility: 0.96 });

const PAIRS = ['s-s', 'mu-mu', 'nu-nu', 'o-mu', 'mu-o', 'o-nu', 'nu-o', 'o-o'] as const;

function tally(a: readonly MdiSourceFrame[], b: readonly MdiSourceFrame[], relay: readonly MdiRelayFrame[]) {
  const n: Record<string, number> = {}, m: Record<string, number> = {};
  for (let f = 0; f < a.length; f++) {
    for (let i = 0; i < a[f].bit.length; i++) {
      const l = a[f].intensity[i], r = b[f].intensity[i];
      const key = `${MDI_INTENSITIES[l]}-${MDI_INTENSITIES[r]}`;
      n[key] = (n[key] ?? 0) + 1;
      const basis = mdiBasisOfPair(l, r);
      if (basis === 'mixed') continue;
      const bobBit = b[f].bit[i] ^ mdiBobFlips(basis, relay[f].bell[i]);
      m[key] = (m[key] ?? 0) + (a[f].bit[i] ^ bobBit);
    }
  }
  return { n, m };
}

function checkAgainstModel(t: import('ava').ExecutionContext, n: Record<string, number>, m: Record<string, number>, pulses: number, l = link) {
  const e = mdiExpectedCounts(l, params, pulses);
  const { stat, df } = chiSquare(PAIRS.map((p) => n[p] ?? 0), PAIRS.map((p) => e.n[p]!));
  t.true(stat < chi2Critical(df), `counts chi2 ${stat.toFixed(2)} df ${df}`);
  // errors given counts: Binomial(n, E) with E = m/n of the model
  let s2 = 0, d2 = 0;
  for (const p of PAIRS) {
    const E = e.m[p]! / e.n[p]!, k = n[p] ?? 0;
    if (k * E * (1 - E) < 20) continue;
    s2 += ((m[p] ?? 0) - k * E) ** 2 / (k * E * (1 - E)); d2++;
  }
  t.true(d2 >= 4 && s2 < chi2Critical(d2), `errors chi2 ${s2.toFixed(2)} df ${d2}`);
}

test(`MDI (single BSM): successes per intensity pair and their errors match the model, chi-square at ${ALPHA}`, (t) => {
  const pulses = 2e9;
  const run = sampleMdiRun({ pulses, params, link, seed: 'mdi-stat' });
  const { n, m } = tally(run.a, run.b, run.relay);
  checkAgainstModel(t, n, m, pulses);
  // the relay's Bell states are balanced
  let minus = 0, tot = 0;
  for (const r of run.relay) for (const b of r.bell) { minus += b; tot++; }
  t.true(Math.abs(minus - tot / 2) < 3.29 * Math.sqrt(tot / 4));
});

test('MDI at 1e12 pulse pairs over a long asymmetric link costs only the successes', (t) => {
  const far = mdiLinkFromFibres({ lengthAKm: 30, lengthBKm: 35, etaDet: 0.2, pDark: 1e-6, eMis: 0.01, extraLossADb: 15, extraLossBDb: 15 });
  const pulses = 1e12;
  const run = sampleMdiRun({ pulses, params, link: far, seed: 'mdi-1e12' });
  const { n, m } = tally(run.a, run.b, run.relay);
  checkAgainstModel(t, n, m, pulses, far);
  const last = run.relay[run.relay.length - 1];
  const s = frameSlots(last);
  t.true(s[s.length - 1] < pulses);
});

test('joint BSM: each D node sees only its own clicks; the server combination equals the Bell states; counts match the equivalent link', (t) => {
  const bsm: JointBsmConfig = {
    lengthAKm: 20, lengthBKm: 25, eMis: 0.01, visibility: 0.96,
    ports: [{ fibreKm: 12, etaDet: 0.2, pDark: 1e-6 }, { fibreKm: 15, etaDet: 0.2, pDark: 1e-6 }],
  };
  const pulses = 2e9;
  const a: MdiSourceFrame[] = [], b: MdiSourceFrame[] = [], p0: DetectorNodeFrame[] = [], p1: DetectorNodeFrame[] = [];
  for (const f of sampleJointBsmFrames({ pulses, params, bsm, seed: 'joint' })) { a.push(f.a); b.push(f.b); p0.push(f.ports[0]); p1.push(f.ports[1]); }
  const relay = combineJointBsm(p0, p1);
  // one relay frame for all successes: slots must equal the sources' slots
  const srcSlots = a.flatMap((f) => Array.from(frameSlots(f)));
  t.deepEqual(Array.from(frameSlots(relay)), srcSlots);
  // split the relay frame like the source frames for the tally
  const relayFrames: MdiRelayFrame[] = []; let k = 0;
  for (const f of a) { relayFrames.push({ firstSlot: f.firstSlot, deltas: f.deltas, bell: relay.bell.subarray(k, k + f.bit.length) }); k += f.bit.length; }
  const { n, m } = tally(a, b, relayFrames);
  checkAgainstModel(t, n, m, pulses, jointBsmToMdiLink(bsm).link);
  // neither D node sees every success
  const c0 = p0.reduce((s, f) => s + f.bins.length, 0), c1 = p1.reduce((s, f) => s + f.bins.length, 0);
  t.true(c0 < srcSlots.length && c1 < srcSlots.length && c0 + c1 > srcSlots.length);
});
