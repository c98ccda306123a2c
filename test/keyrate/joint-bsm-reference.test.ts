// The joint BSM derived from a calibrated pair (joint-bsm-reference.ts) against hand-derived
// transmittances: what it keeps of the calibration, what it replaces, and the limiting case in
// which it must give back the single relay's link.
import test from 'ava';
import { calibratedJointBsm, TBP_RELAY_PATTERN_LOSS_PER_SIDE_DB } from '../../protocols/keyrate/joint-bsm-reference.ts';
import { jointBsmToMdiLink } from '../../protocols/physics/joint-bsm.ts';
import { mdiLinkFromFibres } from '../../protocols/physics/mdi-model.ts';

// Bob-Charlie as calibrated at David (infra/topologies/reference-calibration-mdi.json).
const bc = { lengthAKm: 33.818, lengthBKm: 28.182, extraLossDb: 6.52, eMis: 0.01567, visibility: 0.945, channelDof: 'tbp' };
const spools = { nodeKmA: 11, nodeKmB: 5, relayKm: 25 };
const det = (fibreKm: number) => ({ fibreKm, etaDet: 0.2, pDark: 1e-6 });
const db = (x: number) => 10 ** (-x / 10);

test('David\'s one-early/one-late SPD pair keeps 1 of the 4 two-photon patterns: 10 log10(4)/2 dB per side', (t) => {
  t.true(Math.abs(TBP_RELAY_PATTERN_LOSS_PER_SIDE_DB - 3.0103) < 1e-4);
});

test('per side: the source share of the effective length, the fitted loss less David\'s pattern loss, the beam splitter; per port: cross-connect, fibre, the 1/2 early/late split', (t) => {
  const optics = { beamSplitterLossDb: 0.2, outputCrossConnectDb: [1, 1] as [number, number], couplerExcessDb: 0.2 };
  const cfg = calibratedJointBsm(bc, spools, optics, [det(25), det(25)]);
  const eq = jointBsmToMdiLink(cfg);
  // by hand: Bob's share 62 x 11/66 km at 0.2 dB/km, + 3.26 - 3.0103 + 0.2 dB; port: 25 km, 1 dB, 0.2 x 1/2 x 0.2 dB
  const bobDb = 0.2 * (62 * 11) / 66 + 6.52 / 2 - 10 * Math.log10(2) + 0.2;
  const portEta = db(0.2 * 25 + 1) * 0.2 * 0.5 * db(0.2);
  t.true(Math.abs(eq.link.etaA / (db(bobDb) * portEta) - 1) < 1e-9);
  t.is(eq.deltaKm, 0);
  t.is(cfg.eMis, bc.eMis);
  t.is(cfg.visibility, bc.visibility);
});

test('limiting case: lossless server optics and ports on the relay\'s own fibre share reproduce the calibrated single-relay link', (t) => {
  // With the port fibre equal to David's share of the effective length, no beam splitter or
  // cross-connect loss and no coupler excess, the joint BSM's 1/2 early/late split per photon equals
  // David's 1/4 patterns (3.01 dB per side): the same transmittance per side as the calibration.
  const relayShare = (62 * 25) / 66;
  const cfg = calibratedJointBsm(bc, spools, { beamSplitterLossDb: 0, outputCrossConnectDb: [0, 0], couplerExcessDb: 0 }, [det(relayShare), det(relayShare)]);
  const joint = jointBsmToMdiLink(cfg).link;
  const single = mdiLinkFromFibres({ lengthAKm: bc.lengthAKm, lengthBKm: bc.lengthBKm, etaDet: 0.2, pDark: 1e-6, eMis: bc.eMis, extraLossADb: bc.extraLossDb / 2, extraLossBDb: bc.extraLossDb / 2 });
  // (1e-4: the calibration file rounds L_A to 33.818 km, the proportional split gives 33.8182)
  t.true(Math.abs(joint.etaA / single.etaA - 1) < 1e-4);
  t.true(Math.abs(joint.etaB / single.etaB - 1) < 1e-4);
});

test('a polarization pair measured at David loses no pattern there: nothing is taken back', (t) => {
  const optics = { beamSplitterLossDb: 0, outputCrossConnectDb: [0, 0] as [number, number], couplerExcessDb: 0 };
  const pol = calibratedJointBsm({ ...bc, channelDof: 'pol' }, spools, optics, [det(10), det(10)]);
  t.is(pol.extraLossADb, bc.extraLossDb / 2);
});
