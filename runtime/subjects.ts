// NATS subject names: the one place that builds and parses them (docs/ARCHITECTURE.md "Subjects" and
// "Trust on the bus").
//
// Every subject is `qn.<net>.<relative>.<sender>`: `qn.<net>.` lets several networks share one NATS,
// and the LAST token is the bus identity that published it. Hosts and machines work with relative
// subjects ("status", "actor.server.hypervisor"); the host adds the prefix and its own identity at the
// bus boundary (`fullSubject`), and a receiver takes the sender from the subject (`senderOf`), never
// from a payload. The generated nats-server config (infra/nats-config.ts, from `permissionsOf`
// below) lets each identity publish only subjects ending in its own token, so the sender token is
// authenticated by the server. The relative subjects:
//   actor.<owner>.<systemId>      one actor's inbox; owner = the identity hosting it
//   coord.<sid>                   a QKD session's coordinator (server), where its participants report
//   session.<sid>.<to>            a QKD session's classical channel into one participant
//   fabric.<sid>.<to>             the emulated optics' delivery to one participant (server only)
//   taskchan.<to>                 task classical channels into one node
//   tasks.<to>.<requestId>        a request's notices and result, for the requester
//   status                        heartbeats and goodbyes of the sending node
//   registry.challenge|announce   admission (request/reply, platform)
//   platform.request              task requests from clients
//   sessions.decision             a node asks the server for a session's recorded decision
//   process.<owner>.<processId>   each host answers runtime.ping here
//   inspect.<processId>           inspection events; inspectctl: the inspector's lease
// Replies go to the requester's own inbox prefix `_INBOX.<net>.<identity>` (nats.js inboxPrefix),
// which only that identity may subscribe to; responders publish there through allow_responses, and a
// host answers only to the inbox of the identity the request came from (host.ts reply).
import { SERVER_IDENTITY } from './port.ts';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Check one subject token (a node name, a system id...): no dots, spaces or wildcards. */
export function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new Error(`${kind} "${value}" is not a valid subject token (letters, digits, _ and - only)`);
  return value;
}

/** Identities with a fixed role besides the nodes (node names may not take these). */
export const SERVER = SERVER_IDENTITY;
export const CLIENT = 'client';
export const INSPECTOR = 'inspector';
export const RESERVED_IDENTITIES = [SERVER, CLIENT, INSPECTOR] as const;

export type IdentityRole = 'server' | 'node' | 'client' | 'inspector';

/** The role of an identity name: the three reserved ones, else a node. */
export function roleOf(identity: string): IdentityRole {
  return identity === SERVER ? 'server' : identity === CLIENT ? 'client' : identity === INSPECTOR ? 'inspector' : 'node';
}

export const subject = {
  announce: () => 'registry.announce',
  challenge: () => 'registry.challenge',
  actor: (owner: string, systemId: string) => `actor.${token('owner', owner)}.${token('systemId', systemId)}`,
  coordinator: (sessionId: string) => `coord.${token('sessionId', sessionId)}`,
  session: (sessionId: string, to: string) => `session.${token('sessionId', sessionId)}.${token('node', to)}`,
  fabric: (sessionId: string, to: string) => `fabric.${token('sessionId', sessionId)}.${token('node', to)}`,
  taskChannel: (to: string) => `taskchan.${token('node', to)}`,
  tasks: (to: string, requestId: string) => `tasks.${token('requester', to)}.${token('requestId', requestId)}`,
  platformRequest: () => 'platform.request',
  decision: () => 'sessions.decision',
  /** Heartbeats and goodbyes; the sender token names the node. */
  status: () => 'status',
  inspect: (processId: string) => `inspect.${token('processId', processId)}`,
  inspectAll: () => 'inspect.*',
  inspectControl: () => 'inspectctl',
  /** Every request's notices (`tasks.<requester>.<requestId>`: progress and results, no key
   *  material), for the inspector. */
  tasksAll: () => 'tasks.*.*',
  process: (owner: string, processId: string) => `process.${token('owner', owner)}.${token('processId', processId)}`,
} as const;

