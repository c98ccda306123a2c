import test from 'ava';
import fc from 'fast-check';
import { createRng } from '../../protocols/rng.ts';
import { type BitString, flipBit, randomBits, toBits } from '../../protocols/bits.ts';
import {
  type QdsKeys, type QdsSigned, checkSignature, forward, forwarderVerdict, imperfectStringLength, qdsDegreeForMessage,
  qdsForgeryBound, qdsKeyBitsPerLink, qdsSecurityDegree, qdsStringLength, sign, signatureRate, splitKeys, verify,
} from '../../protocols/tasks/qds.ts';
import { forgeSignature, randomKeys } from '../../protocols/tasks/qds-attacks.ts';

const rng = createRng('qds-tests');
const bits = (n: number): BitString => randomBits(n, () => rng.nextUint32());
const keys = (n: number): QdsKeys => ({ x: bits(n), y: bits(n) });
const copy = (s: BitString): BitString => ({ length: s.length, words: s.words.slice() });

test('security bound: eps = 1e-10 and a 43 KB contract give n = 53 (106 bits per link)', (t) => {
  // log2(43 KB in bits) + 1 + log2(1e10) = 18.4 + 1 + 33.2 = 52.6 -> 53, whether KB is 1000 or 1024 bytes.
  t.is(qdsDegreeForMessage(43_000, 1e-10), 53);
  t.is(qdsDegreeForMessage(43 * 1024, 1e-10), 53);
  t.is(qdsSecurityDegree(8 * 43_000, 1e-10), 53);
  t.is(qdsKeyBitsPerLink('secret', { messageBytes: 43_000 }), 106);
  t.true(qdsForgeryBound(8 * 43_008, 53) <= 1e-10);
  t.false(qdsForgeryBound(8 * 43_008, 52) <= 1e-10);
});

test('imperfect-key variant: configured string length, 900 by default (1800 bits per link)', (t) => {
  t.is(qdsStringLength('imperfect', { messageBytes: 43_000 }), 900);
  t.is(qdsKeyBitsPerLink('imperfect', { messageBytes: 43_000 }), 1800);
  t.is(qdsKeyBitsPerLink('imperfect', { messageBytes: 43_000, imperfectStringBits: 500 }), 1000);
  // With 1 bit of min-entropy per key bit the imperfect string is as long as the secret one.
  t.is(imperfectStringLength(8 * 43_008, 1e-10, 1), 53);
  t.is(imperfectStringLength(8 * 43_008, 1e-10, 53 / 900), 900);
});

test('signature rate = min over links of fill rate / bits per signature', (t) => {
  t.is(signatureRate([{ fillRateBitsPerSecond: 10_600, bitsPerSignature: 106 }, { fillRateBitsPerSecond: 5_300, bitsPerSignature: 106 }]), 50);
  t.is(signatureRate([{ fillRateBitsPerSecond: 1_800_000, bitsPerSignature: 1800 }]), 1000);
});

function setup(n: number, message: Uint8Array) {
  const kA = keys(n), kB = keys(n);
  const signed = sign(message, kA, kB, rng);
  return { kA, kB, signed };
}

for (const [variant, n] of [['secret', 53], ['imperfect', 900]] as const) {
  test(`${variant} keys (n = ${n}): honest signatures pass at forwarder and verifier`, (t) => {
    const msg = rng.fillBytes(new Uint8Array(43_000));
    const { kA, kB, signed } = setup(n, msg);
    t.true(verify(forward(signed, kA), kB).accept);
    t.true(forwarderVerdict(signed, kA, kB).accept);
  });

  test(`${variant} keys (n = ${n}): altered message, altered signature and wrong keys fail`, (t) => {
    const msg = rng.fillBytes(new Uint8Array(2_000));
    const { kA, kB, signed } = setup(n, msg);
    const altered = msg.slice(); altered[rng.nextInt(altered.length)] ^= 1 << rng.nextInt(8);
    t.is(verify(forward({ ...signed, message: altered }, kA), kB).reason, 'hash-mismatch');
    t.false(verify(forward({ ...signed, message: msg.subarray(1) }, kA), kB).accept);
    for (const which of ['sig1', 'sig2'] as const) {
      for (let k = 0; k < 5; k++) {
        const s = copy(signed.signature[which]);
        flipBit(s, rng.nextInt(n));
        const sig = { ...signed.signature, [which]: s };
        t.false(verify(forward({ message: msg, signature: sig }, kA), kB).accept, `${which} flipped`);
      }
    }
    t.false(verify(forward(signed, randomKeys(n, rng)), kB).accept, 'forwarder presents wrong keys');
    t.false(verify(forward(signed, kA), randomKeys(n, rng)).accept, 'verifier holds wrong keys');
    t.false(forwarderVerdict(signed, kA, randomKeys(n, rng)).accept, 'verifier returns wrong keys');
  });

  test(`${variant} keys (n = ${n}): a forwarder cannot forge a signature on another message`, (t) => {
    const msg = new TextEncoder().encode('pay 100');
    const { kA, kB } = setup(n, msg);
    const forged = new TextEncoder().encode('pay 999');
    for (let k = 0; k < 20; k++) {
      const sig = forgeSignature(forged, kA, rng);
      t.false(verify({ message: forged, signature: sig, forwarderKeys: kA }, kB).accept);
    }
  });
}

test('splitKeys: X is the first half of the withdrawn bits, Y the second', (t) => {
  const b = bits(106);
  const k = splitKeys(b);
  t.is(k.x.length, 53);
  t.is(k.y.length, 53);
  t.deepEqual(Array.from(toBits(k.x)), Array.from(toBits(b)).slice(0, 53));
  t.deepEqual(Array.from(toBits(k.y)), Array.from(toBits(b)).slice(53));
  // Strings of mismatched length are rejected before any arithmetic.
  t.false(checkSignature(new Uint8Array(0), { sig1: bits(53), sig2: bits(53) }, k.x, { length: 52, words: k.y.words }).accept);
});

test('property: forwarder and verifier verdicts always agree (any signer, any tampering in transit)', (t) => {
  const n = 13;
  fc.assert(fc.property(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom('honest', 'random-signature', 'flip-sig1', 'flip-sig2', 'other-keys'),
    fc.integer({ min: 0, max: 2 ** 31 }),
    (message, signer, seed) => {
      const r = createRng(seed);
      const kA = { x: randomBits(n, () => r.nextUint32()), y: randomBits(n, () => r.nextUint32()) };
      const kB = { x: randomBits(n, () => r.nextUint32()), y: randomBits(n, () => r.nextUint32()) };
      let signed: QdsSigned;
      if (signer === 'random-signature') signed = { message, signature: { sig1: randomBits(n, () => r.nextUint32()), sig2: randomBits(n, () => r.nextUint32()) } };
      else if (signer === 'other-keys') signed = sign(message, randomKeys(n, r), kB, r); // a signer cheating on A's keys
      else {
        signed = sign(message, kA, kB, r);
        if (signer !== 'honest') {
          const s = copy(signed.signature[signer === 'flip-sig1' ? 'sig1' : 'sig2']);
          flipBit(s, r.nextInt(n));
          signed = { message, signature: signer === 'flip-sig1' ? { ...signed.signature, sig1: s } : { ...signed.signature, sig2: s } };
        }
      }
      // Honest A forwards exactly what it got; both verdicts are computed from the same bits.
      const a = forwarderVerdict(signed, kA, kB).accept;
      const b = verify(forward(signed, kA), kB).accept;
      if (signer === 'honest' && !a) return false;
      return a === b;
    },
  ), { numRuns: 400, seed: 7 });
  t.pass();
});
