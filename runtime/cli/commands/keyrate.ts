// `hetqn keyrate <protocol>|sweep`: finite-key predictions from device + channel parameters, one
// subcommand per registry protocol (its flags and prediction: protocols/qkd/<name>/cli.ts).
// Prints one KeyRateResult-based JSON object with --json. Physics lives in protocols/keyrate.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { withExample } from '../help.ts';
import type { KeyRateResult } from '../../../protocols/keyrate/types.ts';
import type { ParamTable } from '../../../protocols/keyrate/param-table.ts';
import type { QkdProtocol } from '../../../protocols/qkd/descriptor.ts';
import { PROTOCOL_NAMES, PROTOCOLS, protocolNamed } from '../../../protocols/qkd/registry.ts';
import { fibreLossDb } from '../../../protocols/physics/channel.ts';
import { registerTf } from './keyrate-tf.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_TABLE = path.join(REPO, 'infra/params/optimal-params.json');

/** The shared flags (commander camelCase); each protocol's own flags arrive by their names too. */
type Opts = {
  lengthKm?: string; lengthAKm?: string; lengthBKm?: string; seconds: string; rateHz: string; etaDet: string; dark: string;
  misalignment: string; f: string; extraLossDb: string; alpha: string; epsSec: string; epsCor: string; optimise?: boolean; table?: string; json?: boolean;
} & Record<string, string | boolean | undefined>;

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
    extraLossDb: num('extra-loss-db', o.extraLossDb, { min: 0 })!,
    alpha: num('alpha', o.alpha, { min: 0 })!,
    eps: { epsSec: num('eps-sec', o.epsSec, { min: 1e-300, max: 1 })!, epsCor: num('eps-cor', o.epsCor, { min: 1e-300, max: 1 })! },
  };
}

function lengths(o: Opts, p: QkdProtocol): { a: number; b: number; total: number } {
  const L = parseNumber('length-km', o.lengthKm, { min: 0 });
  const La = parseNumber('length-a-km', o.lengthAKm, { min: 0 });
  const Lb = parseNumber('length-b-km', o.lengthBKm, { min: 0 });
  if (L !== undefined && (La !== undefined || Lb !== undefined)) throw new CliError('--length-km: give either --length-km or --length-a-km/--length-b-km, not both');
  const one = p.keyrateCli.links === 'one';
  if (L !== undefined) return one ? { a: L, b: 0, total: L } : { a: L / 2, b: L / 2, total: L };
  if (La === undefined || Lb === undefined) throw new CliError(`--length-km: required (or both --length-a-km and --length-b-km)`);
  if (one) throw new CliError(`--length-a-km: ${p.name} has one link, use --length-km`);
  return { a: La, b: Lb, total: La + Lb };
}

