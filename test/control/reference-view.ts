// The reference network of docs/reference/reference-network.md as a hypervisor network view (used until
// infra/topologies/reference.json lands). George and Henry (tbp D nodes, 2 SPDs each) are
// attached later: `withGeorgeHenry` returns the view after their attach.
import type { NetworkView, NodeView } from '../../actors/server/orchestration-types.ts';

const ALL = ['pol', 'tbp', 'pha'] as const;

export function referenceView(): NetworkView {
  const nodes: NodeView[] = [
    { id: 'Alice', type: 'C', dof: 'pol', linkKm: 5, state: 'idle', ownConverter: true },
    { id: 'Bob', type: 'C', dof: 'tbp', linkKm: 11, state: 'idle', ownConverter: true },
    { id: 'Charlie', type: 'C', dof: 'tbp', linkKm: 5, state: 'idle', ownConverter: true },
    { id: 'Frank', type: 'C', dof: 'pha', linkKm: 8, state: 'idle', ownConverter: true },
    // David: passive basis choice, 4 InGaAs SPDs; BB84 in every DoF, BSM relay (tbp via early/late gating).
    { id: 'David', type: 'D', dof: 'pol', linkKm: 25, state: 'idle', ownConverter: false, measures: [...ALL], bsm: true, detectors: 4 },
  ];
  return {
    nodes,
    server: {
      portLossDb: 0.5,
      switchTimeMs: 10,
      converters: [{ id: 'conv0', lossDb: 3, misalignment: 0.005 }],
      beamSplitters: [{ id: 'bs0', lossDb: 0.2 }],
    },
    fibreDbPerKm: 0.2,
    rateHz: 1e9,
  };
}

export function withGeorgeHenry(view: NetworkView): NetworkView {
  return {
    ...view,
    nodes: [
      ...view.nodes,
      { id: 'George', type: 'D', dof: 'tbp', linkKm: 12, state: 'idle', ownConverter: false, measures: ['tbp'], detectors: 2 },
      { id: 'Henry', type: 'D', dof: 'tbp', linkKm: 14, state: 'idle', ownConverter: false, measures: ['tbp'], detectors: 2 },
    ],
  };
}

// The same network built from the runtime engineer's topology file when it is there, through
// the adapter the server uses (actors/server/orchestration-view.ts).
import { existsSync, readFileSync } from 'node:fs';
import { networkViewFromTopology, type CalibrationFile, type HypervisorNodeState, type MdiCalibrationFile, type TopologyLike } from '../../actors/server/orchestration-view.ts';

const TOPOLOGY = new URL('../../infra/topologies/reference.json', import.meta.url);
const CALIBRATION = new URL('../../infra/topologies/reference-calibration.json', import.meta.url);
const CALIBRATION_MDI = new URL('../../infra/topologies/reference-calibration-mdi.json', import.meta.url);

/** Reference view from infra/topologies/reference.json (George/Henry only when `attached`), else the inline fixture. */
export function loadReferenceView(attached = false, calibrated = false): { view: NetworkView; source: string } {
  if (!existsSync(TOPOLOGY)) {
    const v = referenceView();
    return { view: attached ? withGeorgeHenry(v) : v, source: 'fixture' };
  }
  const topo = JSON.parse(readFileSync(TOPOLOGY, 'utf8')) as TopologyLike;
  const states: Record<string, HypervisorNodeState> = {};
  for (const n of topo.nodes) states[n.name] = n.attachLater && !attached ? 'expected' : 'up';
  const read = <T>(u: URL): T | undefined => (calibrated && existsSync(u) ? (JSON.parse(readFileSync(u, 'utf8')) as T) : undefined);
  const cal = read<CalibrationFile>(CALIBRATION);
  const mdi = read<MdiCalibrationFile>(CALIBRATION_MDI);
  return { view: networkViewFromTopology(topo, states, cal, mdi), source: `infra/topologies/reference.json${cal ? ' + reference-calibration.json' : ''}${mdi ? ' + reference-calibration-mdi.json' : ''}` };
}
