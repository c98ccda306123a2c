// `hetqn keyrate tf` and `hetqn keyrate tf-sweep`: SNS-TF-QKD key from device + channel values,
// and the optimised key-rate-vs-distance table beside the PLOB bound. Physics in protocols/qkd/tf.
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { withExample } from '../help.ts';
import {
  balanceArms, plobBoundFibre, tfKeyRate, tfKeyRateVsDistance, tfLinkFromFibres, tfMaxDistanceKm, tfOptimise, tfPlobCrossingKm, checkTfParams,
  type TfDistanceInput, type TfParams,
} from '../../../protocols/qkd/tf/index.ts';

interface TfOpts {
  lengthKm?: string; lengthAKm?: string; lengthBKm?: string; seconds: string; rateHz: string; etaDet: string; dark: string;
  misalignment: string; f: string; alpha: string; extraLossDb: string; eps: string; phaseSliceDeg: string; asymptotic?: boolean; balanceArms?: boolean; json?: boolean;
  epsilon?: string; muZ?: string; mu1?: string; mu2?: string; pZ?: string; p0?: string; p1?: string;
}

function devices(o: TfOpts) {
  const seconds = parseNumber('seconds', o.seconds, { min: 0 })!;
  const rateHz = parseNumber('rate-hz', o.rateHz, { min: 1 })!;
  const pulses = seconds * rateHz;
  if (!o.asymptotic && !(pulses >= 1)) throw new CliError('--seconds: seconds x rate-hz must give at least one window');
  const eps = parseNumber('eps', o.eps, { min: 1e-300, max: 0.5 })!;
  return {
    seconds, rateHz, pulses, finite: !o.asymptotic,
    etaDet: parseNumber('eta-det', o.etaDet, { min: 0, max: 1 })!,
    pDark: parseNumber('dark', o.dark, { min: 0, max: 0.5 })!,
    eMis: parseNumber('misalignment', o.misalignment, { min: 0, max: 0.5 })!,
    f: parseNumber('f', o.f, { min: 1, max: 3 })!,
    alphaDbPerKm: parseNumber('alpha', o.alpha, { min: 0 })!,
    extraLossDb: parseNumber('extra-loss-db', o.extraLossDb, { min: 0 })!,
    phaseSlice: (parseNumber('phase-slice-deg', o.phaseSliceDeg, { min: 0.1, max: 180 })! * Math.PI) / 180,
    security: { epsPE: eps, epsCor: eps, epsPA: eps, epsSmooth: eps },
  };
}

function explicitParams(o: TfOpts): TfParams | undefined {
  const names = ['epsilon', 'muZ', 'mu1', 'mu2', 'pZ', 'p0', 'p1'] as const;
  const flags: Record<(typeof names)[number], string> = { epsilon: 'epsilon', muZ: 'mu-z', mu1: 'mu1', mu2: 'mu2', pZ: 'p-z', p0: 'p0', p1: 'p1' };
  const given = names.filter((k) => o[k] !== undefined);
  if (given.length === 0) return undefined;
  const missing = names.filter((k) => o[k] === undefined);
  if (missing.length > 0) throw new CliError(`--${flags[missing[0]]}: give all of --epsilon --mu-z --mu1 --mu2 --p-z --p0 --p1, or none (then they are optimised)`);
  const p = Object.fromEntries(names.map((k) => [k, parseNumber(flags[k], o[k], { min: 0, max: 1 })!])) as unknown as TfParams;
  const bad = checkTfParams(p);
  if (bad) {
    const first = bad.split(/[ ,]/)[0] as keyof typeof flags;
    throw new CliError(`--${flags[first] ?? (first === ('need' as string) ? 'mu2' : 'p1')}: ${bad}`);
  }
  return p;
}

