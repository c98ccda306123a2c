// `hetqn keyrate bb84`: decoy BB84 over one fibre (Lim et al. 2014 finite key), with given,
// tabulated or optimised source parameters.
import type { Bb84SourceParams } from '../../physics/bb84-model.ts';
import { fibreTransmittance } from '../../physics/channel.ts';
import { bb84Optimise } from '../../keyrate/bb84-optimise.ts';
import { bb84Predict } from '../../keyrate/bb84-lim.ts';
import { lookupParams } from '../../keyrate/param-table.ts';
import type { KeyrateCli } from '../descriptor.ts';

export const bb84Cli: KeyrateCli = {
  links: 'one',
  options: [
    ['--afterpulse <p>', 'afterpulse probability', '0'],
    ['--qx-bob <q>', "receiver's X-basis probability (default 0.5, passive)"],
    ['--mu1 <mu>', 'signal intensity'], ['--mu2 <mu>', 'decoy intensity'], ['--mu3 <mu>', 'weakest decoy', '2e-4'],
    ['--p-mu1 <p>', 'probability of mu1'], ['--p-mu2 <p>', 'probability of mu2'], ['--qx <q>', "source's X-basis probability"],
  ],
  examples: ['hetqn keyrate bb84 --length-km 35.3 --seconds 2 --misalignment 0.0087 --f 1.138 --optimise   # D-A of the paper: ~5.9 Mbit'],
  run(x) {
    const link = { etaCh: fibreTransmittance(x.lengthAKm, x.alphaDbPerKm, x.extraLossDb), etaDet: x.etaDet, pDark: x.pDark, pAfterpulse: x.num('afterpulse', { min: 0, max: 1 }) ?? 0, eMis: x.eMis };
    const qXBob = x.num('qx-bob', { min: 0.01, max: 0.99 }) ?? 0.5;
    const mu3 = x.num('mu3', { min: 0 }) ?? 2e-4;
    if (x.optimise) return { ...bb84Optimise({ link, f: x.f, pulses: x.pulses, eps: x.eps, mu3, qXBob }), paramsSource: 'optimised' };
    const explicit = ['mu1', 'mu2', 'p-mu1', 'p-mu2', 'qx'].some((k) => x.given(k));
    const fromTable = !explicit && x.table ? lookupParams(x.table, 'bb84', x.lossDb, x.pulses)?.params : undefined;
    const base = fromTable ?? { qX: 0.9, mu1: 0.5, mu2: 0.1, pMu1: 0.8, pMu2: 0.15 };
    const source: Bb84SourceParams = {
      qX: x.num('qx', { min: 0.01, max: 0.99 }) ?? base.qX!,
      mu1: x.num('mu1', { min: 0 }) ?? base.mu1!,
      mu2: x.num('mu2', { min: 0 }) ?? base.mu2!,
      mu3,
      pMu1: x.num('p-mu1', { min: 0, max: 1 }) ?? base.pMu1!,
      pMu2: x.num('p-mu2', { min: 0, max: 1 }) ?? base.pMu2!,
      qXBob,
    };
    return { ...bb84Predict({ link, source, pulses: x.pulses, f: x.f, eps: x.eps }), paramsSource: explicit ? 'explicit' : fromTable ? 'table' : 'default' };
  },
};
