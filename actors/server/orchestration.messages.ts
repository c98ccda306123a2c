// Schemas of the control-plane messages that cross a process boundary (registered with the
// runtime's codec: malformed frames are rejected naming the field). Bodies mirror the machines'
// event payloads: the host maps `{ type, body }` bus events onto them.
import { z } from 'zod';
import { defineMessages, type MessageBody } from '../../runtime/messages.ts';
import { PROTOCOL_NAMES } from '../../protocols/qkd/registry.ts';

const nodeName = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64);
const sessionId = z.string().min(1).max(200);

export const qkdRequestSchema = z
  .object({
    id: z.string().min(1).max(200),
    kind: z.literal('qkd'),
    a: nodeName,
    b: nodeName,
    seconds: z.number().positive().max(1e6).optional(),
    bits: z.number().int().positive().max(1e12).optional(),
    protocol: z.enum(['auto', ...PROTOCOL_NAMES]).optional(),
    /** 'auto', a D/E node, or two D nodes for a joint BSM: "George+Henry". */
    relay: z.string().regex(/^(auto|[A-Za-z0-9_-]+(\+[A-Za-z0-9_-]+)?)$/).max(130).optional(),
    priority: z.number().int().min(-100).max(100).optional(),
    /** Pool the session fills: 'secret' (privacy-amplified, default) or 'imperfect' (error-corrected and
     *  verified, not privacy-amplified: the QDS imperfect-key variant, Li et al. PRApplied 20, 044011 (2023)). */
    keyKind: z.enum(['secret', 'imperfect']).optional(),
    /** Run even when no secret key is predicted (the planner refuses such a run otherwise). */
    force: z.boolean().optional(),
  })
  .refine((r) => r.a !== r.b, { message: 'a and b must be different nodes', path: ['b'] });

const stage = z.enum(['reserved', 'switching', 'channel', 'calibrating', 'running', 'staging', 'confirming', 'committing', 'releasing']);
const port = z.number().int().nonnegative().max(1_000_000);

export const ControlPlaneMessages = defineMessages({
  /** An agent or the CLI asks for QKD between two nodes (answered with task.notice). */
  'platform.request': qkdRequestSchema,
  /** Progress of a request: accepted, planned (with the plan), queued / refused (with the reason). */
  'task.notice': z.object({
    requestId: z.string(),
    status: z.enum(['accepted', 'planned', 'queued', 'refused']),
    reason: z.string().max(2000).optional(),
    plan: z.object({ sessionId, protocol: z.string() }).passthrough().optional(),
  }),
  'orchestration.sessionProgress': z.object({ sessionId, stage }),
  'orchestration.sessionEnded': z.object({ sessionId, outcome: z.enum(['finished', 'aborted']), reason: z.string().max(2000).optional() }),
  /** To the router (switch-fabric-machine.ts). */
  'fabric.connect': z.object({ sessionId, ports: z.array(z.tuple([port, port])).min(1).max(64) }),
  'fabric.release': z.object({ sessionId }),
  'fabric.connected': z.object({ sessionId, crossConnects: z.array(z.object({ sessionId, a: port, b: port })), settleMs: z.number().nonnegative() }),
  'fabric.refused': z.object({ sessionId, reason: z.string(), ports: z.array(port) }),
  'fabric.released': z.object({ sessionId, ports: z.array(port) }),
});

export type QkdRequestBody = MessageBody<typeof ControlPlaneMessages, 'platform.request'>;
export type FabricConnectBody = MessageBody<typeof ControlPlaneMessages, 'fabric.connect'>;
