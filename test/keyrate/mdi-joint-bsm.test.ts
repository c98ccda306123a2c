import test from 'ava';
import { jointBsmToMdiLink } from '../../protocols/physics/joint-bsm.ts';
import { mdiLinkFromFibres, mdiGains } from '../../protocols/physics/mdi-model.ts';

const det = (fibreKm: number, etaDet = 0.2, pDark = 1e-6) => ({ fibreKm, etaDet, pDark });

test('equal server-to-detector fibres: the joint BSM is a relay behind the common fibre', (t) => {
  const j = jointBsmToMdiLink({ lengthAKm: 20, lengthBKm: 30, ports: [det(10), det(10)], eMis: 0.01 });
  const single = mdiLinkFromFibres({ lengthAKm: 30, lengthBKm: 40, etaDet: 0.2, pDark: 1e-6, eMis: 0.01 });
  t.is(j.deltaKm, 0);
  t.is(j.etaDeltaL, 1);
  t.true(Math.abs(j.link.etaA / single.etaA - 1) < 1e-12);
  t.true(Math.abs(j.link.etaB / single.etaB - 1) < 1e-12);
  t.is(j.mismatch, 0);
});

test('asymmetric part acts as extra detection efficiency 10^(-alpha dL/10) of the longer port', (t) => {
  const j = jointBsmToMdiLink({ lengthAKm: 10, lengthBKm: 10, ports: [det(5), det(15)], eMis: 0.01 });
  t.is(j.commonKm, 5);
  t.is(j.deltaKm, 10);
  t.is(j.longerPort, 1);
  t.true(Math.abs(j.etaDeltaL - 10 ** -0.2) < 1e-15);
  t.true(Math.abs(j.portEfficiency[1] - 0.2 * 10 ** -0.2) < 1e-15);
  // Z basis (no interference): each photon leaves by either port with probability 1/2, so the
  // single-pair detection probability is the square of the port-averaged efficiency times the
  // channel: compare the equivalent link's Z-basis gain with that independent product.
  const tCh = 10 ** (-0.2 * 15 / 10); // 10 km source fibre + 5 km common
  const etaMean = (0.2 + 0.2 * 10 ** -0.2) / 2;
  const g = mdiGains(1e-3, 1e-3, { ...j.link, pDark: 0 });
  const expectQz = (1e-3 * tCh * etaMean) ** 2 / 2;
  t.true(Math.abs(g.qZ / expectQz - 1) < 1e-3);
  t.true(Math.abs(j.mismatch - ((1 - 10 ** -0.2) / (1 + 10 ** -0.2)) ** 2) < 1e-12);
});

test('rejects negative lengths naming the field', (t) => {
  const e = t.throws(() => jointBsmToMdiLink({ lengthAKm: 10, lengthBKm: 10, ports: [det(-1), det(3)], eMis: 0 }));
  t.regex(e?.message ?? '', /ports\[0\]\.fibreKm/);
});
