// Regenerates infra/topologies/reference-calibration-mdi.json (the "mdi" calibration section).
// Run: npx tsx test/keyrate/mdi-reference-gen.ts
import { writeFileSync } from 'node:fs';
import { calibrateReferenceMdi, mdiReferenceCalibrationJson } from '../../protocols/keyrate/mdi-reference.ts';

const fit = calibrateReferenceMdi();
const json = { mdi: mdiReferenceCalibrationJson(fit) };
const path = new URL('../../infra/topologies/reference-calibration-mdi.json', import.meta.url);
writeFileSync(path, JSON.stringify(json, null, 2) + '\n');
process.stderr.write(`wrote ${path.pathname}\n`);
for (const f of fit.fits) process.stderr.write(`${f.pair}: ratio ${f.ratio.toFixed(3)}\n`);
