// The QKD protocols this network runs: one line per protocol (its folder's descriptor). Every
// protocol name, session protocol, role, zod enum and CLI choice is derived from this list; the
// orchestration core, the fabric, the party runner, the session wiring and the CLI look protocols
// up here (docs/adding-a-protocol.md).
import type { NodeType } from '../types.ts';
import type { Channel, QkdProtocol } from './descriptor.ts';
import { pairKey } from './descriptor.ts';
import { bb84 } from './bb84/index.ts';
import { mdi } from './mdi/index.ts';
import { bbm92 } from './bbm92/index.ts';

export const PROTOCOLS = [bb84, mdi, bbm92] as const satisfies readonly QkdProtocol<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

type Any = QkdProtocol<Channel>;
const all = PROTOCOLS as unknown as readonly Any[];

/** What a request or the CLI may name. */
export type ProtocolName = (typeof PROTOCOLS)[number]['name'];
/** What a plan runs (a protocol or one of its variants, e.g. 'mdi-joint'). */
export type SessionProtocol = (typeof PROTOCOLS)[number]['variants'][number];
/** Roles a participant may play. */
export type SessionRoleName = (typeof PROTOCOLS)[number]['roles'][number];

export const PROTOCOL_NAMES = all.map((p) => p.name) as [ProtocolName, ...ProtocolName[]];
export const SESSION_PROTOCOLS = all.flatMap((p) => p.variants) as [SessionProtocol, ...SessionProtocol[]];
export const SESSION_ROLES = [...new Set(all.flatMap((p) => p.roles))] as [SessionRoleName, ...SessionRoleName[]];

/** The descriptor of a protocol name. */
export function protocolNamed(name: string): Any | undefined {
  return all.find((p) => p.name === name);
}

/** The descriptor that runs a session protocol (a name or a variant). */
export function protocolOf(session: string): Any {
  const p = all.find((x) => x.variants.includes(session));
  if (!p) throw new Error(`unknown session protocol "${session}" (known: ${SESSION_PROTOCOLS.join(', ')})`);
  return p;
}

/** The protocols that serve a pair of node types (the node-type rule), in registry order. */
export function protocolsFor(a: NodeType, b: NodeType): Any[] {
  const k = pairKey(a, b);
  return all.filter((p) => p.rule.pairs.includes(k));
}

export const isProtocolName = (s: string): s is ProtocolName => all.some((p) => p.name === s);
