// Run-to-run spread of a session's l_sift, e_b and l_sec at its own parameters (the report's
// "± s" per row): the counts another seed would give, fed to the same finite-key estimator with
// the leak the sessions' reconciliation has (cascade-efficiency.ts). The sampler (sampler-core.ts)
// draws per-class counts that are jointly Multinomial(N; p_c); each class is marginally
// Binomial(N, p_c) and the covariances (-N p_c p_d) are negligible at p_c << 1, so each class count
// is drawn as Binomial(N, n_c/N) from the expected counts n_c of the model the sampler draws from,
// and its errors as Binomial(n, m_c/n_c); optionally the misalignment varies from run to run too
// (calibration residuals). A parametric bootstrap of the estimator: it gives the
// spread of repeated runs (checked against seeded pipeline runs in test/keyrate/spread.test.ts).
import type { Rng } from '../rng.ts';
import { createRng } from '../rng.ts';
import { sampleBinomial } from '../physics/sampler-random.ts';
import { bb84ExpectedCounts, INTENSITIES, type Bb84Link, type Bb84SourceParams, type Intensity } from '../physics/bb84-model.ts';
import type { MdiLink } from '../physics/mdi-model.ts';
import { bb84EstimateFromCounts, type Bb84Counts } from './bb84-lim.ts';
import { mdiEstimateFromCounts, mdiExpectedCounts, type MdiCounts, type MdiParams } from './mdi.ts';
import { bbm92FromCounts, bbm92GainQber, type Bbm92Link } from './bbm92.ts';
import { expectedLeak } from '../postprocessing/cascade-efficiency.ts';

export type SpreadInput =
  | { protocol: 'bb84'; link: Bb84Link; source: Bb84SourceParams; pulses: number }
  | { protocol: 'mdi'; link: MdiLink; params: MdiParams; pulses: number }
  | { protocol: 'bbm92'; link: Bbm92Link; lambda: number; qX: number; pulses: number };

export interface Moments { mean: number; sd: number }
export interface KeySpread { draws: number; lSift: Moments; eB: Moments; lSec: Moments }

/** One class count and its errors, as another seed would draw them. */
function draw(rng: Rng, pulses: number, n: number, m: number): [number, number] {
  const k = n > 0 ? sampleBinomial(rng, pulses, Math.min(1, n / pulses)) : 0;
  return [k, k > 0 && m > 0 ? sampleBinomial(rng, k, Math.min(1, m / n)) : 0];
}

/** The link of one run when the misalignment itself varies from run to run (calibration residuals). */
function jitter<T extends { eMis: number }>(link: T, sd: number, rng: Rng): T {
  if (!(sd > 0)) return link;
  const u = Math.max(rng.nextDouble(), 1e-300), v = rng.nextDouble();
  return { ...link, eMis: Math.min(0.5, Math.max(0, link.eMis + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))) };
}

function oneDraw(x0: SpreadInput, rng: Rng, eMisSd: number): { lSift: number; eB: number; lSec: number } {
  const x = { ...x0, link: jitter(x0.link, eMisSd, rng) } as SpreadInput;
  if (x.protocol === 'bb84') {
    const e = bb84ExpectedCounts(x.source, x.link, x.pulses);
    const c: Bb84Counts = { nX: {} as Record<Intensity, number>, mX: {} as Record<Intensity, number>, nZ: {} as Record<Intensity, number>, mZ: {} as Record<Intensity, number>, pulses: x.pulses };
    for (const k of INTENSITIES) {
      [c.nX[k], c.mX[k]] = draw(rng, x.pulses, e.nX[k], e.mX[k]);
      [c.nZ[k], c.mZ[k]] = draw(rng, x.pulses, e.nZ[k], e.mZ[k]);
    }
    const n = INTENSITIES.reduce((s, k) => s + c.nX[k], 0), q = n > 0 ? INTENSITIES.reduce((s, k) => s + c.mX[k], 0) / n : 0;
    const r = bb84EstimateFromCounts(c, { source: x.source, leakEC: expectedLeak(n, q, 'none') });
    return { lSift: n, eB: q, lSec: r.secretBits };
  }
  if (x.protocol === 'mdi') {
    const e = mdiExpectedCounts(x.link, x.params, x.pulses);
    const c: MdiCounts = { pulses: x.pulses, n: {}, m: {} };
    for (const k of Object.keys(e.n) as Array<keyof MdiCounts['n']>) [c.n[k], c.m[k]] = draw(rng, x.pulses, e.n[k] ?? 0, e.m[k] ?? 0);
    const n = c.n['s-s'] ?? 0, q = n > 0 ? (c.m['s-s'] ?? 0) / n : 0;
    const r = mdiEstimateFromCounts(c, x.params, { leakEC: expectedLeak(n, q, 'sample') });
    return { lSift: n, eB: q, lSec: r.secretBits };
  }
  const { gain, qber } = bbm92GainQber(x.lambda, x.link);
  const [nX, mX] = draw(rng, x.pulses, x.pulses * x.qX * x.qX * gain, x.pulses * x.qX * x.qX * gain * qber);
  const [nZ, mZ] = draw(rng, x.pulses, x.pulses * (1 - x.qX) ** 2 * gain, x.pulses * (1 - x.qX) ** 2 * gain * qber);
  const q = nX > 0 ? mX / nX : 0;
  const r = bbm92FromCounts({ nX, mX, nZ, mZ }, expectedLeak(nX, q, 'sample'), x.pulses, { lambda: x.lambda, qX: x.qX });
  return { lSift: nX, eB: q, lSec: r.secretBits };
}

const moments = (xs: number[]): Moments => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0 };
};

/** Mean and standard deviation over `draws` runs of the same session (seeded: reproducible).
 *  `eMisSd`: run-to-run standard deviation of the misalignment (the participants' calibration
 *  residuals, actors/node/devices.ts residualSdOf), drawn as a normal deviation per run. */
export function keySpread(x: SpreadInput, draws = 40, seed: number | string = 'key-spread', eMisSd = 0): KeySpread {
  const rng = createRng(seed);
  const out = Array.from({ length: draws }, () => oneDraw(x, rng, eMisSd));
  return { draws, lSift: moments(out.map((o) => o.lSift)), eB: moments(out.map((o) => o.eB)), lSec: moments(out.map((o) => o.lSec)) };
}
