// The inspector page: a header with the time-travel bar, one tab per view, the view of the hash
// route (#/network, #/machine/<actor or follow:machine@process>, #/sessions/<id>, #/tasks/<id>,
// #/pools, #/log). Renders at most once a frame from the store.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { connect, Store } from './store.ts';
import { NetworkView } from './network.tsx';
import { MachineView } from './machine.tsx';
import { SessionsView } from './sessions.tsx';
import { TasksView } from './tasks.tsx';
import { PoolsView } from './pools.tsx';
import { LogView } from './log.tsx';
import { TimeBar } from './timebar.tsx';

const store = new Store();
(window as unknown as { hetqnInspector: Store }).hetqnInspector = store;

const TABS = [['network', 'Network'], ['machine', 'Machines'], ['sessions', 'Sessions'], ['tasks', 'Tasks'], ['pools', 'Pools'], ['log', 'Event log']] as const;

function useHash(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts[0] ? parts : ['network'];
}

function useStore(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), []);
  return tick;
}

function App() {
  useStore();
  const [tab, arg] = useHash();
  const model = store.view();
  const actors = Object.values(model.actors);
  return (
    <div class="app">
      <header>
        <h1>hetqn inspector</h1>
        <span class="net">network <b>{store.network || '…'}</b></span>
        <span class={store.connected ? 'conn ok' : 'conn down'}>{store.connected ? 'connected' : 'disconnected'}</span>
        <span class="counts">{actors.filter((a) => a.status === 'active').length} actors · {model.network?.nodes.length ?? 0} nodes</span>
        <TimeBar store={store} />
      </header>
      <nav>
        {TABS.map(([id, label]) => <a key={id} href={`#/${id}`} class={tab === id ? 'active' : ''} data-tab={id}>{label}</a>)}
      </nav>
      <main>
        {tab === 'network' && <NetworkView model={model} />}
        {tab === 'machine' && <MachineView model={model} selection={arg} />}
        {tab === 'sessions' && <SessionsView model={model} selection={arg} />}
        {tab === 'tasks' && <TasksView model={model} selection={arg} />}
        {tab === 'pools' && <PoolsView model={model} />}
        {tab === 'log' && <LogView model={model} />}
      </main>
    </div>
  );
}

connect(store);
render(<App />, document.getElementById('app')!);
