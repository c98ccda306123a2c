// Every role's steps by role name, plus the one-step query role of what a node saw in a QBA broadcast.
import type { TaskRole } from './tasks.messages.ts';
import { qdsForwarderSteps, qdsSignerSteps, qdsVerifierSteps, type Step } from './qds-roles.ts';
import { conferenceParticipantSteps, conferenceSponsorSteps } from './conference-roles.ts';

import { valueDigest } from './value-digest.ts';

export { valueDigest };

const qbaSeenSteps: Record<string, Step<Extract<TaskRole, { role: 'qba.seen' }>>> = {
  async report(run) {
    run.result.seen = run.svc.qba.seen(run.params.taskId).map(valueDigest);
    run.svc.qba.forget(run.params.taskId);
  },
};

export const ROLE_IMPLEMENTATIONS: Record<TaskRole['role'], Record<string, Step<never>>> = {
  'qds.signer': qdsSignerSteps, 'qds.forwarder': qdsForwarderSteps, 'qds.verifier': qdsVerifierSteps,
  'conf.sponsor': conferenceSponsorSteps, 'conf.participant': conferenceParticipantSteps,
  'qba.seen': qbaSeenSteps,
} as never;
