// The HOM visibility that would explain a published MDI row (protocols/keyrate/referee.ts) against
// the calibration file's own diagnostic (written by a different function, rowEquivalentVisibility,
// at calibration time) and the physics bounds of the plausibility classes.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { REFERENCE_MDI_ROWS, predictMdiRow } from '../../protocols/keyrate/mdi-reference.ts';
import { diagnoseVisibility, plausibilityOf } from '../../protocols/keyrate/referee.ts';

const cal = JSON.parse(readFileSync(new URL('../../infra/topologies/reference-calibration-mdi.json', import.meta.url), 'utf8')).mdi;

for (const row of REFERENCE_MDI_ROWS) {
  test(`${row.pair}: the visibility reproduces the published l_sec at the published f, as the calibration recorded`, (t) => {
    const c = cal.links[row.pair];
    const rc = { pair: row.pair, lengthAKm: c.lengthAKm, lengthBKm: c.lengthBKm, extraLossDb: c.extraLossDb, eMis: c.eMis, visibility: cal.hom.visibility, params: c.params };
    const d = diagnoseVisibility(row, rc);
    t.true(Number.isFinite(d.visibility) && d.visibility <= 1);
    t.true(Math.abs(d.visibility - c.equivalentVisibility) < 2e-3, `${d.visibility} vs ${c.equivalentVisibility}`);
    t.true(Math.abs(predictMdiRow(row, rc, d.visibility).ratio - 1) < 0.01);
    // the key grows with V: at V = 1 it is at least the published one
    t.true(d.ratioAtPerfect >= 1);
  });
}

test('plausibility classes follow the WCP HOM bound (dip = V/2 <= 1/2)', (t) => {
  t.is(plausibilityOf(1.02).plausibility, 'impossible');
  t.is(plausibilityOf(0.995).plausibility, 'edge');
  t.is(plausibilityOf(0.94).plausibility, 'plausible');
  t.is(plausibilityOf(0.8).plausibility, 'poor');
  t.regex(plausibilityOf(0.94).why, /HOM dip 47\.0 %/);
});
