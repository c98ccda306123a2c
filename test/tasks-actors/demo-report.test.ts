// The demo's report pieces without a network: QKD rows against the published table (deviation =
// (ours - published x scale) / (published x scale)), the text table, and the SVG plots.
import test from 'ava';
import { qkdRow } from '../../runtime/demo/paper.ts';
import { PUBLISHED_QKD } from '../../runtime/demo/published.ts';
import { renderQkd } from '../../runtime/demo/report.ts';
import { keyLengthSvg, signatureRateSvg } from '../../runtime/demo/plots.ts';

const da = PUBLISHED_QKD[0]!;

test('published table: ten pairs, D–A as in the paper', (t) => {
  t.is(PUBLISHED_QKD.length, 10);
  t.deepEqual([da.pair, da.T, da.L, da.lSift, da.eB, da.lSec], ['D–A', 2, 35.3, 16_387_303, 0.0088, 5_895_618]);
});

test('a QKD row: deviations against the published values scaled by s', (t) => {
  const r = qkdRow(da, 0.5, { ok: true, status: 'done', wallMs: 1, result: { seconds: 1, l_sift: 8_193_651.5 * 1.1, qber: 0.009, l_sec: 5_895_618 * 0.5 * 0.8, f: 1.1, protocol: 'bb84' } });
  t.true(Math.abs(r.deviation!.lSift - 0.1) < 1e-9);
  t.true(Math.abs(r.deviation!.lSec + 0.2) < 1e-9);
  t.true(Math.abs(r.deviation!.eB - 0.0002) < 1e-12);
  const missing = qkdRow(da, 1, { ok: false, status: 'failed', wallMs: 1, reason: 'fabric down' });
  t.is(missing.note, 'not available: fabric down');
  t.is(missing.ours, undefined);
});

test('the text table carries published and our values side by side; plots are SVG', (t) => {
  const rows = PUBLISHED_QKD.map((p, i) => qkdRow(p, 1, i === 0 ? { ok: true, status: 'done', wallMs: 1, result: { seconds: 2, l_sift: 16_000_000, qber: 0.009, l_sec: 5_000_000, f: 1.05, protocol: 'bb84' } } : undefined, 'not run'));
  const text = renderQkd(rows, 1);
  t.regex(text, /D–A\s+BB84\s+pol\s+2\s+35\.3\s+1\.138\s+1\.050\s+16 387 303\s+16 000 000\s+-2\.4%/);
  t.regex(text, /A–B: not available: not run/);
  for (const svg of [keyLengthSvg(rows, 1), signatureRateSvg(rows, 106, 1800)]) t.regex(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
});
