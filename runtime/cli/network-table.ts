// Human rendering of the hypervisor's view: one row per node.
import type { HypervisorView } from '../../actors/server/registry.messages.ts';

export function renderNetwork(view: HypervisorView): string {
  const rows = [['node', 'type', 'DoF', 'fibre km', 'state', 'heartbeat', 'KME', 'actors']];
  for (const n of view.nodes) {
    const age = n.heartbeatAgeMs === undefined ? '-' : `${(n.heartbeatAgeMs / 1000).toFixed(1)} s ago`;
    const state = n.state === 'expected' && n.attachLater ? 'not attached' : n.state;
    const actors = Object.entries(n.actors).map(([k, v]) => `${k}:${v}`).join(' ') || '-';
    rows.push([n.name, n.type, n.dof, String(n.linkKm), state, age, n.kmeUrl ?? '-', actors]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  const up = view.nodes.filter((n) => n.state === 'up').length;
  return [`network ${view.network}: ${up}/${view.nodes.length} nodes up (star of fibre links to the server switch; down after ${view.downAfterMs / 1000} s without heartbeat)`, ...lines].join('\n');
}
