import test from 'ava';
import { lookupParams } from '../../protocols/keyrate/param-table.ts';
import { buildParamTable } from '../../protocols/qkd/table.ts';
import { bb84Predict } from '../../protocols/keyrate/bb84-lim.ts';
import { bb84Optimise } from '../../protocols/keyrate/bb84-optimise.ts';
import { dbToTransmittance } from '../../protocols/physics/channel.ts';

const table = buildParamTable({ lossGridDb: [4, 8, 12], pulsesGrid: [1e9, 1e10], protocols: ['bb84', 'bbm92'] });

test('table has a row per cell of each protocol asked for, none of the others; an unknown protocol is an error', t => {
  t.is(table.rows.bb84!.length, 6);
  t.is(table.rows.bbm92!.length, 6);
  t.is(table.rows.mdi, undefined);
  t.throws(() => buildParamTable({ lossGridDb: [4], pulsesGrid: [1e9], protocols: ['nope'] }), { message: /nope/ });
});

test('lookup at a grid point returns that row; between points it interpolates feasibly', t => {
  const exact = lookupParams(table, 'bb84', 8, 1e10)!;
  const row = table.rows.bb84!.find(r => r.lossDb === 8 && r.pulses === 1e10)!;
  t.deepEqual(exact.params, row.params);
  const mid = lookupParams(table, 'bb84', 10, 3e9)!;
  const p = mid.params;
  t.true(mid.inGrid);
  t.true(p.mu1 > p.mu2 + p.mu3 && p.mu2 > p.mu3);
  t.true(p.pMu1 > 0 && p.pMu2 > 0 && p.pMu1 + p.pMu2 < 1);
  t.false(lookupParams(table, 'bb84', 50, 1e9)!.inGrid);
});

test('interpolated settings are close to optimal (within 5 % of the optimised key)', t => {
  const a = table.assumptions;
  const link = { etaCh: dbToTransmittance(10), etaDet: a.etaDet, pDark: a.pDark, pAfterpulse: a.pAfterpulse, eMis: a.eMis };
  const eps = { epsSec: a.epsSec, epsCor: a.epsCor };
  const p = lookupParams(table, 'bb84', 10, 1e10)!.params;
  const fromTable = bb84Predict({ link, source: { qX: p.qX, mu1: p.mu1, mu2: p.mu2, mu3: p.mu3, pMu1: p.pMu1, pMu2: p.pMu2, qXBob: a.qXBob }, pulses: 1e10, f: a.f, eps });
  const opt = bb84Optimise({ link, f: a.f, pulses: 1e10, eps, mu3: a.mu3, qXBob: a.qXBob });
  t.true(fromTable.secretBits > 0.95 * opt.secretBits);
  t.true(fromTable.secretBits <= opt.secretBits * 1.001);
});
