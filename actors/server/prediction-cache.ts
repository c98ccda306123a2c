// Ranking predictions memoised per channel. Planning at scale asks for the same channel again
// and again: every DoF a relay measures in gives the same link when the conversions happen at the
// nodes' own (lossless) converters, and a queued request is re-planned over the same routes. An
// asymptotic MDI prediction is a grid search (~2 ms), so a repeat is worth a lookup.
import { channelKey, type EnginePrediction, type KeyRateEngine } from './orchestration-keyrate.ts';

/** Entries kept (least recently added dropped first). */
const SIZE = 8192;

export function cachedEngine(engine: KeyRateEngine): KeyRateEngine {
  const cache = new Map<string, EnginePrediction>();
  return {
    predict: (ch, pulses) => {
      // Every field of the channel to 9 significant digits: equal keys are equal channels for any purpose.
      const key = channelKey(ch, pulses, 9);
      const hit = cache.get(key);
      if (hit) return hit;
      const v = engine.predict(ch, pulses);
      cache.set(key, v);
      if (cache.size > SIZE) cache.delete(cache.keys().next().value as string);
      return v;
    },
  };
}
