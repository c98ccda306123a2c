// BBM92 (Bennett, Brassard, Mermin, PRL 68, 557 (1992); finite key after Ma, Fung, Lo, PRA 76,
// 012307 (2007)): two D nodes measure the pairs of an untrusted E source.
import type { QkdProtocol } from '../descriptor.ts';
import { dbToTransmittance } from '../../physics/channel.ts';
import { bbm92Optimise } from '../../keyrate/bbm92.ts';
import { selectBbm92 } from './rule.ts';
import { bbm92Candidates } from './plan.ts';
import { bbm92AtEfficiency, finiteBbm92, rankBbm92, type Bbm92Channel } from './keyrate.ts';
import { bbm92Fabric } from './fabric.ts';
import { runBbm92Role } from './party.ts';
import { bbm92Cli } from './cli.ts';

export const bbm92 = {
  name: 'bbm92',
  title: 'BBM92',
  variants: ['bbm92'],
  roles: ['source-a', 'source-b', 'relay'],
  rule: { pairs: ['DD'], helper: 'E', select: selectBbm92 },
  candidates: bbm92Candidates,
  keyrate: { rank: rankBbm92, finite: finiteBbm92, atEfficiency: bbm92AtEfficiency, disclosure: 'sample' },
  table: {
    // End-to-end loss split evenly between the two arms.
    row: (lossDb, pulses, a) => {
      const eta = dbToTransmittance(lossDb / 2) * a.etaDet;
      return bbm92Optimise({ link: { etaA: eta, etaB: eta, pDark: a.pDark, eMis: a.eMis }, pulses, f: a.f, eps: { epsSec: a.epsSec, epsCor: a.epsCor } });
    },
  },
  keyrateCli: bbm92Cli,
  fabric: bbm92Fabric,
  participants: (plan) => {
    if (plan.relay.kind !== 'source') throw new Error(`plan ${plan.sessionId}: BBM92 needs an E source`);
    return [
      { node: plan.a, role: 'source-a', peer: plan.b, holdsKey: true },
      { node: plan.b, role: 'source-b', peer: plan.a, holdsKey: true },
      { node: plan.relay.node, role: 'relay', peer: plan.a, holdsKey: false },
    ];
  },
  party: runBbm92Role,
  summary: { reportingRole: 'source-b' },
} as const satisfies QkdProtocol<Bbm92Channel>;
