// The task rows of the demo's report without a network: QDS 1's imperfect-key runs beside the
// published 2 s sessions (deviation against published x scale), and the key sources of every task,
// where a block that did not come from a QKD session is called out.
import test from 'ava';
import { renderImperfectRuns, renderKeySources } from '../../runtime/demo/report-tasks.ts';
import { PUBLISHED_QKD } from '../../runtime/demo/published.ts';

const da = PUBLISHED_QKD.find((p) => p.pair === 'D–A')!;

test('QDS 1 table: our error-corrected length and QBER beside the published 2 s session of the link', (t) => {
  const lines = renderImperfectRuns([
    { link: 'David–Alice', peer: 'Alice', ok: true, sessionId: 's13-x', seconds: 2, wallMs: 1, ecBits: 0.9 * da.lSift, qber: 0.0091, published: { seconds: da.T, ecBits: da.lSift, qber: da.eB } },
    { link: 'David–Bob', peer: 'Bob', ok: false, seconds: 2, wallMs: 1, reason: 'fabric down', published: { seconds: 2, ecBits: 14_605_700, qber: 0.0092 } },
  ], 1).join('\n');
  t.regex(lines, /David–Alice\s+s13-x\s+2\s+16 387 303\s+14 748 573\s+-10\.0%\s+0\.0088\s+0\.0091/);
  t.regex(lines, /David–Bob\s+FAILED: fabric down/);
  // At scale 0.01 the published length is scaled: 163 873 bits.
  t.regex(renderImperfectRuns([{ link: 'David–Alice', peer: 'Alice', ok: true, sessionId: 's', seconds: 0.02, wallMs: 1, ecBits: 163_874, qber: 0.009, published: { seconds: 2, ecBits: da.lSift, qber: da.eB } }], 0.01).join('\n'), /163 873\s+163 874\s+\+0\.0%/);
});

test('key sources: every task with the sessions that supplied it; a block from no QKD session is called out', (t) => {
  const text = renderKeySources([
    { name: 'QDS 2 (secret keys)', keys: { fills: [{ pair: 'Alice–Charlie', ok: true, asked: { seconds: 1000 }, sessionId: 's70', protocol: 'mdi', keyBits: 401_000, wallMs: 9000 }], supply: [
      { sessionId: 's70', pair: 'Alice–Charlie', protocol: 'mdi', kind: 'secret', bits: 106 },
      { sessionId: 's3', pair: 'Charlie–David', protocol: 'bb84', kind: 'secret', bits: 106 },
    ] } },
    { name: 'conference key', keys: { fills: [], supply: [{ sessionId: 'demo-standin-1', pair: 'Alice–David', protocol: 'demo-standin', kind: 'secret', bits: 10_381 }] } },
  ]).join('\n');
  t.regex(text, /QDS 2 \(secret keys\): 212 bits from 2 sessions\n/);
  t.regex(text, /s70\s+Alice–Charlie\s+MDI\s+secret\s+106/);
  t.regex(text, /QKD run for this task \(1000 s\): Alice–Charlie session s70, MDI, 401 000 key bits/);
  t.regex(text, /conference key: 10 381 bits from 1 sessions; NOT FROM A QKD SESSION: Alice–David demo-standin 10381/);
});
