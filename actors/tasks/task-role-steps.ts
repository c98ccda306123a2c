// Every role's steps by role name, plus the two one-step query roles (what a node saw in a QBA
// broadcast; how many key bits it can withdraw from its pools, for the coordinator's chooser).
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

const poolsSteps: Record<string, Step<Extract<TaskRole, { role: 'pools.available' }>>> = {
  async report(run) {
    const out: Record<string, number> = {};
    for (const peer of run.params.peers) out[peer] = await run.svc.available(peer, run.params.kind).catch(() => 0);
    run.result.available = out;
  },
};

export const ROLE_IMPLEMENTATIONS: Record<TaskRole['role'], Record<string, Step<never>>> = {
  'qds.signer': qdsSignerSteps, 'qds.forwarder': qdsForwarderSteps, 'qds.verifier': qdsVerifierSteps,
  'conf.sponsor': conferenceSponsorSteps, 'conf.participant': conferenceParticipantSteps,
  'qba.seen': qbaSeenSteps, 'pools.available': poolsSteps,
} as never;
