import test from 'ava';
import { polyHash127, PolyHash127Stream, P127 } from '../../protocols/postprocessing/poly-hash.ts';
import { createRng } from '../../protocols/rng.ts';

// Independent reference: Horner with BigInt and a full '%' reduction at every step (the
// definition in poly-hash.ts), so the limb kernel is checked against plain integer arithmetic.
function reference(k: bigint, data: Uint8Array): bigint {
  const le = (b: Uint8Array) => b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
  let h = 0n;
  for (let i = 0; i < data.length; i += 15) h = ((h + le(data.subarray(i, Math.min(i + 15, data.length)))) * k) % P127;
  return ((h + BigInt(data.length)) * k) % P127;
}

test('limb kernel equals BigInt Horner: extreme keys, all-ones blocks, lengths around chunk edges', (t) => {
  const rng = createRng('poly-kernel');
  const rand127 = () => { let v = 0n; for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(rng.nextUint32()); return v % P127; };
  const keys = [0n, 1n, 2n, P127 - 1n, (1n << 126n) + 12345n, (1n << 104n) - 1n, rand127(), rand127()];
  for (const k of keys) {
    for (const len of [0, 14, 15, 59, 60, 61, 75, 1000, 4093]) {
      for (const fill of ['ones', 'random'] as const) {
        const d = new Uint8Array(len);
        if (fill === 'ones') d.fill(255); else rng.fillBytes(d);
        t.is(polyHash127(k, d), reference(k, d), `key ${k}, ${len} bytes, ${fill}`);
      }
    }
  }
  // more than one kernel chunk (16 pages of blocks per call), streamed in uneven pieces
  const k = P127 - 2n;
  const big = rng.fillBytes(new Uint8Array(2 * 1048575 + 37));
  big.fill(255, 1048500, 1048700);
  const want = reference(k, big);
  t.is(polyHash127(k, big), want);
  const st = new PolyHash127Stream(k);
  for (let i = 0; i < big.length;) { const n = Math.min(big.length - i, 1 + rng.nextInt(300_000)); st.update(big.subarray(i, i + n)); i += n; }
  t.is(st.digest(), want);
});
