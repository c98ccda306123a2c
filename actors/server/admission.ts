// What the platform answers at once, before a QKD request is queued: a node name the network does not
// know (unknown node), or one it knows that cannot take part now (never attached, left, down). A node
// that goes down after the request was queued is the planner's business (it queues, see orchestration.ts).
import type { NodeId } from '../../protocols/types.ts';
import type { HypervisorNodeState } from './orchestration-view.ts';

export interface AdmissionError { field: string; code: 'unknown-node' | 'unavailable'; message: string }

/** Why `node` (named in request field `field`) cannot take part, or undefined when it can. */
export function nodeAdmission(network: string, field: string, node: NodeId, known: readonly NodeId[], state: HypervisorNodeState | undefined): AdmissionError | undefined {
  if (!known.includes(node)) return { field, code: 'unknown-node', message: `${field}: unknown node "${node}" in network ${network} (its nodes: ${known.join(', ')})` };
  if (state === 'expected' || state === undefined) return { field, code: 'unavailable', message: `${field}: ${node} is in network ${network}'s topology but not attached (attach it with \`hetqn node --name ${node}\`)` };
  if (state === 'left') return { field, code: 'unavailable', message: `${field}: ${node} has left network ${network} (attach it again with \`hetqn node --name ${node}\`)` };
  if (state === 'down') return { field, code: 'unavailable', message: `${field}: ${node} is down in network ${network} (no heartbeat; see \`hetqn status\`)` };
  return undefined;
}

/** The first reason a QKD request between `a` and `b` (and a named relay) cannot be admitted. */
export function qkdAdmission(network: string, req: { a: NodeId; b: NodeId; relay?: string }, known: readonly NodeId[], states: Readonly<Record<NodeId, HypervisorNodeState>>): AdmissionError | undefined {
  const named: Array<[string, NodeId]> = [['a', req.a], ['b', req.b]];
  if (req.relay && req.relay !== 'auto') for (const r of req.relay.split('+')) named.push(['relay', r]);
  for (const [field, node] of named) {
    const e = nodeAdmission(network, field, node, known, states[node]);
    if (e) return e;
  }
  return undefined;
}
