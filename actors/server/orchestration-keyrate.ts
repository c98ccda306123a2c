// Adapter between the orchestration core and the protocols' key-rate code (protocols/qkd/<name>/
// keyrate.ts, found through the registry by the channel's `kind`). The core ranks candidate
// routes/relays by predicted secret bits and needs source parameters for the chosen one. It only
// talks to the `KeyRateEngine` / `FiniteEngine` interfaces below; planRequest uses
// `rankingEngine` and `finiteEngine` unless others are injected.
//
// Two engines: `rankingEngine` predicts ASYMPTOTIC rates (each protocol's `keyrate.rank`) in
// microseconds, to rank every candidate relay/route/DoF; `finiteEngine` then gives the chosen
// candidate its finite-key prediction and optimal parameters (each protocol's `keyrate.finite`:
// its optimiser, or the pre-computed table's parameters when the host has loaded one,
// protocols/keyrate/param-table.ts, infra/params/*.json), cached per channel.
import type { ParamTable } from '../../protocols/keyrate/param-table.ts';
import type { KeyRateResult } from '../../protocols/keyrate/types.ts';
import type { Channel, EnginePrediction } from '../../protocols/qkd/descriptor.ts';
import { protocolOf } from '../../protocols/qkd/registry.ts';
import { effectiveEfficiency } from '../../protocols/postprocessing/cascade-efficiency.ts';

export type { EnginePrediction } from '../../protocols/qkd/descriptor.ts';

/** Fast predictions to rank candidates. */
export interface KeyRateEngine {
  predict(ch: Channel, pulses: number): EnginePrediction;
}

/** Finite-key prediction + optimal parameters for the chosen candidate. */
export interface FiniteEngine {
  predict(ch: Channel, pulses: number): EnginePrediction;
}

/** Asymptotic predictions of the channel's protocol. */
export const rankingEngine: KeyRateEngine = { predict: (ch, pulses) => protocolOf(ch.kind).keyrate.rank(ch, pulses) };

export interface FiniteEngineOptions {
  /** The pre-computed optimal-parameter table, when the host has loaded one. */
  table?: ParamTable;
  /** One parameter set for both sides (MDI: about 10x faster) or each side its own (asymmetric links). */
  symmetric?: boolean;
  maxEvals?: number;
  /** Entries kept (least recently added dropped first). */
  cacheSize?: number;
}

/** Every number of a channel, nested links included, at `digits` significant digits: equal keys
 *  are equal channels for the prediction's purpose. */
export function channelKey(ch: Channel, pulses: number, digits: number): string {
  const flat: Array<[string, unknown]> = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object') for (const k of Object.keys(v).sort()) walk(`${prefix}.${k}`, (v as Record<string, unknown>)[k]);
    else flat.push([prefix, typeof v === 'number' ? Number(v.toPrecision(digits)) : v ?? null]);
  };
  walk('', { ...ch, pulses });
  return JSON.stringify(flat);
}

export function createFiniteEngine(opts: FiniteEngineOptions = {}): FiniteEngine {
  const size = opts.cacheSize ?? 256;
  const cache = new Map<string, EnginePrediction>();
  const o = { ...(opts.table ? { table: opts.table } : {}), ...(opts.symmetric !== undefined ? { symmetric: opts.symmetric } : {}), ...(opts.maxEvals ? { maxEvals: opts.maxEvals } : {}) };
  return {
    predict: (ch, pulses) => {
      // 4 significant digits are far below what calibration resolves.
      const key = channelKey(ch, pulses, 4);
      const hit = cache.get(key);
      if (hit) return hit;
      const v = protocolOf(ch.kind).keyrate.finite(ch, pulses, o);
      cache.set(key, v);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return v;
    },
  };
}

export const finiteEngine: FiniteEngine = createFiniteEngine({ symmetric: true, maxEvals: 800 });

/**
 * The prediction at the chosen parameters with the leak the session will have: Cascade's expected
 * disclosed bits on the corrected key plus the disclosed QBER sample (cascade-efficiency.ts),
 * charged as an effective f. l_sift and e_b do not depend on f at fixed parameters, so one
 * re-evaluation of the same estimator on the same expected counts is exact.
 */
export function settleLeak(ch: Channel, pred: EnginePrediction, pulses: number): EnginePrediction {
  const r = pred.result;
  const k = protocolOf(ch.kind).keyrate;
  const f = effectiveEfficiency(r.siftedBits, r.qber, k.disclosure);
  if (!Number.isFinite(f) || !(r.siftedBits > 0)) return pred;
  const result: KeyRateResult | undefined = k.atEfficiency(ch, r.params, pulses, f);
  if (!result) return pred;
  return { ...pred, result: { ...result, terms: { ...result.terms, effectiveF: f } }, engine: `${pred.engine}; leak: the sessions' Cascade + QBER sample (f_eff ${f.toFixed(3)})` };
}
