// Messages of node admission, heartbeats and the hypervisor's network view.
import { z } from 'zod';
import { defineMessages, type MessageBody } from '../../runtime/messages.ts';

const nodeName = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64);
const nodeType = z.enum(['C', 'E', 'D']);
const dof = z.enum(['pol', 'tbp', 'pha']);
/** Where a node's ETSI GS QKD 014 KME listens. */
const kmeUrl = z.string().max(300).regex(/^https?:\/\/[^\s/]+\/?$/, 'an http(s) URL of a host and port');

export const nodeViewSchema = z.object({
  name: nodeName,
  type: nodeType,
  dof,
  linkKm: z.number(),
  attachLater: z.boolean(),
  /** expected: in the topology, not registered yet; up; down: heartbeats stopped; left: said goodbye. */
  state: z.enum(['expected', 'up', 'down', 'left']),
  processId: z.string().optional(),
  registeredAt: z.number().optional(),
  lastHeartbeatAt: z.number().optional(),
  heartbeatAgeMs: z.number().optional(),
  heartbeats: z.number().int(),
  /** systemId -> current state of every actor in the node's process (from its last heartbeat). */
  actors: z.record(z.string()),
  /** The node's ETSI GS QKD 014 KME (from its last heartbeat). */
  kmeUrl: kmeUrl.optional(),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

export const RegistryMessages = defineMessages({
  'registry.challenge': z.object({ name: nodeName }),
  'registry.nonce': z.object({ nonce: z.string(), ttlMs: z.number() }),
  'registry.announce': z.object({
    name: nodeName, type: nodeType, dof, linkKm: z.number().nonnegative(),
    nonce: z.string().max(200), mac: z.string().max(200), processId: z.string().max(200),
  }),
  'registry.accepted': z.object({ name: nodeName, network: z.string(), heartbeatMs: z.number().positive() }),
  'registry.refused': z.object({ name: z.string(), field: z.string(), reason: z.string() }),
  'hypervisor.nodeUp': z.object({ name: nodeName, type: nodeType, dof, linkKm: z.number(), processId: z.string() }),
  /** `processId`: which process of the node sends it (a stale process of the same node is ignored). */
  'node.heartbeat': z.object({ node: nodeName, processId: z.string().max(200), seq: z.number().int().nonnegative(), state: z.string().max(200), actors: z.record(z.string().max(500)), kmeUrl: kmeUrl.optional() }),
  'node.bye': z.object({ node: nodeName, processId: z.string().max(200), reason: z.string().max(500) }),
  /** The hypervisor does not know this node (e.g. the server restarted): register again. */
  'node.reregister': z.object({ node: nodeName }),
  'hypervisor.status': z.object({}).passthrough(),
  'hypervisor.view': z.object({
    network: z.string(),
    at: z.number(),
    nodes: z.array(nodeViewSchema),
    /** The star of fibre links from each node to the server's switch. */
    links: z.array(z.object({ from: z.string(), to: z.string(), km: z.number() })),
    downAfterMs: z.number(),
  }),
});

export type Announce = MessageBody<typeof RegistryMessages, 'registry.announce'>;
export type Heartbeat = MessageBody<typeof RegistryMessages, 'node.heartbeat'>;
export type HypervisorView = MessageBody<typeof RegistryMessages, 'hypervisor.view'>;
export type NodeUp = MessageBody<typeof RegistryMessages, 'hypervisor.nodeUp'>;
