// Schemas of the task messages that cross a process boundary (registered with the runtime codec):
//   CLI / demo      -> server `actor.server.tasks`              'task.request' (answered with 'task.result';
//                      stages as 'task.progress' on tasks.<requester>.<requestId> when the request names one)
//   server coordinator -> node `actor.<node>.tasks-<node>`      'task.role'    (answered with 'task.roleDone')
//   node -> node on `taskchan.<node>`                           'task.frame'   (one classical-channel message;
//   the sending node is the bus identity in the subject, runtime/subjects.ts)
// Key bits never cross the server: roles withdraw them from their own pools and exchange them
// node to node (references in the clear, key strings over Wegman–Carter authenticated channels).
import { z } from 'zod';
import { defineMessages, type MessageBody } from '../../runtime/messages.ts';
import { STRATEGY_NAMES } from '../../protocols/tasks/qba-behaviours.ts';

const node = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64);
const taskId = z.string().regex(/^[A-Za-z0-9_.:>-]+$/).max(300);
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (Uint8Array)' });
const poolKind = z.enum(['secret', 'imperfect']);
/** Where the requester follows the task's stages ('task.progress' on tasks.<requestId>). */
const requestId = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64).optional();

export const signRequestSchema = z.object({
  kind: z.literal('sign'),
  requestId,
  signer: node, receiver: node, thirdParty: node.optional(),
  variant: poolKind.optional(),
  /** The signed message travels in one frame (1 MB limit) together with the signature. */
  message: bytes.refine((b) => b.length >= 1 && b.length <= 900_000, { message: 'message must be 1 byte to 900 kB' }),
  /** Forgery probability target of the secret-key variant (default 1e-10). */
  eps: z.number().gt(0).lt(1).optional(),
  /** String length of the imperfect-key variant (default 900). */
  imperfectBits: z.number().int().min(8).max(100_000).optional(),
  /** Test hooks: alter the message or the signature on the wire S -> A, the signer uses wrong keys, or the forwarder forges a signature on another message for the verifier. */
  attack: z.enum(['alter-message', 'alter-signature', 'wrong-keys', 'forge']).optional(),
});

export const qbaRequestSchema = z.object({
  kind: z.literal('qba'),
  requestId,
  primary: node,
  /** All nodes taking part (default: every node of the topology except attach-later ones). */
  nodes: z.array(node).min(3).max(12).optional(),
  depth: z.number().int().min(1).max(4).optional(),
  /** Payloads carry up to two values, UTF-8 encoded (up to 2 bytes per file byte), in one frame. */
  value: bytes.refine((b) => b.length >= 1 && b.length <= 200_000, { message: 'value must be 1 byte to 200 kB' }),
  /** Malicious nodes and the strategy each plays. */
  malicious: z.array(z.object({ node, strategy: z.enum(STRATEGY_NAMES) })).max(12).optional(),
  eps: z.number().gt(0).lt(1).optional(),
});

export const conferenceRequestSchema = z.object({
  kind: z.literal('conference'),
  requestId,
  sponsor: node,
  participants: z.array(node).min(1).max(12).optional(),
  bits: z.number().int().min(1).max(10_000_000),
  /** Test hook: flip one ciphertext bit on the wire to this participant. */
  tamper: node.optional(),
});

export const taskRequestSchema = z.discriminatedUnion('kind', [signRequestSchema, qbaRequestSchema, conferenceRequestSchema]);
export type TaskRequest = z.infer<typeof taskRequestSchema>;
export type SignRequest = z.infer<typeof signRequestSchema>;
export type QbaRequest = z.infer<typeof qbaRequestSchema>;
export type ConferenceRequest = z.infer<typeof conferenceRequestSchema>;

const roundSpec = z.object({ signer: node, backups: z.array(node).max(12), depth: z.number().int().min(1), path: z.array(node).max(12) });
const item = z.object({ value: z.string().max(2_000_000), chain: z.array(node).max(12) });

/** The QBA context of a QDS run (absent for a plain signature). */
export const qbaRoleContext = z.object({
  qbaId: taskId,
  round: roundSpec,
  /** (signer, item) pairs signed in the ancestor rounds: the earlier links of relayed chains, each value replaced by its SHA-256 (value-digest.ts). */
  registry: z.array(z.object({ signer: node, item })).max(10_000),
  /** This node's strategy when malicious; absent = honest. */
  strategy: z.enum(STRATEGY_NAMES).optional(),
  members: z.array(node).max(12),
  primary: node,
  /** The primary's value (sent to the root signer only). */
  value: z.string().max(2_000_000).optional(),
  otherValue: z.string().max(2_000_000),
});
export type QbaRoleContext = z.infer<typeof qbaRoleContext>;

export const qdsRoleSchema = z.object({
  role: z.enum(['qds.signer', 'qds.forwarder', 'qds.verifier']),
  taskId,
  signer: node, forwarder: node, verifier: node,
  kind: poolKind,
  n: z.number().int().min(8).max(100_000),
  message: bytes.optional(),
  attack: signRequestSchema.shape.attack,
  qba: qbaRoleContext.optional(),
});
export const confRoleSchema = z.object({
  role: z.enum(['conf.sponsor', 'conf.participant']),
  taskId, sponsor: node, participants: z.array(node).min(1).max(12), bits: z.number().int().positive().max(10_000_000),
  tamper: node.optional(),
});
export const qbaSeenSchema = z.object({ role: z.literal('qba.seen'), taskId });

export const taskRoleSchema = z.discriminatedUnion('role', [
  qdsRoleSchema.extend({ role: z.literal('qds.signer') }),
  qdsRoleSchema.extend({ role: z.literal('qds.forwarder') }),
  qdsRoleSchema.extend({ role: z.literal('qds.verifier') }),
  confRoleSchema.extend({ role: z.literal('conf.sponsor') }),
  confRoleSchema.extend({ role: z.literal('conf.participant') }),
  qbaSeenSchema,
]);
export type TaskRole = z.infer<typeof taskRoleSchema>;
export type QdsRole = Extract<TaskRole, { role: 'qds.signer' | 'qds.forwarder' | 'qds.verifier' }>;
export type ConfRole = Extract<TaskRole, { role: 'conf.sponsor' | 'conf.participant' }>;

export const TaskMessages = defineMessages({
  'task.request': taskRequestSchema,
  /** The task's result, or `error` with `code` (unknown-node | unavailable | refused | failed), `field`,
   *  and for short pools `short` (every short lane) and `fill` (the QKD runs that fill them). */
  'task.result': z.object({ kind: z.string(), taskId: z.string() }).passthrough(),
  /** A stage of the task, for the requester on tasks.<requester>.<requestId>. */
  'task.progress': z.object({ requestId: z.string().max(64), stage: z.string().max(2000) }),
  'task.role': taskRoleSchema,
  'task.roleDone': z.object({ taskId: z.string(), node, role: z.string(), ok: z.boolean(), error: z.string().max(4000).optional() }).passthrough(),
  'task.frame': z.object({ taskId, data: bytes }),
});
export type TaskFrame = MessageBody<typeof TaskMessages, 'task.frame'>;

/** System id of a node's task agent, and of the server's coordinator. */
export const taskAgentId = (nodeName: string) => `tasks-${nodeName}`;
export const TASK_COORDINATOR_ID = 'tasks';
