// MDI-QKD (four-intensity decoys; Xu, Curty, Qi, Lo, NJP 15, 113007 (2013); Zhou, Yu, Wang,
// PRA 93, 042324 (2016)): two C (or E) sources through an untrusted D relay's BSM, or, as the
// variant 'mdi-joint', a joint BSM of two D nodes behind the server's beam splitter.
import type { QkdProtocol } from '../descriptor.ts';
import { dbToTransmittance } from '../../physics/channel.ts';
import { mdiOptimise } from '../../keyrate/mdi.ts';
import { selectMdi } from './rule.ts';
import { mdiCandidates } from './plan.ts';
import { finiteMdi, mdiAtEfficiency, mdiRateBound, rankMdi, type MdiChannel } from './keyrate.ts';
import { mdiFabric } from './fabric.ts';
import { runMdiParty } from './party.ts';
import { mdiCli } from './cli.ts';
import { mdiSourceParams } from './params.ts';
import type { MdiLink } from '../../physics/mdi-model.ts';

export const mdi = {
  name: 'mdi',
  title: 'MDI',
  variants: ['mdi', 'mdi-joint'],
  roles: ['source-a', 'source-b', 'relay'],
  rule: { pairs: ['CC', 'CE', 'EE'], helper: 'D', select: selectMdi },
  candidates: mdiCandidates,
  keyrate: { rank: rankMdi, finite: finiteMdi, atEfficiency: mdiAtEfficiency, disclosure: 'sample', bound: (ch) => mdiRateBound(ch.link) },
  // Single relay and joint BSM alike: the fabric reports the joint BSM's equivalent MDI link.
  spreadInput: (link, params, pulses) => ({ protocol: 'mdi', link: link as unknown as MdiLink, params: mdiSourceParams(params), pulses }),
  table: {
    // End-to-end loss split evenly between the two sides.
    row: (lossDb, pulses, a) => {
      const eta = dbToTransmittance(lossDb / 2) * a.etaDet;
      return mdiOptimise({ link: { etaA: eta, etaB: eta, pDark: a.pDark, eMis: a.eMis, visibility: a.visibility ?? 1 }, pulses, f: a.f, security: { epsPE: a.epsSec, epsCor: a.epsCor }, symmetric: true });
    },
  },
  keyrateCli: mdiCli,
  fabric: mdiFabric,
  participants: (plan) => {
    const relays = plan.relay.kind === 'single' ? [plan.relay.node] : plan.relay.kind === 'joint' ? plan.relay.nodes : [];
    return [
      { node: plan.a, role: 'source-a', peer: plan.b, holdsKey: true },
      { node: plan.b, role: 'source-b', peer: plan.a, holdsKey: true },
      ...relays.map((n) => ({ node: n, role: 'relay', peer: plan.a, holdsKey: false })),
    ];
  },
  party: runMdiParty,
  summary: { reportingRole: 'source-b' },
} as const satisfies QkdProtocol<MdiChannel>;
