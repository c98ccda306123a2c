// Sessions: every QKD session (live first) and, for the selected one, its timeline across its
// participants: the coordinator's and each party's stages over time, the events each handled per
// stage, detections and bits, and the post-processing step timings the parties report.
import type { ActorRec, Model } from '../model.ts';
import { bits, clock, route } from './format.ts';
import { sessionsOf, type SessionInfo } from './derive.ts';
import { SessionTable } from './network.tsx';

type Obj = Record<string, any>;
interface Segment { state: string; from: number; to: number; events: number }

function segments(a: ActorRec, end: number): Segment[] {
  const out: Segment[] = [];
  let cur: Segment = { state: a.steps[0]?.from ?? a.state, from: a.born, to: end, events: 0 };
  for (const s of a.steps) {
    if (s.t < a.born) continue;
    cur.events++;
    if (s.from !== s.to) { cur.to = s.t; out.push(cur); cur = { state: s.to, from: s.t, to: end, events: 0 }; }
  }
  if (a.status === 'active' || cur.events || out.length === 0) { cur.to = a.status === 'active' ? end : Math.max(cur.from, a.last); out.push(cur); }
  return out;
}

const hue = (s: string) => { let h = 0; for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 360; return h; };

function laneNote(a: ActorRec, coordinator: boolean): string[] {
  const c = (a.ctx ?? {}) as Obj;
  if (coordinator) {
    const staged = Object.entries((c.staged ?? {}) as Obj).map(([n, s]) => `${n} ${bits((s as Obj).bits ?? 0)}`);
    return [[c.fabric?.detections !== undefined ? `${c.fabric.detections} detections` : '', staged.length ? `staged: ${staged.join(', ')}` : '', c.reason ? `reason: ${c.reason}` : ''].filter(Boolean).join(' · ')];
  }
  const parts = [c.detections !== undefined ? `${c.detections} detections` : '', c.staged?.bits !== undefined ? `${bits(c.staged.bits)} staged` : '', c.staged?.stats?.qber !== undefined ? `QBER ${(100 * c.staged.stats.qber).toFixed(2)} %` : ''];
  const timings = Object.entries((c.staged?.timings ?? {}) as Obj).map(([k, v]) => `${k} ${Math.round(Number(v))} ms`).join(', ');
  return [parts.filter(Boolean).join(' · '), timings ? `post-processing: ${timings}` : ''];
}

function Timeline({ s, now }: { s: SessionInfo; now: number }) {
  const lanes: Array<{ label: string; actor: ActorRec; coordinator: boolean }> = [
    { label: 'coordinator', actor: s.coordinator, coordinator: true },
    ...s.parties.map((p) => ({ label: `${((p.ctx ?? {}) as Obj).start?.node ?? p.pid} (${((p.ctx ?? {}) as Obj).start?.role ?? 'party'})`, actor: p, coordinator: false })),
  ];
  const t0 = Math.min(...lanes.map((l) => l.actor.born));
  const end = s.active ? now : Math.max(...lanes.map((l) => l.actor.last));
  const span = Math.max(1, end - t0);
  const W = 1000, X0 = 150, LANE = 66;
  const x = (t: number) => X0 + ((t - t0) / span) * (W - X0 - 10);
  return (
    <svg class="timeline" viewBox={`0 0 ${W} ${lanes.length * LANE + 30}`} data-timeline={s.sessionId}>
      {lanes.map((l, i) => (
        <g key={l.actor.id} transform={`translate(0,${i * LANE + 6})`} class="lane" data-lane={l.label}>
          <a href={route('machine', l.actor.id)}><text x={4} y={18} class="lane-label">{l.label}</text></a>
          {segments(l.actor, end).map((g, k) => {
            const w = Math.max(2, x(g.to) - x(g.from));
            return (
              <g key={k} class="seg" data-stage={g.state}>
                <title>{`${g.state}: ${clock(g.from)} – ${clock(g.to)} (${g.to - g.from} ms), ${g.events} events`}</title>
                <rect x={x(g.from)} y={4} width={w} height={22} fill={`hsl(${hue(g.state)} 55% 80%)`} />
                {w > 60 && <text x={x(g.from) + 4} y={19} class="seg-label">{g.state}{g.events ? ` · ${g.events} ev` : ''}</text>}
              </g>
            );
          })}
          {laneNote(l.actor, l.coordinator).map((line, k) => <text key={k} x={X0} y={42 + k * 12} class="lane-note">{line}</text>)}
        </g>
      ))}
      <text x={X0} y={lanes.length * LANE + 22} class="axis">{clock(t0)}</text>
      <text x={W - 10} y={lanes.length * LANE + 22} class="axis end">{clock(end)} (+{(span / 1000).toFixed(2)} s)</text>
    </svg>
  );
}

export function SessionsView({ model, selection }: { model: Model; selection?: string }) {
  const sessions = sessionsOf(model);
  const sel = sessions.find((s) => s.sessionId === selection) ?? sessions[0];
  return (
    <div class="sessions-view">
      <aside><h3>Sessions</h3>{sessions.length ? <SessionTable sessions={sessions} /> : <p class="empty">no sessions yet</p>}</aside>
      <section>
        {sel && (
          <>
            <h2 data-session={sel.sessionId}>{sel.a}–{sel.b} <small>{sel.protocol}{sel.relays.length ? ` via ${sel.relays.join('+')}` : ''} · {sel.stage} · {sel.sessionId}</small></h2>
            <Timeline s={sel} now={model.t} />
          </>
        )}
      </section>
    </div>
  );
}
