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

test('varint deltas round-trip across the one/two/three-byte edges; packing of word-aligned and offset byte columns agrees bit by bit', (t) => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 0x3f00, max: 0x4100 }), fc.nat({ max: 0xffffffff })), { maxLength: 400 }), (xs) => {
    const d = Uint32Array.from(xs);
    const enc = encodeDeltas(d);
    const bytes = xs.reduce((s, v) => s + (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5), 0);
    const back = decodeDeltas(enc, d.length);
    return enc.length === bytes && back.every((v, i) => v === d[i]);
  }));
  fc.assert(fc.property(fc.array(fc.nat({ max: 255 }), { maxLength: 300 }), fc.nat({ max: 3 }), (xs, off) => {
    const v = Uint8Array.from([...new Array(off).fill(0), ...xs]).subarray(off); // offset views take the byte path
    const f = packFlags(v), c = packCodes2(v);
    return v.every((x, i) => ((f[i >>> 5] >>> (i & 31)) & 1) === (x & 1) && ((c[i >>> 4] >>> ((i & 15) << 1)) & 3) === (x & 3));
  }));
  t.pass();
});
