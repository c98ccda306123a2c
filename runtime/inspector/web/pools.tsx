// Pool levels per pair over time (bits available, from the pools' statistics: counts only), as a
// uPlot line chart that follows the model (live or wherever the time bar is).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Model } from '../model.ts';
import { bits } from './format.ts';

const COLOURS = ['#2f6fb3', '#e07b00', '#2e8b57', '#c2185b', '#8a4fbf', '#00897b', '#795548', '#607d8b', '#d81b60', '#5e35b1'];

export function PoolsView({ model }: { model: Model }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<{ u: uPlot; keys: string } | null>(null);
  const { times, series } = model.pools;
  const names = Object.keys(series).sort();
  useEffect(() => {
    if (!el.current) return;
    const data = [times.map((t) => t / 1000), ...names.map((n) => series[n]!)] as uPlot.AlignedData;
    const keys = names.join('|');
    if (!plot.current || plot.current.keys !== keys) {
      plot.current?.u.destroy();
      const opts: uPlot.Options = {
        width: Math.max(600, el.current.clientWidth - 20), height: 420, title: 'bits available per pair',
        series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true, value: (_u: uPlot, v: number | null) => (v == null ? '–' : bits(v)) }))],
        axes: [{}, { values: (_u: uPlot, vs: number[]) => vs.map((v) => bits(v)), size: 70 }],
        scales: { x: { time: true } },
      };
      plot.current = { u: new uPlot(opts, data, el.current), keys };
    } else plot.current.u.setData(data);
  });
  useEffect(() => () => { plot.current?.u.destroy(); plot.current = null; }, []);
  return (
    <div class="pools-view">
      {times.length === 0 && <p class="empty">no pool levels yet (the inspector reads them from Redis: pass --redis-url if it cannot find it)</p>}
      <div ref={el} data-pools={names.length} />
    </div>
  );
}
