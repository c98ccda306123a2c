// The machine view: every actor (filterable, by process), and for the selected one its statechart
// with the current state highlighted, its context summary and its event log (filterable).
// "follow:<machine>@<process>" selects the newest actor of that machine in that process, so a page
// can watch, say, the party of the next session on node-Alice before it exists.
import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import { newestActor, type ActorRec, type Model, type Step } from '../model.ts';
import { Diagram } from './diagram.tsx';
import { clock, route, shortId } from './format.ts';

function resolve(model: Model, selection: string | undefined): { actor?: ActorRec; follow?: string } {
  if (!selection) return {};
  const f = /^follow:([^@]+)(?:@(.+))?$/.exec(selection);
  if (f) return { actor: newestActor(model, f[1]!, f[2]), follow: `${f[1]}${f[2] ? ` on ${f[2]}` : ''}` };
  return { actor: model.actors[selection] };
}

/** One row; re-rendered only when its actor's state, status or selection changes. */
const ActorRow = memo(({ a, selected }: { a: ActorRec; selected: boolean; state: string; status: string }) => (
  <a href={route('machine', a.id)} class={`actor-row ${selected ? 'sel' : ''} ${a.status}`} data-actor={a.id} data-machine={a.machine ?? ''}>
    <span class="name">{a.sys ?? a.name}</span><span class="machine">{a.machine ?? 'actor'}</span><span class="state">{a.state}</span>
  </a>
));

function ActorList({ model, selected }: { model: Model; selected?: string }) {
  const [filter, setFilter] = useState('');
  const f = filter.toLowerCase();
  const actors = Object.values(model.actors)
    .filter((a) => !f || `${a.pid} ${a.sys ?? ''} ${a.name} ${a.machine ?? ''} ${a.state}`.toLowerCase().includes(f))
    .sort((a, b) => a.pid.localeCompare(b.pid) || (a.sys ?? a.name).localeCompare(b.sys ?? b.name));
  const shown = actors.slice(0, 400);
  let pid = '';
  return (
    <div class="actor-list">
      <input type="search" placeholder="filter actors (process, machine, state…)" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-filter="actors" />
      <div class="scroll">
        {shown.map((a) => {
          const head = a.pid !== pid ? <div class="group">{(pid = a.pid)}</div> : null;
          return [head, <ActorRow key={a.id} a={a} selected={a.id === selected} state={a.state} status={a.status} />];
        })}
        {actors.length > shown.length && <div class="more">… {actors.length - shown.length} more (filter to narrow)</div>}
      </div>
    </div>
  );
}

/** One log line; steps never change, so a row renders once. */
const StepRow = memo(({ s, actor, sender }: { s: Step; actor?: string; sender: string }) => (
  <tr class={s.from !== s.to ? 'moved' : ''} data-event={s.ev}>
    <td>{clock(s.t)}</td>
    {actor !== undefined && <td><a href={route('machine', s.actor)}>{actor}</a></td>}
    <td title={s.body === undefined ? '' : JSON.stringify(s.body)}>{s.ev}</td>
    <td>{sender}</td>
    <td>{s.from === s.to ? s.to : `${s.from} → ${s.to}`}</td>
  </tr>
));

export function StepLog({ steps, showActor, model }: { steps: Step[]; showActor?: boolean; model?: Model }) {
  const [filter, setFilter] = useState('');
  const f = filter.toLowerCase();
  const name = (id?: string) => (id ? (model?.actors[id]?.sys ?? model?.actors[id]?.name ?? shortId(id)) : '');
  const rows = steps.filter((s) => !f || `${s.ev} ${name(s.sender)} ${s.from} ${s.to} ${showActor ? name(s.actor) : ''}`.toLowerCase().includes(f)).slice(-200).reverse();
  return (
    <div class="log">
      <input type="search" placeholder="filter events (type, sender, state…)" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-filter="log" />
      <table class="compact">
        <thead><tr><th>time</th>{showActor && <th>actor</th>}<th>event</th><th>sender</th><th>from → to</th></tr></thead>
        <tbody>
          {rows.map((s) => <StepRow key={s.seq} s={s} actor={showActor ? name(s.actor) : undefined} sender={name(s.sender)} />)}
        </tbody>
      </table>
    </div>
  );
}

/** Who spawned or invoked this actor, and the actors it spawned or invoked (live ones first). */
function Family({ model, actor }: { model: Model; actor: ActorRec }) {
  const name = (a?: ActorRec, id?: string) => a?.sys ?? a?.name ?? shortId(id ?? '');
  const children = Object.values(model.actors).filter((a) => a.parent === actor.id).sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || a.born - b.born);
  return (
    <p class="parent">
      {actor.parent && <>spawned by <a href={route('machine', actor.parent)}>{name(model.actors[actor.parent], actor.parent)}</a>{children.length ? ' · ' : ''}</>}
      {children.length > 0 && <>children: {children.slice(0, 24).map((c, i) => <span key={c.id}>{i ? ', ' : ''}<a href={route('machine', c.id)} class={c.status} data-child={c.id}>{name(c)}</a> <span class="state">{c.state}</span></span>)}{children.length > 24 ? ` … ${children.length - 24} more` : ''}</>}
    </p>
  );
}

export function MachineView({ model, selection }: { model: Model; selection?: string }) {
  const { actor, follow } = resolve(model, selection);
  const chart = actor?.machine ? model.charts[actor.machine] : undefined;
  return (
    <div class="machine-view">
      <ActorList model={model} selected={actor?.id} />
      <section class="machine-main">
        {follow && <p class="follow">following the newest <b>{follow}</b>{actor ? `: ${shortId(actor.id)}` : ' (none yet)'}</p>}
        {!actor && !follow && <p class="empty">pick an actor</p>}
        {actor && (
          <>
            <h2 data-selected={actor.id}>{actor.sys ?? actor.name} <small>{actor.machine ?? 'actor'} · {actor.pid} · <span class="state" data-current-state={actor.state}>{actor.state}</span> · {actor.status}</small></h2>
            <Family model={model} actor={actor} />
            <div class="diagram-wrap">{chart ? <Diagram chart={chart} state={actor.state} steps={actor.steps} /> : <p class="empty">no statechart (not a state machine)</p>}</div>
            <div class="machine-detail">
              <div class="context"><h3>Context (summary, no key material)</h3><pre data-context>{JSON.stringify(actor.ctx, null, 1)?.slice(0, 20_000)}</pre></div>
              <div><h3>Event log</h3><StepLog steps={actor.steps} model={model} /></div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
