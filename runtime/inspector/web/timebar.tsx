// Pause the live feed, scrub back through the recorded events, resume.
import type { Store } from './store.ts';
import { clock } from './format.ts';

export function TimeBar({ store }: { store: Store }) {
  const n = store.records.length;
  const live = store.cursor === null;
  const at = store.cursor ?? n;
  const t = at > 0 ? store.records[at - 1]?.t : undefined;
  return (
    <div class={live ? 'timebar live' : 'timebar paused'} data-mode={live ? 'live' : 'paused'}>
      {live
        ? <button data-action="pause" onClick={() => store.pause()} title="freeze the view; records keep arriving">❚❚ pause</button>
        : <button data-action="resume" onClick={() => store.resume()} title="back to the live view">▶ live</button>}
      <input type="range" min={0} max={n} value={at} aria-label="recorded events"
        onInput={(e) => store.seek(Number((e.target as HTMLInputElement).value))} />
      <span class="pos" data-cursor={at}>{live ? 'live' : `event ${at} of ${n}`}{t ? ` · ${clock(t)}` : ''}</span>
    </div>
  );
}
