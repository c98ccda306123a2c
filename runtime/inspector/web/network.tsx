// The network: the server and its switch in the middle, every node on a ring with its fibre link
// (length), type, DoF, state and heartbeat age; live sessions drawn between their ends (through the
// switch, with the relay marked) and labelled with protocol and stage; sessions and tasks listed.
import type { ActorRec, Model, NodeView } from '../model.ts';
import { age, route } from './format.ts';
import { sessionsOf, tasksOf, type SessionInfo } from './derive.ts';

const W = 860, H = 640, CX = 430, CY = 320;
const TYPE_COLOUR: Record<string, string> = { C: '#2f6fb3', E: '#8a4fbf', D: '#2e8b57' };
const PROTO_COLOUR: Record<string, string> = { bb84: '#e07b00', mdi: '#c2185b', bbm92: '#00897b' };

function place(nodes: NodeView[]): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const r = Math.min(250, 120 + nodes.length * 6);
  nodes.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
    out.set(n.name, { x: CX + r * Math.cos(a), y: CY + r * Math.sin(a) });
  });
  return out;
}

function SessionPath({ s, at, i }: { s: SessionInfo; at: Map<string, { x: number; y: number }>; i: number }) {
  const a = at.get(s.a), b = at.get(s.b);
  if (!a || !b) return null;
  const colour = PROTO_COLOUR[s.protocol] ?? '#e07b00';
  const bend = 18 * (i + 1);
  const d = `M${a.x},${a.y} Q${CX + bend},${CY - bend} ${b.x},${b.y}`;
  const relay = s.relays.map((r) => at.get(r)).filter(Boolean) as Array<{ x: number; y: number }>;
  return (
    <g class="session" data-session={s.sessionId}>
      <path d={d} stroke={colour} class="session-path" />
      {relay.map((p, k) => <circle key={k} cx={p.x} cy={p.y} r={30} class="relay-ring" stroke={colour} />)}
      <text x={CX + bend} y={CY - bend - 30 - i * 4} class="session-label" fill={colour}>{s.a}–{s.b} {s.protocol}{s.relays.length ? ` via ${s.relays.join('+')}` : ''} · {s.stage}</text>
    </g>
  );
}

function NodeGlyph({ n, p, actors }: { n: NodeView; p: { x: number; y: number }; actors: number }) {
  return (
    <g class={`node state-${n.state}`} data-node={n.name} data-state={n.state} transform={`translate(${p.x},${p.y})`}>
      <title>{`${n.name}: ${n.type} node, ${n.dof}, ${n.state}; ${actors} actors; process ${n.processId ?? '–'}`}</title>
      <circle r={24} fill={TYPE_COLOUR[n.type] ?? '#777'} />
      <text class="node-type" y={5}>{n.type}</text>
      <text class="node-name" y={40}>{n.name}</text>
      <text class="node-sub" y={54}>{n.dof} · {n.state}{n.state === 'up' ? ` · hb ${age(n.heartbeatAgeMs)}` : ''}</text>
    </g>
  );
}

export function NetworkView({ model }: { model: Model }) {
  const view = model.network;
  if (!view) return <p class="empty">waiting for the hypervisor's view…</p>;
  const at = place(view.nodes);
  const actors = Object.values(model.actors);
  const byPid = (pid?: string) => actors.filter((a) => a.pid === pid && a.status === 'active').length;
  const sessions = sessionsOf(model);
  const live = sessions.filter((s) => s.active);
  const tasks = tasksOf(model);
  const server = actors.filter((a) => a.pid === 'server' && a.sys && a.status === 'active');
  const router = server.find((a) => a.sys === 'router');
  return (
    <div class="network">
      <svg viewBox={`0 0 ${W} ${H}`} class="network-svg" data-view="network">
        {view.links.map((l) => {
          const p = at.get(l.from);
          if (!p) return null;
          return (
            <g key={l.from} class="link">
              <line x1={CX} y1={CY} x2={p.x} y2={p.y} />
              <text x={CX + (p.x - CX) * 0.42} y={CY + (p.y - CY) * 0.42 - 4} class="link-km">{l.km} km</text>
            </g>
          );
        })}
        {live.map((s, i) => <SessionPath key={s.sessionId} s={s} at={at} i={i} />)}
        <g class="server" transform={`translate(${CX},${CY})`} data-node="server">
          <rect x={-58} y={-30} width={116} height={60} rx={8} />
          <text y={-8}>server</text>
          <text y={8} class="node-sub">switch: {router?.state ?? '–'}</text>
          <text y={22} class="node-sub">{server.length} actors</text>
        </g>
        {view.nodes.map((n) => <NodeGlyph key={n.name} n={n} p={at.get(n.name)!} actors={byPid(n.processId)} />)}
      </svg>
      <aside>
        <h3>Server actors</h3>
        <table class="compact">{server.map((a) => <tr key={a.id}><td><a href={route('machine', a.id)}>{a.sys}</a></td><td class="state">{a.state}</td></tr>)}</table>
        <h3>Sessions ({live.length} live)</h3>
        <SessionTable sessions={sessions.slice(0, 12)} />
        <h3>Tasks</h3>
        <table class="compact">{tasks.slice(0, 12).map((t) => <tr key={t.id}><td><a href={route('tasks', t.id)}>{t.actor.name}</a></td><td>{t.kind}</td><td class="state">{t.state}</td></tr>)}</table>
      </aside>
    </div>
  );
}

export function SessionTable({ sessions }: { sessions: SessionInfo[] }) {
  return (
    <table class="compact sessions">
      {sessions.map((s) => (
        <tr key={s.sessionId} data-session={s.sessionId}>
          <td><a href={route('sessions', s.sessionId)}>{s.a}–{s.b}</a></td><td>{s.protocol}</td><td>{s.relays.join('+') || '–'}</td><td class="state">{s.stage}</td>
        </tr>
      ))}
    </table>
  );
}

export type { ActorRec };
