// `hetqn keyrate bbm92`: BBM92 with an SPDC source between the two D nodes (Ma, Fung, Lo 2007),
// with a given, tabulated or optimised pair number.
import { fibreTransmittance } from '../../physics/channel.ts';
import { bbm92Optimise, bbm92Predict } from '../../keyrate/bbm92.ts';
import { lookupParams } from '../../keyrate/param-table.ts';
import type { KeyrateCli } from '../descriptor.ts';

export const bbm92Cli: KeyrateCli = {
  links: 'two',
  options: [['--lambda <l>', 'SPDC mean pair number / 2'], ['--qx <q>', "the D nodes' X-basis probability (default 0.5)"]],
  examples: ['hetqn keyrate bbm92 --length-km 40 --seconds 10 --optimise'],
  run(x) {
    const arm = (km: number) => fibreTransmittance(km, x.alphaDbPerKm, x.extraLossDb / 2) * x.etaDet;
    const link = { etaA: arm(x.lengthAKm), etaB: arm(x.lengthBKm), pDark: x.pDark, eMis: x.eMis };
    if (x.optimise) return { ...bbm92Optimise({ link, pulses: x.pulses, f: x.f, eps: x.eps }), paramsSource: 'optimised' };
    const lambda = x.num('lambda', { min: 0 }) ?? (x.table ? lookupParams(x.table, 'bbm92', x.lossDb, x.pulses)?.params.lambda : undefined) ?? 0.02;
    const qX = x.num('qx', { min: 0.01, max: 0.99 }) ?? 0.5;
    return { ...bbm92Predict({ link, lambda, qX, pulses: x.pulses, f: x.f, eps: x.eps }) };
  },
};
