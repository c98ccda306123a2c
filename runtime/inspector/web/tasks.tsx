// Tasks: every sign / conference / QBA task actor, and for a QBA task the tree of multicast-round
// actors it spawned (QBA(signer, backups, d) spawning one child per backup), growing as they spawn.
import type { Model } from '../model.ts';
import { route } from './format.ts';
import { roundTree, tasksOf, type RoundNode } from './derive.ts';

function Round({ n }: { n: RoundNode }) {
  return (
    <li>
      <a href={route('machine', n.actor.id)} class={`round ${n.actor.status}`} data-round={n.path} data-state={n.actor.state}>
        <b>{n.path}</b> <span class="state">{n.actor.state}</span>
      </a>
      {n.children.length > 0 && <ul>{n.children.map((c) => <Round key={c.actor.id} n={c} />)}</ul>}
    </li>
  );
}

const count = (ns: RoundNode[]): number => ns.reduce((k, n) => k + 1 + count(n.children), 0);

export function TasksView({ model, selection }: { model: Model; selection?: string }) {
  const tasks = tasksOf(model);
  const sel = tasks.find((t) => t.id === selection) ?? tasks[0];
  const tree = sel ? roundTree(model, sel.id) : [];
  const ctx = (sel?.actor.ctx ?? {}) as Record<string, any>;
  return (
    <div class="tasks-view">
      <aside>
        <h3>Tasks</h3>
        {tasks.length === 0 && <p class="empty">no tasks yet</p>}
        <table class="compact">{tasks.map((t) => <tr key={t.id} class={t === sel ? 'sel' : ''}><td><a href={route('tasks', t.id)} data-task={t.id}>{t.actor.name}</a></td><td>{t.kind}</td><td class="state">{t.state}</td></tr>)}</table>
      </aside>
      {sel && (
        <section>
          <h2 data-task-selected={sel.id}>{sel.kind} task <small>{sel.actor.sys ?? sel.actor.name} · <a href={route('machine', sel.id)}>{sel.state}</a></small></h2>
          {ctx.request && <pre class="request">{JSON.stringify(ctx.request, null, 1)}</pre>}
          {sel.kind === 'qba' && (
            <>
              <h3 data-rounds={count(tree)}>Multicast rounds: {count(tree)}</h3>
              {tree.length ? <ul class="qba-tree">{tree.map((n) => <Round key={n.actor.id} n={n} />)}</ul> : <p class="empty">no rounds spawned yet</p>}
            </>
          )}
        </section>
      )}
    </div>
  );
}
