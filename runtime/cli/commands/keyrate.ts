// `hetqn keyrate bb84|mdi|bbm92|sweep`: finite-key predictions from device + channel parameters.
// Prints one KeyRateResult-based JSON object with --json. Physics lives in protocols/keyrate.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { withExample } from '../help.ts';
import type { KeyRateResult } from '../../../protocols/keyrate/types.ts';
import { bb84Predict } from '../../../protocols/keyrate/bb84-lim.ts';
import { bb84Optimise } from '../../../protocols/keyrate/bb84-optimise.ts';
import { bbm92Optimise, bbm92Predict } from '../../../protocols/keyrate/bbm92.ts';
import { mdiOptimise, mdiPredict } from '../../../protocols/keyrate/mdi.ts';
import { lookupParams, type ParamTable } from '../../../protocols/keyrate/param-table.ts';
import { fibreTransmittance, fibreLossDb } from '../../../protocols/physics/channel.ts';
import { mdiLinkFromFibres } from '../../../protocols/physics/mdi-model.ts';
import type { Bb84SourceParams } from '../../../protocols/physics/bb84-model.ts';
import { registerTf } from './keyrate-tf.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_TABLE = path.join(REPO, 'infra/params/optimal-params.json');

interface Opts {
  lengthKm?: string; lengthAKm?: string; lengthBKm?: string; seconds: string; rateHz: string; etaDet: string; dark: string;
  misalignment: string; f: string; afterpulse: string; extraLossDb: string; alpha: string; qxBob: string; visibility: string;
  epsSec: string; epsCor: string; optimise?: boolean; table?: string; json?: boolean;
  mu1?: string; mu2?: string; mu3: string; pMu1?: string; pMu2?: string; qx?: string; lambda?: string;
}

function loadTable(file: string | undefined): ParamTable | undefined {
  const f = file ?? DEFAULT_TABLE;
  if (!fs.existsSync(f)) { if (file) throw new CliError(`--table: file ${file} not found`); return undefined; }
  try { return JSON.parse(fs.readFileSync(f, 'utf8')) as ParamTable; } catch (e) { throw new CliError(`--table: ${f} is not valid JSON: ${(e as Error).message}`); }
}

function common(o: Opts) {
  const num = (name: string, v: string | undefined, opt: Parameters<typeof parseNumber>[2] = {}) => parseNumber(name, v, opt);
  const seconds = num('seconds', o.seconds, { min: 0 })!;
  const rateHz = num('rate-hz', o.rateHz, { min: 1 })!;
  const pulses = seconds * rateHz;
  if (!(pulses >= 1)) throw new CliError('--seconds: seconds x rate-hz must give at least one pulse');
  return {
    pulses, seconds, rateHz,
    etaDet: num('eta-det', o.etaDet, { min: 0, max: 1 })!,
    dark: num('dark', o.dark, { min: 0, max: 0.5 })!,
    eMis: num('misalignment', o.misalignment, { min: 0, max: 0.5 })!,
    f: num('f', o.f, { min: 1, max: 3 })!,
    afterpulse: num('afterpulse', o.afterpulse, { min: 0, max: 1 })!,
    extraLossDb: num('extra-loss-db', o.extraLossDb, { min: 0 })!,
    alpha: num('alpha', o.alpha, { min: 0 })!,
    qXBob: num('qx-bob', o.qxBob, { min: 0.01, max: 0.99 }),
    visibility: num('visibility', o.visibility, { min: 0, max: 1 })!,
    eps: { epsSec: num('eps-sec', o.epsSec, { min: 1e-300, max: 1 })!, epsCor: num('eps-cor', o.epsCor, { min: 1e-300, max: 1 })! },
  };
}

