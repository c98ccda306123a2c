// `hetqn keyrate mdi`: four-intensity MDI-QKD with each end's fibre to the relay, with tabulated
// or optimised source parameters.
import { mdiLinkFromFibres } from '../../physics/mdi-model.ts';
import { mdiOptimise, mdiPredict } from '../../keyrate/mdi.ts';
import { lookupParams } from '../../keyrate/param-table.ts';
import type { KeyrateCli } from '../descriptor.ts';

export const mdiCli: KeyrateCli = {
  links: 'two',
  options: [['--visibility <v>', 'HOM visibility', '1']],
  examples: ['hetqn keyrate mdi --length-a-km 30 --length-b-km 20 --seconds 1000 --optimise'],
  run(x) {
    const visibility = x.num('visibility', { min: 0, max: 1 }) ?? 1;
    const link = mdiLinkFromFibres({ lengthAKm: x.lengthAKm, lengthBKm: x.lengthBKm, etaDet: x.etaDet, pDark: x.pDark, eMis: x.eMis, visibility, alphaDbPerKm: x.alphaDbPerKm, extraLossADb: x.extraLossDb / 2, extraLossBDb: x.extraLossDb / 2 });
    const security = { epsPE: x.eps.epsSec, epsCor: x.eps.epsCor };
    if (x.optimise) return { ...mdiOptimise({ link, pulses: x.pulses, f: x.f, security, symmetric: x.lengthAKm === x.lengthBKm }), paramsSource: 'optimised' };
    const t = x.table ? lookupParams(x.table, 'mdi', x.lossDb, x.pulses)?.params : undefined;
    const side = (S: 'A' | 'B') => (t ? { s: t[`s${S}`]!, mu: t[`mu${S}`]!, nu: t[`nu${S}`]!, pS: t[`pS${S}`]!, pMu: t[`pMu${S}`]!, pNu: t[`pNu${S}`]! } : { s: 0.3, mu: 0.2, nu: 0.02, pS: 0.6, pMu: 0.1, pNu: 0.2 });
    return { ...mdiPredict({ link, pulses: x.pulses, params: { a: side('A'), b: side('B') }, f: x.f, security }), paramsSource: t ? 'table' : 'default' };
  },
};
