// The party runner: a participant's half of any session, looked up by its session protocol. The
// node's party machine (actors/sessions/party-machine.ts) is the same for every protocol; the node
// process runs this in a worker thread as the machine's injected `runProtocol`.
import type { PpMessage } from '../postprocessing/channel.ts';
import type { PartyIo, PartyStart, Staged } from './party.ts';
import { protocolOf } from './registry.ts';

export function runParty(start: PartyStart, frames: PpMessage[], io: PartyIo): Promise<Staged> {
  return protocolOf(start.protocol).party(start, frames, io);
}
