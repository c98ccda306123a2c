// Node -> server request/reply on `sessions.decision` (runtime/subjects.ts): what was decided for a session whose block the
// node holds staged (runtime/processes/session-recovery.ts asks, the server's session wiring answers
// from its live coordinators and the durable record, infra/keypool/decisions.ts).
import { z } from 'zod';
import { defineMessages, type MessageBody } from '../../runtime/messages.ts';

const sessionId = z.string().regex(/^[A-Za-z0-9_.:-]+$/).max(128);

export const DecisionMessages = defineMessages({
  'session.decision.ask': z.object({ sessionId, node: z.string().regex(/^[A-Za-z0-9_-]+$/).max(64) }),
  /** pending: the session's coordinator is still running and has not decided; ask again later. */
  'session.decision': z.object({ sessionId, decision: z.enum(['commit', 'abort', 'pending']) }),
});

export type DecisionAnswer = MessageBody<typeof DecisionMessages, 'session.decision'>;