/** An actor's address for `send`: "owner/systemId", or a bare systemId for an actor of the sender's own identity. */
export function parseAddress(to: string, self: string): { owner: string; systemId: string } {
  const i = to.indexOf('/');
  return i < 0 ? { owner: self, systemId: to } : { owner: to.slice(0, i), systemId: to.slice(i + 1) };
}

/** `qn.<net>.<relative>.<sender>`; `sender` may be `*` in a subscription (any sender). */
export function fullSubject(net: string, relative: string, sender: string): string {
  return `qn.${token('network', net)}.${relative}.${sender === '*' ? '*' : token('sender', sender)}`;
}

/** The publishing identity of a full subject: its last token. */
export function senderOf(full: string): string {
  return full.slice(full.lastIndexOf('.') + 1);
}

/** Where an identity's requests get their replies (nats.js `inboxPrefix`). */
export function inboxPrefix(net: string, identity: string): string {
  return `_INBOX.${token('network', net)}.${token('identity', identity)}`;
}

/** NATS subject matching with `*` (one token) and `>` (the rest). */
export function subjectMatches(pattern: string, subj: string): boolean {
  const p = pattern.split('.');
  const s = subj.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export interface Permissions { publish: string[]; subscribe: string[]; allowResponses: boolean }

/** What one identity may publish and subscribe to (full subjects): least privilege per role.
 *  Every publish pattern ends in the identity's own token; every subscription is addressed to it
 *  (or is one of the server's services). */
export function permissionsOf(net: string, identity: string): Permissions {
  const q = (rel: string, from: string) => fullSubject(net, rel, from);
  const me = token('identity', identity);
  const inbox = `${inboxPrefix(net, me)}.>`;
  const ownControl = [`qn.${net}.process.${me}.>`, q(subject.inspectControl(), INSPECTOR)];
  const inspectOut = q('inspect.*', me);
  switch (roleOf(me)) {
    case 'server':
      return {
        publish: [q('actor.*.*', me), q('fabric.*.*', me), q('tasks.*.*', me), inspectOut],
        subscribe: [`qn.${net}.actor.${me}.>`, q('coord.*', '*'), q('registry.*', '*'), q(subject.status(), '*'), q(subject.platformRequest(), '*'), q(subject.decision(), '*'), ...ownControl, inbox],
        allowResponses: true,
      };
    case 'node':
      return {
        // No server actor's inbox: a node reaches the server only through these subjects.
        publish: [q('coord.*', me), q('session.*.*', me), q('taskchan.*', me), q(subject.status(), me),
          q(subject.challenge(), me), q(subject.announce(), me), q(subject.decision(), me), inspectOut,
          // is the network still there (network-watch.ts): a ping of the server process
          q(subject.process(SERVER, SERVER), me)],
        subscribe: [`qn.${net}.actor.${me}.>`, q(`session.*.${me}`, '*'), q(`fabric.*.${me}`, SERVER), q(`taskchan.${me}`, '*'), ...ownControl, inbox],
        allowResponses: true,
      };
    case 'client':
      return {
        publish: [q(subject.platformRequest(), me), q(subject.actor(SERVER, 'hypervisor'), me), q(subject.actor(SERVER, 'tasks'), me), inspectOut],
        subscribe: [`qn.${net}.tasks.${me}.>`, ...ownControl, inbox],
        allowResponses: true,
      };
    case 'inspector':
      return {
        publish: [q(subject.inspectControl(), me), q('process.*.*', me), q(subject.actor(SERVER, 'hypervisor'), me), inspectOut],
        // Monitoring: inspection events, heartbeats and every request's notices (no key material).
        subscribe: [`qn.${net}.inspect.>`, q(subject.status(), '*'), q(subject.tasksAll(), SERVER), ...ownControl, inbox],
        allowResponses: true,
      };
  }
}