export function runTf(o: TfOpts) {
  const d = devices(o);
  const L = parseNumber('length-km', o.lengthKm, { min: 0 });
  const La = parseNumber('length-a-km', o.lengthAKm, { min: 0 }), Lb = parseNumber('length-b-km', o.lengthBKm, { min: 0 });
  if (L !== undefined && (La !== undefined || Lb !== undefined)) throw new CliError('--length-km: give either --length-km or --length-a-km/--length-b-km, not both');
  if (L === undefined && (La === undefined || Lb === undefined)) throw new CliError('--length-km: required (or both --length-a-km and --length-b-km)');
  const a = L !== undefined ? L / 2 : La!, b = L !== undefined ? L / 2 : Lb!;
  const fibres = tfLinkFromFibres({ lengthAKm: a, lengthBKm: b, etaDet: d.etaDet, pDark: d.pDark, eMis: d.eMis, alphaDbPerKm: d.alphaDbPerKm, extraLossADb: d.extraLossDb / 2, extraLossBDb: d.extraLossDb / 2, phaseSlice: d.phaseSlice });
  const link = o.balanceArms ? balanceArms(fibres) : fibres;
  const params = explicitParams(o);
  const r = params
    ? tfKeyRate({ link, params, pulses: d.pulses, f: d.f, finite: d.finite, security: d.security })
    : tfOptimise({ link, pulses: d.pulses, f: d.f, finite: d.finite, security: d.security });
  const plob = plobBoundFibre(a + b, d.alphaDbPerKm, d.extraLossDb);
  return {
    ...r, seconds: d.seconds, rateHz: d.rateHz, lengthAKm: a, lengthBKm: b, lossDb: d.alphaDbPerKm * (a + b) + d.extraLossDb,
    finite: d.finite, secretBitsPerSecond: r.secretBitsPerPulse * d.rateHz, plobBitsPerPulse: plob, abovePlob: r.secretBitsPerPulse > plob,
    paramsSource: params ? 'explicit' : 'optimised',
  };
}

function human(r: ReturnType<typeof runTf>): string {
  const p = Object.entries(r.params).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' ');
  return [
    `tf (SNS-TF-QKD, ${r.finite ? `finite key, N=${r.pulses.toExponential(3)} windows` : 'asymptotic'}): ${r.lengthAKm} + ${r.lengthBKm} km, ${r.lossDb} dB`,
    `  params (${r.paramsSource}): ${p}`,
    `  Z-window events ${r.siftedBits.toExponential(3)}  E_z ${(100 * r.qber).toFixed(3)} %  phase-error bound ${(100 * r.phaseErrorBound).toFixed(3)} %`,
    `  key ${r.secretBitsPerPulse.toExponential(3)} bit/window (${r.secretBitsPerSecond.toExponential(3)} bit/s)  PLOB ${r.plobBitsPerPulse.toExponential(3)}  ${r.abovePlob ? 'ABOVE PLOB' : 'below PLOB'}${r.reason ? `  [${r.reason}]` : ''}`,
  ].join('\n');
}

function addTfOptions(cmd: Command): Command {
  return cmd
    .option('--seconds <s>', 'acquisition time (N = seconds x rate-hz windows)', '1000')
    .option('--rate-hz <hz>', 'window (pulse) rate', '1e9')
    .option('--eta-det <eta>', "relay's detector efficiency", '0.3')
    .option('--dark <p>', 'dark-count probability per detector per window', '1e-10')
    .option('--misalignment <e>', 'single-photon interference misalignment e_d', '0.03')
    .option('--f <f>', 'error-correction inefficiency', '1.1')
    .option('--alpha <dB/km>', 'fibre attenuation', '0.2')
    .option('--extra-loss-db <db>', 'extra component loss, split between the arms (dB)', '0')
    .option('--eps <e>', 'failure probability of each estimate, eps_cor, eps_PA, eps^', '1e-10')
    .option('--phase-slice-deg <deg>', 'phase-slice width for the X1 windows (degrees)', '22.5')
    .option('--asymptotic', 'asymptotic rate (Wang-Yu-Hu 2018) instead of the finite key')
    .option('--json', 'print one JSON object');
}

