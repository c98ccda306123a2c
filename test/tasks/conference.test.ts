import test from 'ava';
import { createRng } from '../../protocols/rng.ts';
import { type BitString, equals, flipBit, fromBytes, toBytes, xor } from '../../protocols/bits.ts';
import { P127, bigintToBytes, polyHash127, wordsToBigint } from '../../protocols/postprocessing/poly-hash.ts';
import {
  type TagFn, conferenceDecrypt, conferenceEncrypt, conferenceKeyBitsPerLink, drawConferenceKey,
} from '../../protocols/tasks/conference.ts';
import { MemoryLedger } from './ledger.ts';

const PARTICIPANTS = ['Alice', 'Bob', 'Charlie', 'Frank'];
const L = 10_000; // the reference conference: 10 kbit

/** Wegman–Carter tag keyed per link: (H_k(cipher) + r) mod p with (k, r) 254 bits of that link's pool. */
function wegmanCarter(tagKeys: Map<string, BitString>): TagFn {
  return (participant, cipher) => {
    const kb = tagKeys.get(participant)!;
    const k = wordsToBigint(kb.words, 126) % P127;
    const r = wordsToBigint(kb.words.subarray(4), 127) % P127;
    const tag = (polyHash127(k, toBytes(cipher)) + r) % P127;
    return fromBytes(bigintToBytes(tag, 16), 127);
  };
}

function setup(seed: string) {
  const ledger = new MemoryLedger(seed);
  const rng = createRng(seed);
  const K = drawConferenceKey(L, rng);
  // Both ends withdraw the same bits: one pad of L bits and one tag key per link.
  const pads = new Map(PARTICIPANTS.map((p) => [p, ledger.withdraw('David', p, conferenceKeyBitsPerLink(L), 'secret')]));
  const tagKeys = new Map(PARTICIPANTS.map((p) => [p, ledger.withdraw('David', p, 254, 'secret')]));
  return { ledger, K, pads, tag: wegmanCarter(tagKeys) };
}

test('sponsor David delivers 10 kbit to four participants; all recover K; pool use is L + tag per link', (t) => {
  const { ledger, K, pads, tag } = setup('conf');
  const ciphers = conferenceEncrypt(K, pads, tag);
  t.is(ciphers.length, 4);
  for (const c of ciphers) {
    t.false(equals(c.cipher, K)); // the public channel never carries K itself
    const open = conferenceDecrypt(c, pads.get(c.participant)!, tag);
    t.true(open.ok);
    if (open.ok) t.true(equals(open.key, K));
  }
  for (const p of PARTICIPANTS) t.is(ledger.totals()[`David|${p}`] ?? ledger.totals()[`${p}|David`], L + 254);
  t.true(ledger.disjoint());
});

test('a tampered ciphertext or tag is detected', (t) => {
  const { K, pads, tag } = setup('conf-tamper');
  const [c] = conferenceEncrypt(K, pads, tag);
  const bad = { length: c.cipher.length, words: c.cipher.words.slice() };
  flipBit(bad, 1234);
  t.deepEqual(conferenceDecrypt({ ...c, cipher: bad }, pads.get(c.participant)!, tag), { ok: false, reason: 'tag' });
  const badTag = { length: c.tag!.length, words: c.tag!.words.slice() };
  flipBit(badTag, 3);
  t.deepEqual(conferenceDecrypt({ ...c, tag: badTag }, pads.get(c.participant)!, tag), { ok: false, reason: 'tag' });
  t.deepEqual(conferenceDecrypt({ participant: c.participant, cipher: c.cipher }, pads.get(c.participant)!, tag), { ok: false, reason: 'missing-tag' });
  // Without authentication a flipped bit would silently flip the same bit of K.
  const open = conferenceDecrypt({ participant: c.participant, cipher: bad }, pads.get(c.participant)!);
  t.true(open.ok && equals(xor(open.key, K), xor(bad, c.cipher)));
});
