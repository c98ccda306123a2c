// Ranking predictions memoised per channel. Planning at scale asks for the same channel again
// and again: every DoF a relay measures in gives the same link when the conversions happen at the
// nodes' own (lossless) converters, and a queued request is re-planned over the same routes. An
// asymptotic MDI prediction is a grid search (~2 ms), so a repeat is worth a lookup.
import type { MdiLink } from '../../protocols/physics/mdi-model.ts';
import type { Bb84Link } from '../../protocols/physics/bb84-model.ts';
import type { EnginePrediction, KeyRateEngine } from './orchestration-keyrate.ts';

/** Entries kept (least recently added dropped first). */
const SIZE = 8192;
/** Channel parameters to 9 significant digits: equal keys are equal channels for any purpose. */
const sig = (x: number | undefined) => (x === undefined ? null : Number(x.toPrecision(9)));

export function cachedEngine(engine: KeyRateEngine): KeyRateEngine {
  const cache = new Map<string, EnginePrediction>();
  const memo = (key: string, make: () => EnginePrediction): EnginePrediction => {
    const hit = cache.get(key);
    if (hit) return hit;
    const v = make();
    cache.set(key, v);
    if (cache.size > SIZE) cache.delete(cache.keys().next().value as string);
    return v;
  };
  // Every field of the link, whatever the models add to it later.
  const fields = (l: object) => Object.keys(l).sort().map((f) => (l as Record<string, number | undefined>)[f]);
  const k = (tag: string, xs: Array<number | undefined>) => `${tag}:${xs.map(sig).join(',')}`;
  return {
    bb84: (l: Bb84Link, pulses, f) => memo(k(`bb84/${Object.keys(l).sort()}`, [...fields(l), pulses, f]), () => engine.bb84(l, pulses, f)),
    mdi: (l: MdiLink, pulses, f) => memo(k(`mdi/${Object.keys(l).sort()}`, [...fields(l), pulses, f]), () => engine.mdi(l, pulses, f)),
    bbm92: (etaA, etaB, pDark, eMis, pulses, f) => memo(k('bbm92', [etaA, etaB, pDark, eMis, pulses, f]), () => engine.bbm92(etaA, etaB, pDark, eMis, pulses, f)),
  };
}
