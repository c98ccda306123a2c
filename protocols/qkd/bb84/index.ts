// Decoy-state BB84 (Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014)): a C (or heralded E)
// transmitter to a D node, no relay.
import type { QkdProtocol } from '../descriptor.ts';
import { dbToTransmittance } from '../../physics/channel.ts';
import { bb84Optimise } from '../../keyrate/bb84-optimise.ts';
import { selectBb84 } from './rule.ts';
import { bb84Candidates } from './plan.ts';
import { bb84AtEfficiency, finiteBb84, rankBb84, type Bb84Channel } from './keyrate.ts';
import { bb84Fabric } from './fabric.ts';
import { runBb84Party } from './party.ts';
import { bb84Cli } from './cli.ts';
import { bb84SourceParams } from './params.ts';
import type { Bb84Link } from '../../physics/bb84-model.ts';

export const bb84 = {
  name: 'bb84',
  title: 'BB84',
  variants: ['bb84'],
  roles: ['source', 'detector'],
  rule: { pairs: ['CD', 'DE'], helper: 'none', select: selectBb84 },
  candidates: bb84Candidates,
  keyrate: { rank: rankBb84, finite: finiteBb84, atEfficiency: bb84AtEfficiency, disclosure: 'none' },
  spreadInput: (link, params, pulses) => ({ protocol: 'bb84', link: link as unknown as Bb84Link, source: bb84SourceParams(params), pulses }),
  table: {
    row: (lossDb, pulses, a, start) => bb84Optimise({
      link: { etaCh: dbToTransmittance(lossDb), etaDet: a.etaDet, pDark: a.pDark, pAfterpulse: a.pAfterpulse, eMis: a.eMis },
      f: a.f, pulses, eps: { epsSec: a.epsSec, epsCor: a.epsCor }, mu3: a.mu3, qXBob: a.qXBob, ...(start ? { start } : {}),
    }),
  },
  keyrateCli: bb84Cli,
  fabric: bb84Fabric,
  participants: (plan) => {
    const leg = plan.legs[0]!;
    return [{ node: leg.from, role: 'source', peer: leg.to, holdsKey: true }, { node: leg.to, role: 'detector', peer: leg.from, holdsKey: true }];
  },
  party: runBb84Party,
  summary: { reportingRole: 'detector' },
} as const satisfies QkdProtocol<Bb84Channel>;
