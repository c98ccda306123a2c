// NATS subject names (ARCHITECTURE.md "Subjects"). Everything is prefixed with `qn.<net>.` so several
// networks can share one NATS. Hosts and machines work with relative subjects ("actor.hypervisor");
// `fullSubject` adds the prefix at the bus boundary.

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Check one subject token (a node name, a system id...): no dots, spaces or wildcards. */
export function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new Error(`${kind} "${value}" is not a valid subject token (letters, digits, _ and - only)`);
  return value;
}

export const subject = {
  announce: () => 'registry.announce',
  challenge: () => 'registry.challenge',
  actor: (systemId: string) => `actor.${token('systemId', systemId)}`,
  session: (sessionId: string, node: string) => `session.${token('sessionId', sessionId)}.${token('node', node)}`,
  fabric: (sessionId: string, node: string) => `fabric.${token('sessionId', sessionId)}.${token('node', node)}`,
  platformRequest: () => 'platform.request',
  status: (node: string) => `status.${token('node', node)}`,
  /** All status subjects (the hypervisor listens here). */
  statusAll: () => 'status.*',
  inspect: (processId: string) => `inspect.${token('processId', processId)}`,
  inspectAll: () => 'inspect.*',
  inspectControl: () => 'inspectctl',
  /** Every request's notices (`tasks.<requestId>`: progress and results), for the inspector. */
  tasksAll: () => 'tasks.*',
  /** Each host answers runtime.ping here. */
  process: (processId: string) => `process.${token('processId', processId)}`,
} as const;

export function fullSubject(net: string, relative: string): string {
  return `qn.${token('network', net)}.${relative}`;
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