/** camelCase key commander gives a flag ('p-mu1' -> pMu1). */
const flagKey = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function runKeyrate(protocol: string, o: Opts): KeyRateResult & Record<string, unknown> {
  const p = protocolNamed(protocol);
  if (!p) throw new CliError(`protocol: expected ${PROTOCOL_NAMES.join(', ')}, got "${protocol}"`);
  const c = common(o);
  const L = lengths(o, p);
  const table = o.optimise ? undefined : loadTable(o.table);
  const extra = { seconds: c.seconds, rateHz: c.rateHz, lengthAKm: L.a, lengthBKm: L.b, lossDb: fibreLossDb(L.total, c.alpha, c.extraLossDb) };
  const r = p.keyrateCli.run({
    lengthAKm: L.a, lengthBKm: L.b, alphaDbPerKm: c.alpha, extraLossDb: c.extraLossDb, etaDet: c.etaDet, pDark: c.dark, eMis: c.eMis, f: c.f,
    pulses: c.pulses, eps: c.eps, optimise: !!o.optimise, ...(table ? { table } : {}), lossDb: extra.lossDb,
    num: (flag, range = {}) => parseNumber(flag, o[flagKey(flag)] as string | undefined, range),
    given: (flag) => o[flagKey(flag)] !== undefined,
  });
  return { ...r, ...extra };
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

function addCommon(cmd: Command, own: Array<[string, string, string?]>): Command {
  cmd
    .option('--length-km <km>', 'link length (one-link protocols), or total length split evenly (two-link)')
    .option('--length-a-km <km>', 'length from A to the relay/source (two-link protocols)')
    .option('--length-b-km <km>', 'length from B to the relay/source (two-link protocols)')
    .option('--seconds <s>', 'acquisition time', '10')
    .option('--rate-hz <hz>', 'repetition rate', '1e9')
    .option('--eta-det <eta>', 'detector efficiency', '0.2')
    .option('--dark <p>', 'dark-count probability per gate', '1e-6')
    .option('--misalignment <e>', 'misalignment error e_mis / e_d', '0.01')
    .option('--f <f>', 'error-correction inefficiency', '1.16')
    .option('--extra-loss-db <db>', 'extra component loss (dB)', '0')
    .option('--alpha <dB/km>', 'fibre attenuation', '0.2')
    .option('--eps-sec <e>', 'secrecy parameter', '1e-10')
    .option('--eps-cor <e>', 'correctness parameter', '1e-15')
    .option('--optimise', 'optimise the source parameters for this link')
    .option('--table <file>', 'optimal-parameter table (default infra/params/optimal-params.json)')
    .option('--json', 'print one JSON object');
  // The protocol's own flags (the sweep takes every protocol's, each flag once).
  const seen = new Set<string>();
  for (const [flags, description, def] of own) {
    const name = flags.split(' ')[0]!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (def === undefined) cmd.option(flags, description); else cmd.option(flags, description, def);
  }
  return cmd;
}

export function register(program: Command): void {
  const kr = program.command('keyrate').description(`finite-key secret key predictions (${PROTOCOLS.map((p) => p.title).join(', ')}, SNS-TF)`);
  registerTf(kr);
  for (const { name: protocol, title, keyrateCli } of PROTOCOLS as readonly QkdProtocol[]) {
    withExample(addCommon(kr.command(protocol).description(`${title} finite-key prediction`), keyrateCli.options), keyrateCli.examples).action((o: Opts) => {
      // Optimisation takes seconds (MDI: a few); say so rather than wait in silence.
      if (o.optimise) progress(`${protocol}: optimising the source parameters (finite key)...`);
      const r = runKeyrate(protocol, o);
      printResult(o, r, () => human(r));
    });
  }
  withExample(addCommon(kr.command('sweep').description('optimised key rate vs distance, and where each protocol stops'), (PROTOCOLS as readonly QkdProtocol[]).flatMap((p) => p.keyrateCli.options)), ['hetqn keyrate sweep --protocols bb84,mdi --seconds 1000 --to-km 200 --step-km 20'])
    .option('--protocols <list>', 'comma-separated protocols', 'bb84,mdi')
    .option('--from-km <km>', 'first length', '0').option('--to-km <km>', 'last length', '300').option('--step-km <km>', 'step', '10')
    .action((o: Opts & { protocols: string; fromKm: string; toKm: string; stepKm: string }) => {
      const from = parseNumber('from-km', o.fromKm, { min: 0 })!, to = parseNumber('to-km', o.toKm, { min: 0 })!, step = parseNumber('step-km', o.stepKm, { min: 0.1 })!;
      const protocols = o.protocols.split(',').map(s => s.trim());
      for (const p of protocols) if (!protocolNamed(p)) throw new CliError(`--protocols: unknown protocol "${p}" (known: ${PROTOCOL_NAMES.join(', ')})`);
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
      // Every protocol flag that was given (or has a default) is an assumption of the sweep.
      const own = Object.fromEntries((PROTOCOLS as readonly QkdProtocol[]).flatMap((p) => p.keyrateCli.options).map(([flags]) => flagKey(flags.split(' ')[0]!.slice(2))).filter((k) => o[k] !== undefined).map((k) => [k, Number(o[k])]));
      const result = { assumptions: { seconds: c.seconds, rateHz: c.rateHz, pulses: c.pulses, etaDet: c.etaDet, dark: c.dark, misalignment: c.eMis, f: c.f, alphaDbPerKm: c.alpha, epsSec: c.eps.epsSec, epsCor: c.eps.epsCor, ...own }, stopKm, lastKeyKm, stepKm: step, rows };
      printResult(o, result, () => [...rows.map(r => `${r.protocol}\t${r.lengthKm} km\t${(r.secretBitsPerPulse as number).toExponential(3)} bit/pulse`), `keys stop at (km): ${JSON.stringify(stopKm)}`].join('\n'));
    });
}