function lengths(o: Opts, protocol: string): { a: number; b: number; total: number } {
  const L = parseNumber('length-km', o.lengthKm, { min: 0 });
  const La = parseNumber('length-a-km', o.lengthAKm, { min: 0 });
  const Lb = parseNumber('length-b-km', o.lengthBKm, { min: 0 });
  if (L !== undefined && (La !== undefined || Lb !== undefined)) throw new CliError('--length-km: give either --length-km or --length-a-km/--length-b-km, not both');
  if (L !== undefined) return protocol === 'bb84' ? { a: L, b: 0, total: L } : { a: L / 2, b: L / 2, total: L };
  if (La === undefined || Lb === undefined) throw new CliError(`--length-km: required (or both --length-a-km and --length-b-km)`);
  if (protocol === 'bb84') throw new CliError('--length-a-km: bb84 has one link, use --length-km');
  return { a: La, b: Lb, total: La + Lb };
}

export function runKeyrate(protocol: string, o: Opts): KeyRateResult & Record<string, unknown> {
  const c = common(o);
  const L = lengths(o, protocol);
  const table = o.optimise ? undefined : loadTable(o.table);
  const extra = { seconds: c.seconds, rateHz: c.rateHz, lengthAKm: L.a, lengthBKm: L.b, lossDb: fibreLossDb(L.total, c.alpha, c.extraLossDb) };
  if (protocol === 'bb84') {
    const link = { etaCh: fibreTransmittance(L.a, c.alpha, c.extraLossDb), etaDet: c.etaDet, pDark: c.dark, pAfterpulse: c.afterpulse, eMis: c.eMis };
    const qXBob = c.qXBob ?? 0.5;
    const mu3 = parseNumber('mu3', o.mu3, { min: 0 })!;
    if (o.optimise) return { ...bb84Optimise({ link, f: c.f, pulses: c.pulses, eps: c.eps, mu3, qXBob }), ...extra, paramsSource: 'optimised' };
    const explicit = [o.mu1, o.mu2, o.pMu1, o.pMu2, o.qx].some(v => v !== undefined);
    const fromTable = !explicit && table ? lookupParams(table, 'bb84', extra.lossDb, c.pulses)?.params : undefined;
    const base = fromTable ?? { qX: 0.9, mu1: 0.5, mu2: 0.1, pMu1: 0.8, pMu2: 0.15 };
    const source: Bb84SourceParams = {
      qX: parseNumber('qx', o.qx, { min: 0.01, max: 0.99 }) ?? base.qX,
      mu1: parseNumber('mu1', o.mu1, { min: 0 }) ?? base.mu1,
      mu2: parseNumber('mu2', o.mu2, { min: 0 }) ?? base.mu2,
      mu3,
      pMu1: parseNumber('p-mu1', o.pMu1, { min: 0, max: 1 }) ?? base.pMu1,
      pMu2: parseNumber('p-mu2', o.pMu2, { min: 0, max: 1 }) ?? base.pMu2,
      qXBob,
    };
    return { ...bb84Predict({ link, source, pulses: c.pulses, f: c.f, eps: c.eps }), ...extra, paramsSource: explicit ? 'explicit' : fromTable ? 'table' : 'default' };
  }
  if (protocol === 'bbm92') {
    const link = { etaA: fibreTransmittance(L.a, c.alpha, c.extraLossDb / 2) * c.etaDet, etaB: fibreTransmittance(L.b, c.alpha, c.extraLossDb / 2) * c.etaDet, pDark: c.dark, eMis: c.eMis };
    if (o.optimise) return { ...bbm92Optimise({ link, pulses: c.pulses, f: c.f, eps: c.eps }), ...extra, paramsSource: 'optimised' };
    const lambda = parseNumber('lambda', o.lambda, { min: 0 }) ?? (table ? lookupParams(table, 'bbm92', extra.lossDb, c.pulses)?.params.lambda : undefined) ?? 0.02;
    const qX = parseNumber('qx', o.qx, { min: 0.01, max: 0.99 }) ?? 0.5;
    return { ...bbm92Predict({ link, lambda, qX, pulses: c.pulses, f: c.f, eps: c.eps }), ...extra };
  }
  if (protocol === 'mdi') {
    const link = mdiLinkFromFibres({ lengthAKm: L.a, lengthBKm: L.b, etaDet: c.etaDet, pDark: c.dark, eMis: c.eMis, visibility: c.visibility, alphaDbPerKm: c.alpha, extraLossADb: c.extraLossDb / 2, extraLossBDb: c.extraLossDb / 2 });
    const security = { epsPE: c.eps.epsSec, epsCor: c.eps.epsCor };
    if (o.optimise) return { ...mdiOptimise({ link, pulses: c.pulses, f: c.f, security, symmetric: L.a === L.b }), ...extra, paramsSource: 'optimised' };
    const t = table ? lookupParams(table, 'mdi', extra.lossDb, c.pulses)?.params : undefined;
    const side = (S: 'A' | 'B') => t ? { s: t[`s${S}`], mu: t[`mu${S}`], nu: t[`nu${S}`], pS: t[`pS${S}`], pMu: t[`pMu${S}`], pNu: t[`pNu${S}`] } : { s: 0.3, mu: 0.2, nu: 0.02, pS: 0.6, pMu: 0.1, pNu: 0.2 };
    return { ...mdiPredict({ link, pulses: c.pulses, params: { a: side('A'), b: side('B') }, f: c.f, security }), ...extra, paramsSource: t ? 'table' : 'default' };
  }
  throw new CliError(`protocol: expected bb84, mdi or bbm92, got "${protocol}"`);
}