export function registerTf(kr: Command): void {
  withExample(addTfOptions(kr.command('tf').description('sending-or-not-sending twin-field QKD through an untrusted relay (optimised unless all source values are given)')), [
    'hetqn keyrate tf --length-km 400 --json',
    'hetqn keyrate tf --length-km 300 --asymptotic',
  ])
    .option('--length-km <km>', 'total length, relay in the middle')
    .option('--length-a-km <km>').option('--length-b-km <km>')
    .option('--balance-arms', 'attenuate the shorter arm at the relay to the longer one (unequal arms)')
    .option('--epsilon <e>', 'sending probability').option('--mu-z <mu>').option('--mu1 <mu>').option('--mu2 <mu>')
    .option('--p-z <p>', 'Z-window probability').option('--p0 <p>', 'vacuum probability in X windows').option('--p1 <p>', 'mu1 probability in X windows')
    .action((o: TfOpts) => {
      progress('tf: computing the key (optimising the source values unless given)...');
      const r = runTf(o);
      printResult(o, r, () => human(r));
    });

  withExample(addTfOptions(kr.command('tf-sweep').description('optimised SNS-TF key vs distance beside the PLOB bound; where it passes PLOB and where keys stop')), [
    'hetqn keyrate tf-sweep --from-km 0 --to-km 700 --step-km 50',
  ])
    .option('--from-km <km>', 'first length', '0').option('--to-km <km>', 'last length', '700').option('--step-km <km>', 'step', '50')
    .action((o: TfOpts & { fromKm: string; toKm: string; stepKm: string }) => {
      const d = devices(o);
      const from = parseNumber('from-km', o.fromKm, { min: 0 })!, to = parseNumber('to-km', o.toKm, { min: 0 })!, step = parseNumber('step-km', o.stepKm, { min: 0.1 })!;
      if (to < from) throw new CliError('--to-km: must be >= --from-km');
      const input: TfDistanceInput = { etaDet: d.etaDet, pDark: d.pDark, eMis: d.eMis, pulses: d.pulses, finite: d.finite, f: d.f, alphaDbPerKm: d.alphaDbPerKm, extraLossADb: d.extraLossDb / 2, extraLossBDb: d.extraLossDb / 2, phaseSlice: d.phaseSlice, security: d.security };
      const lengths: number[] = [];
      for (let L = from; L <= to + 1e-9; L += step) lengths.push(Number(L.toFixed(6)));
      progress(`tf: optimising ${lengths.length} lengths...`);
      const rows = tfKeyRateVsDistance(input, lengths).map((r) => ({ ...r, secretBitsPerSecond: r.secretBitsPerPulse * d.rateHz }));
      const keyed = rows.filter((r) => r.secretBits > 0);
      const last = keyed.length ? keyed[keyed.length - 1].lengthKm : null;
      progress('tf: refining where keys stop and where the key passes PLOB...');
      const stopKm = last === null ? null : last + step > to ? last : Number(tfMaxDistanceKm(input, last, last + step, 0.5).toFixed(1));
      const firstAbove = rows.findIndex((r) => r.abovePlob);
      const crossing = firstAbove <= 0 ? (firstAbove === 0 ? rows[0].lengthKm : null) : tfPlobCrossingKm(input, rows[firstAbove - 1].lengthKm, rows[firstAbove].lengthKm, step, 0.5);
      const plobCrossingKm = crossing === null ? null : Number(crossing.toFixed(1));
      const result = {
        protocol: 'tf', finite: d.finite, assumptions: { seconds: d.seconds, rateHz: d.rateHz, pulses: d.finite ? d.pulses : null, etaDet: d.etaDet, dark: d.pDark, misalignment: d.eMis, f: d.f, alphaDbPerKm: d.alphaDbPerKm, extraLossDb: d.extraLossDb, eps: d.security.epsPE, phaseSliceRad: d.phaseSlice },
        stopKm, plobCrossingKm, stepKm: step, rows,
      };
      printResult(o, result, () => [
        'length_km  loss_dB  key_bit/window  key_bit/s     PLOB_bit/use  vs PLOB',
        ...rows.map((r) => `${String(r.lengthKm).padStart(9)}  ${r.lossDb.toFixed(1).padStart(7)}  ${r.secretBitsPerPulse.toExponential(3).padStart(14)}  ${r.secretBitsPerSecond.toExponential(3).padStart(10)}  ${r.plobBitsPerPulse.toExponential(3).padStart(12)}  ${r.secretBits > 0 ? (r.abovePlob ? 'ABOVE' : 'below') : 'no key'}`),
        `passes PLOB from ${plobCrossingKm ?? '-'} km; keys stop at ${stopKm ?? '-'} km`,
      ].join('\n'));
    });
}
