// `hetqn params build`: regenerate the optimal-parameter table (infra/params/optimal-params.json)
// that the server interpolates (protocols/keyrate/param-table.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { withExample } from '../help.ts';
import { buildParamTable } from '../../../protocols/qkd/table.ts';
import { PROTOCOLS, protocolNamed } from '../../../protocols/qkd/registry.ts';
import { DEFAULT_TABLE } from './keyrate.ts';
import { fitBb84Row, REFERENCE_FIT_ASSUMPTIONS, type PublishedBb84Row } from '../../../protocols/keyrate/calibration.ts';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PUBLISHED = path.join(REPO, 'infra/params/reference-published-bb84.json');
const CALIBRATION = path.join(REPO, 'infra/topologies/reference-calibration.json');

/** The registry protocols with parameter-table rows. */
const TABLED = PROTOCOLS.filter((p) => 'table' in p).map((p) => p.name);

function parseList(name: string, v: string): number[] {
  return v.split(',').map(s => parseNumber(name, s.trim(), { min: 0 })!);
}

export function register(program: Command): void {
  const p = program.command('params').description('optimal source-parameter table');
  withExample(p.command('build')
    .description('optimise every grid cell and write the table')
    .option('--out <file>', 'output file', DEFAULT_TABLE)
    .option('--losses <a:b:step>', 'channel-loss grid in dB', '0:40:2')
    .option('--pulses <list>', 'block sizes N', '1e9,1e10,1e11,1e12')
    .option('--protocols <list>', `protocols (${TABLED.join(', ')})`, TABLED.join(','))
    .option('--eta-det <eta>', 'detector efficiency', '0.2')
    .option('--dark <p>', 'dark count per gate', '1e-6')
    .option('--misalignment <e>', 'misalignment', '0.01')
    .option('--visibility <v>', 'HOM visibility for MDI rows', '0.96')
    .option('--f <f>', 'error-correction inefficiency', '1.16')
    .option('--json', 'print one JSON object (a summary)'), ['hetqn params build --protocols bb84 --losses 0:20:5 --pulses 1e10 --out /tmp/table.json'])
    .action((o: { out: string; losses: string; pulses: string; protocols: string; etaDet: string; dark: string; misalignment: string; visibility: string; f: string; json?: boolean }) => {
      const m = /^([\d.]+):([\d.]+):([\d.]+)$/.exec(o.losses);
      if (!m) throw new CliError(`--losses: expected a:b:step, got "${o.losses}"`);
      const [lo, hi, step] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (!(step > 0 && hi >= lo)) throw new CliError('--losses: need step > 0 and b >= a');
      const lossGridDb = Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step);
      const protocols = o.protocols.split(',').map(s => s.trim());
      for (const pr of protocols) if (!protocolNamed(pr)?.table) throw new CliError(`--protocols: "${pr}" is not a protocol with table rows (${TABLED.join(', ')})`);
      const table = buildParamTable({
        lossGridDb, pulsesGrid: parseList('pulses', o.pulses), protocols,
        assumptions: {
          etaDet: parseNumber('eta-det', o.etaDet, { min: 0, max: 1 })!, pDark: parseNumber('dark', o.dark, { min: 0, max: 0.5 })!,
          eMis: parseNumber('misalignment', o.misalignment, { min: 0, max: 0.5 })!, visibility: parseNumber('visibility', o.visibility, { min: 0, max: 1 })!,
          f: parseNumber('f', o.f, { min: 1, max: 3 })!,
        },
        onProgress: progress,
      });
      fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
      fs.writeFileSync(o.out, JSON.stringify(table, null, 1) + '\n');
      const summary = { out: o.out, rows: Object.fromEntries(Object.entries(table.rows).map(([k, v]) => [k, v!.length])), notes: table.notes };
      printResult(o, summary, () => `wrote ${o.out}: ${JSON.stringify(summary.rows)}`);
    });

  withExample(p.command('calibrate')
    .description('fit extra loss and misalignment per BB84 reference link to the published l_sift and e_b; l_sec is predicted')
    .option('--published <file>', 'published rows', PUBLISHED)
    .option('--out <file>', 'calibration file to update (other keys are kept)', CALIBRATION)
    .option('--json', 'print one JSON object'), ['hetqn params calibrate --out /tmp/calibration.json'])
    .action((o: { published: string; out: string; json?: boolean }) => {
      let rows: PublishedBb84Row[];
      try { rows = (JSON.parse(fs.readFileSync(o.published, 'utf8')) as { rows: PublishedBb84Row[] }).rows; } catch (e) { throw new CliError(`--published: cannot read ${o.published}: ${(e as Error).message}`); }
      const existing = fs.existsSync(o.out) ? JSON.parse(fs.readFileSync(o.out, 'utf8')) as Record<string, unknown> : {};
      const links: Record<string, unknown> = { ...(existing.links as Record<string, unknown> | undefined) };
      const report: Array<Record<string, unknown>> = [];
      for (const row of rows) {
        progress(`fitting ${row.pair}`);
        const fit = fitBb84Row(row);
        const prev = (links[row.pair] ?? {}) as Record<string, unknown>;
        links[row.pair] = {
          ...prev,
          extraLossDb: Number(fit.extraLossDb.toFixed(4)),
          misalignment: Number(fit.misalignment.toFixed(6)),
          meaning: 'extraLossDb: loss on top of 0.2 dB/km x the published effective length (residual insertion loss of encoder/converter/receiver optics and any shortfall of the 20 % detector efficiency); misalignment: intrinsic optical error of encoder + DoF conversion + receiver (probability a detected photon lands in the wrong detector). Fitted to l_sift and e_b only.',
          fittedTo: { lSift: row.lSift, eB: row.eB, lengthKm: row.lengthKm, seconds: row.seconds },
        };
        report.push({ pair: row.pair, extraLossDb: fit.extraLossDb, misalignment: fit.misalignment, siftedBits: Math.round(fit.result.siftedBits), qber: fit.result.qber, predictedLSec: fit.result.secretBits, publishedLSec: row.lSec, ratio: fit.result.secretBits / row.lSec, params: fit.result.params });
      }
      const out = {
        ...existing,
        bb84Assumptions: { ...REFERENCE_FIT_ASSUMPTIONS, note: 'BB84 rows: 1 GHz, 20 % detectors, 1e-6 dark counts per gate, no afterpulses, passive 50:50 basis choice at David, optimised decoy settings (Lim 2014), alpha 0.2 dB/km' },
        links,
      };
      fs.writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');
      printResult(o, { out: o.out, rows: report }, () => report.map(r => `${r.pair}: extra ${(r.extraLossDb as number).toFixed(3)} dB, e_mis ${(r.misalignment as number).toFixed(5)}, l_sec predicted ${r.predictedLSec} / published ${r.publishedLSec} = ${(r.ratio as number).toFixed(3)}`).join('\n'));
    });
}