function human(r: KeyRateResult): string {
  const p = Object.entries(r.params).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' ');
  return [
    `${r.protocol}: N=${r.pulses.toExponential(3)} pulses`,
    `  params: ${p}`,
    `  sifted ${Math.round(r.siftedBits)}  QBER ${(100 * r.qber).toFixed(3)} %  phase-error bound ${(100 * r.phaseErrorBound).toFixed(3)} %`,
    `  secret bits ${r.secretBits}  (${r.secretBitsPerPulse.toExponential(3)} per pulse)${r.reason ? `  [${r.reason}]` : ''}`,
  ].join('\n');
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--length-km <km>', 'link length (bb84), or total length split evenly (mdi, bbm92)')
    .option('--length-a-km <km>', 'length from A to the relay/source (mdi, bbm92)')
    .option('--length-b-km <km>', 'length from B to the relay/source (mdi, bbm92)')
    .option('--seconds <s>', 'acquisition time', '10')
    .option('--rate-hz <hz>', 'repetition rate', '1e9')
    .option('--eta-det <eta>', 'detector efficiency', '0.2')
    .option('--dark <p>', 'dark-count probability per gate', '1e-6')
    .option('--misalignment <e>', 'misalignment error e_mis / e_d', '0.01')
    .option('--f <f>', 'error-correction inefficiency', '1.16')
    .option('--afterpulse <p>', 'afterpulse probability (bb84)', '0')
    .option('--extra-loss-db <db>', 'extra component loss (dB)', '0')
    .option('--alpha <dB/km>', 'fibre attenuation', '0.2')
    .option('--qx-bob <q>', "receiver's X-basis probability (bb84; default 0.5, passive)")
    .option('--visibility <v>', 'HOM visibility (mdi)', '1')
    .option('--eps-sec <e>', 'secrecy parameter', '1e-10')
    .option('--eps-cor <e>', 'correctness parameter', '1e-15')
    .option('--mu1 <mu>').option('--mu2 <mu>').option('--mu3 <mu>', 'weakest decoy (bb84)', '2e-4')
    .option('--p-mu1 <p>').option('--p-mu2 <p>').option('--qx <q>', "sender's X-basis probability")
    .option('--lambda <l>', 'SPDC mean pair number / 2 (bbm92)')
    .option('--optimise', 'optimise the source parameters for this link')
    .option('--table <file>', 'optimal-parameter table (default infra/params/optimal-params.json)')
    .option('--json', 'print one JSON object');
}

const KEYRATE_EXAMPLES: Record<string, string[]> = {
  bb84: ['hetqn keyrate bb84 --length-km 35.3 --seconds 2 --misalignment 0.0087 --f 1.138 --optimise   # D-A of the paper: ~5.9 Mbit'],
  mdi: ['hetqn keyrate mdi --length-a-km 30 --length-b-km 20 --seconds 1000 --optimise'],
  bbm92: ['hetqn keyrate bbm92 --length-km 40 --seconds 10 --optimise'],
};

