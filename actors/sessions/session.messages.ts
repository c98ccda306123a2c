// Schemas of the QKD session messages that cross a process boundary:
//   server coordinator (actor `session-<sid>`) <-> node local control (actor `local-<node>`)
//   party <-> party on `session.<sid>.<node>` and fabric -> party on `fabric.<sid>.<node>` (stream frames;
//   the sender is the bus identity in the subject, runtime/subjects.ts)
//   server -> requester on `tasks.<requester>.<requestId>` (progress and the final result)
import { z } from 'zod';
import { defineMessages, type MessageBody } from '../../runtime/messages.ts';
import { actorAddress } from '../../runtime/port.ts';
import { SESSION_PROTOCOLS, SESSION_ROLES } from '../../protocols/qkd/registry.ts';

const node = z.string().regex(/^[A-Za-z0-9_-]+$/).max(64);
const sessionId = z.string().regex(/^[A-Za-z0-9_-]+$/).max(200);
const reason = z.string().max(2000);

export const sessionRole = z.enum(SESSION_ROLES);
export type SessionRole = z.infer<typeof sessionRole>;

/** What a participant needs to play its role (public: loaded by the orchestration core). */
export const sessionStartSchema = z.object({
  sessionId,
  requestId: z.string().max(200),
  protocol: z.enum(SESSION_PROTOCOLS),
  /** Pool the key holders stage into: 'secret' (PA'd key, default) or 'imperfect' (reconciled,
   *  verified key before PA). One kind per session, so the same raw bits never feed both. */
  keyKind: z.enum(['secret', 'imperfect']).optional(),
  node,
  role: sessionRole,
  /** The other key-holding end (the party this node shares the key with). */
  peer: node,
  /** Relay / helper nodes of the session (announce BSM results or emit pairs). */
  helpers: z.array(node).max(4),
  /** The two key holders (a, b) in the plan's order (relays talk to both). */
  ends: z.tuple([node, node]),
  pulses: z.number().positive(),
  params: z.record(z.number()),
  /** The subject the participants report on (`coord.<sid>`: the server routes it to the coordinator). */
  coordinator: z.string().regex(/^coord\.[A-Za-z0-9_-]+$/).max(240),
  /** Budget of one step (calibration, post-processing...) before the node gives up, ms. */
  stepTimeoutMs: z.number().int().positive(),
  /** The node's DoF conversion, if it converts at its own converter. */
  convertTo: z.enum(['pol', 'tbp', 'pha']).optional(),
});
export type SessionStart = z.infer<typeof sessionStartSchema>;

export const partyStatsSchema = z.object({
  detections: z.number(),
  siftedBits: z.number(),
  qber: z.number(),
  secretBits: z.number(),
  disclosedBits: z.number(),
  f: z.number().nullable(),
  testBits: z.number().optional(),
  /** Bits of the disclosed QBER sample (MDI), public like the EC parities: leak = disclosedBits + sampleBits. */
  sampleBits: z.number().optional(),
  phaseErrorBound: z.number().optional(),
  authKeyBits: z.number().optional(),
  cascadeRounds: z.number().optional(),
});
export type PartyStats = z.infer<typeof partyStatsSchema>;

const stageName = z.enum(['reserved', 'switching', 'channel', 'calibrating', 'running', 'staging', 'confirming', 'committing', 'releasing']);

export const SessionMessages = defineMessages({
  'session.start': sessionStartSchema,
  'session.ready': z.object({ sessionId, node, calibrationMs: z.number().nonnegative(), residualMisalignment: z.number().min(0).max(0.5) }),
  'session.received': z.object({ sessionId, node, detections: z.number().int().nonnegative() }),
  'session.staged': z.object({
    sessionId, node, blockId: z.string().max(128), bits: z.number().int().nonnegative(),
    stats: partyStatsSchema, timings: z.record(z.number()),
  }),
  'session.commit': z.object({ sessionId }),
  'session.committed': z.object({ sessionId, node, blockId: z.string().max(128) }),
  'session.failed': z.object({ sessionId, node, stage: z.string().max(100), reason }),
  'session.abort': z.object({ sessionId, reason }),
  'session.aborted': z.object({ sessionId, node }),
  /** A chunk of one stream message (party channel or fabric delivery); `ping` asks for session.ack. */
  'session.frame': z.object({
    seq: z.number().int().nonnegative(),
    part: z.number().int().nonnegative(),
    parts: z.number().int().positive(),
    data: z.instanceof(Uint8Array).optional(),
    close: reason.optional(),
    ping: z.boolean().optional(),
  }),
  'session.ack': z.object({ seq: z.number().int().nonnegative() }),
  /** Server -> requester: a stage of the session started (detail: counts so far). */
  'qkd.progress': z.object({ requestId: z.string(), sessionId: sessionId.optional(), stage: z.string().max(100), detail: z.record(z.union([z.number(), z.string()])).optional() }),
  /** Server -> requester: the session ended (result on success, reason otherwise). */
  'qkd.result': z.object({ requestId: z.string(), ok: z.boolean(), reason: reason.optional(), result: z.record(z.unknown()).optional() }),
});

export type SessionReady = MessageBody<typeof SessionMessages, 'session.ready'>;
export type SessionStaged = MessageBody<typeof SessionMessages, 'session.staged'>;
export type SessionFailed = MessageBody<typeof SessionMessages, 'session.failed'>;
export type StreamFrame = MessageBody<typeof SessionMessages, 'session.frame'>;
export type SessionStage = z.infer<typeof stageName>;

export const coordinatorSystemId = (sessionId: string): string => `session-${sessionId}`;
export const localControlSystemId = (node: string): string => `local-${node}`;
/** Where the server's coordinators send to a node's local control. */
export const localControlAddress = (node: string): string => actorAddress(node, localControlSystemId(node));
