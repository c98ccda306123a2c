// Building the optimal-parameter table (protocols/keyrate/param-table.ts) from each registry
// protocol's optimiser (`table.row`): every (protocol, N, loss) cell, each row warm-starting the next.
import type { KeyRateResult } from '../keyrate/types.ts';
import { DEFAULT_ASSUMPTIONS, type ParamTable, type ParamTableAssumptions, type ParamTableRow } from '../keyrate/param-table.ts';
import { protocolNamed, PROTOCOLS } from './registry.ts';

export interface BuildSpec {
  assumptions?: Partial<ParamTableAssumptions>;
  lossGridDb?: number[];
  pulsesGrid?: number[];
  /** Registry protocol names (default: every protocol with table rows). */
  protocols?: string[];
  onProgress?: (msg: string) => void;
}

const range = (lo: number, hi: number, step: number) => Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step);

export function buildParamTable(spec: BuildSpec = {}): ParamTable {
  const a: ParamTableAssumptions = { ...DEFAULT_ASSUMPTIONS, ...spec.assumptions };
  const lossGridDb = spec.lossGridDb ?? range(0, 40, 2);
  const pulsesGrid = spec.pulsesGrid ?? [1e9, 1e10, 1e11, 1e12];
  const protocols = spec.protocols ?? PROTOCOLS.filter((p) => 'table' in p).map((p) => p.name);
  const table: ParamTable = { version: 1, generatedBy: 'hetqn params build', assumptions: a, lossGridDb, pulsesGrid, rows: {}, notes: [] };
  for (const name of protocols) {
    const builder = protocolNamed(name)?.table;
    if (!builder) throw new Error(`protocols: ${name} has no parameter-table rows`);
    const rows: ParamTableRow[] = [];
    for (const pulses of pulsesGrid) {
      let start: Record<string, number> | undefined;
      for (const lossDb of lossGridDb) {
        spec.onProgress?.(`${name} N=${pulses.toExponential(0)} loss=${lossDb} dB`);
        const r: KeyRateResult = builder.row(lossDb, pulses, a, start);
        if (r.secretBits > 0) start = r.params;
        rows.push({ lossDb, pulses, params: r.params, secretBitsPerPulse: r.secretBitsPerPulse });
      }
    }
    table.rows[name] = rows;
  }
  return table;
}