export function register(program: Command): void {
  const kr = program.command('keyrate').description('finite-key secret key predictions (decoy BB84, MDI, BBM92, SNS-TF)');
  registerTf(kr);
  for (const protocol of ['bb84', 'mdi', 'bbm92']) {
    withExample(addCommon(kr.command(protocol).description(`${protocol} finite-key prediction`)), KEYRATE_EXAMPLES[protocol]!).action((o: Opts) => {
      // Optimisation takes seconds (MDI: a few); say so rather than wait in silence.
      if (o.optimise) progress(`${protocol}: optimising the source parameters (finite key)...`);
      const r = runKeyrate(protocol, o);
      printResult(o, r, () => human(r));
    });
  }
  withExample(addCommon(kr.command('sweep').description('optimised key rate vs distance, and where each protocol stops')), ['hetqn keyrate sweep --protocols bb84,mdi --seconds 1000 --to-km 200 --step-km 20'])
    .option('--protocols <list>', 'comma-separated protocols', 'bb84,mdi')
    .option('--from-km <km>', 'first length', '0').option('--to-km <km>', 'last length', '300').option('--step-km <km>', 'step', '10')
    .action((o: Opts & { protocols: string; fromKm: string; toKm: string; stepKm: string }) => {
      const from = parseNumber('from-km', o.fromKm, { min: 0 })!, to = parseNumber('to-km', o.toKm, { min: 0 })!, step = parseNumber('step-km', o.stepKm, { min: 0.1 })!;
      const protocols = o.protocols.split(',').map(s => s.trim());
      for (const p of protocols) if (!['bb84', 'mdi', 'bbm92'].includes(p)) throw new CliError(`--protocols: unknown protocol "${p}"`);
      const rows: Array<Record<string, number | string>> = [];
      const lastKeyKm: Record<string, number | null> = {};
      const stopKm: Record<string, number | null> = {};
      for (const p of protocols) {
        lastKeyKm[p] = null;
        for (let L = from; L <= to + 1e-9; L += step) {
          progress(`${p} ${L} km`);
          const r = runKeyrate(p, { ...o, lengthKm: String(L), lengthAKm: undefined, lengthBKm: undefined, optimise: true });
          rows.push({ protocol: p, lengthKm: L, lossDb: Number((r.lossDb as number).toFixed(3)), secretBitsPerPulse: r.secretBitsPerPulse, secretBitsPerSecond: r.secretBitsPerPulse * (r.rateHz as number), secretBits: r.secretBits, qber: r.qber, phaseErrorBound: r.phaseErrorBound });
          if (r.secretBits > 0) lastKeyKm[p] = L; else if (lastKeyKm[p] !== null) break;
        }
        // Refine where the key stops, by bisection between the last length with a key and the next.
        const last = lastKeyKm[p];
        if (last !== null && last + step <= to + 1e-9) {
          let lo = last, hi = last + step;
          while (hi - lo > 0.5) {
            const mid = (lo + hi) / 2;
            progress(`${p} stop search ${mid.toFixed(2)} km`);
            if (runKeyrate(p, { ...o, lengthKm: String(mid), lengthAKm: undefined, lengthBKm: undefined, optimise: true }).secretBits > 0) lo = mid; else hi = mid;
          }
          stopKm[p] = Number(lo.toFixed(2));
        } else stopKm[p] = last;
      }
      const c = common(o);
      const result = { assumptions: { seconds: c.seconds, rateHz: c.rateHz, pulses: c.pulses, etaDet: c.etaDet, dark: c.dark, misalignment: c.eMis, f: c.f, afterpulse: c.afterpulse, visibility: c.visibility, qXBob: c.qXBob ?? 0.5, alphaDbPerKm: c.alpha, epsSec: c.eps.epsSec, epsCor: c.eps.epsCor }, stopKm, lastKeyKm, stepKm: step, rows };
      printResult(o, result, () => [...rows.map(r => `${r.protocol}\t${r.lengthKm} km\t${(r.secretBitsPerPulse as number).toExponential(3)} bit/pulse`), `keys stop at (km): ${JSON.stringify(stopKm)}`].join('\n'));
    });
}
