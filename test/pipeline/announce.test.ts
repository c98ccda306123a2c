import test from 'ava';
import fc from 'fast-check';
import { decodeDeltas, encodeDeltas, packCodes2, packFlags, unpackCodes2, unpackFlags } from '../../protocols/postprocessing/announce.ts';

test('varint slot deltas round-trip for every 32-bit value; malformed input is rejected', (t) => {
  fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 200 }), (xs) => {
    const d = Uint32Array.from(xs);
    const back = decodeDeltas(encodeDeltas(d), d.length);
    return back.length === d.length && back.every((v, i) => v === d[i]);
  }));
  t.is(encodeDeltas(Uint32Array.from([5, 127, 128])).length, 4);
  t.throws(() => decodeDeltas(Uint8Array.from([0x80]), 1), { message: /ends/ });
  t.throws(() => decodeDeltas(Uint8Array.from([1, 2]), 1), { message: /trailing/ });
  t.throws(() => decodeDeltas(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f]), 1), { message: /32 bits/ });
});

test('flag and 2-bit code columns round-trip', (t) => {
  fc.assert(fc.property(fc.array(fc.nat({ max: 3 }), { maxLength: 300 }), (xs) => {
    const v = Uint8Array.from(xs);
    const f = unpackFlags(packFlags(v), v.length), c = unpackCodes2(packCodes2(v), v.length);
    return f.every((x, i) => x === (v[i] & 1)) && c.every((x, i) => x === v[i]);
  }));
  t.pass();
});
