// The demo's report pieces without a network: QKD rows against the published table (deviation =
// (ours - published x scale) / (published x scale)), the text table, and the SVG plots.
import test from 'ava';
import { qkdRow } from '../../runtime/demo/paper.ts';
import { PUBLISHED_QKD } from '../../runtime/demo/published.ts';
import { renderQkd } from '../../runtime/demo/report.ts';
import { keyLengthSvg, keyRateSvg, signatureRateSvg, svgToPng } from '../../runtime/demo/plots.ts';
import type { KeyRateCurve } from '../../protocols/keyrate/curves.ts';
import { binaryEntropy } from '../../protocols/keyrate/entropy.ts';

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

test('referee columns: l_sec restated at the published f from the same counts; the spread at the run\'s parameters', (t) => {
  // A D–A run with Cascade's leak of 1.05 n h(e): at the published f = 1.138 the same counts leak
  // (1.138 - 1.05) n h(e) more bits, so l_sec drops by exactly that much.
  const n = 16_000_000, e = 0.009, lSec = 5_000_000, disclosed = Math.round(1.05 * n * binaryEntropy(e));
  const link = { etaCh: 10 ** (-0.02 * 35.3 - 0.00639), etaDet: 0.2, pDark: 1e-6, pAfterpulse: 0, eMis: 0.00874 };
  const params = { qX: 0.9, qXBob: 0.5, mu1: 0.5, mu2: 0.15, mu3: 2e-4, pMu1: 0.7, pMu2: 0.2 };
  const r = qkdRow(da, 1, { ok: true, status: 'done', wallMs: 1, result: { seconds: 2, pulses: 2e9, l_sift: n, qber: e, l_sec: lSec, f: 1.05, disclosedBits: disclosed, protocol: 'bb84', link, params, prediction: { siftedBits: n, qber: e, secretBits: lSec } } });
  const expected = Math.floor(lSec + disclosed - 1.138 * n * binaryEntropy(e));
  t.true(Math.abs(r.referee!.lSecAtPublishedF! - expected) <= 1);
  const s = r.referee!.spread!;
  // l_sift is a sum of ~1.6e7 Bernoulli detections: its spread is close to sqrt(l_sift)
  t.true(s.lSift.sd > 0.7 * Math.sqrt(s.lSift.mean) && s.lSift.sd < 1.3 * Math.sqrt(s.lSift.mean), `${s.lSift.sd}`);
  const text = renderQkd([r], 1);
  t.regex(text, /l_sec @ f pub/);
  t.regex(text, /± /);
});

test('figures: log axes with 10^n decade ticks, axis labels with units, legends, and a PNG rendering', (t) => {
  const rows = PUBLISHED_QKD.map((p) => qkdRow(p, 1, undefined, 'not run'));
  const curves: KeyRateCurve[] = [
    { protocol: 'bb84', label: 'BB84', seconds: 2, points: [{ lengthKm: 0, secretPerSecond: 1e7, siftedPerSecond: 3e7 }, { lengthKm: 100, secretPerSecond: 1e4, siftedPerSecond: 1e5 }] },
    { protocol: 'mdi', label: 'MDI', seconds: 1000, points: [{ lengthKm: 0, secretPerSecond: 1e5, siftedPerSecond: 1e6 }, { lengthKm: 100, secretPerSecond: 10, siftedPerSecond: 1e3 }] },
  ];
  for (const svg of [keyLengthSvg(rows, 1), signatureRateSvg(rows, 106, 1800, curves), keyRateSvg(rows, curves)]) {
    t.regex(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    t.regex(svg, />10<tspan dy="-7" font-size="11">\d+<\/tspan>/, 'decade ticks as 10^n');
    const png = svgToPng(svg);
    t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  }
  t.regex(signatureRateSvg(rows, 106, 1800, curves), /signatures per second[\s\S]*effective fibre length L between the two nodes \(km\)[\s\S]*model, secret keys, BB84/);
  t.regex(keyRateSvg(rows, curves), /secret key rate \(bits per second, 1 GHz\)/);
});
