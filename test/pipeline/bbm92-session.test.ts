// End-to-end BBM92 sessions (two D nodes, each with its own click records of the SPDC source's
// coincidences, over one authenticated in-memory channel): identical keys, the observed QBER against
// the model's E_lambda (Ma, Fung, Lo 2007), l_sec against the engine's prediction at the f the
// session achieved, and an abort with a clear reason under an intercept-resend attack.
import test from 'ava';
import { bbm92GainQber, bbm92Optimise, bbm92Predict, type Bbm92Link } from '../../protocols/keyrate/bbm92.ts';
import { runBbm92Session } from '../../protocols/postprocessing/pipeline-session-bbm92.ts';
import { closeToeplitzPool } from '../../protocols/postprocessing/toeplitz-pool.ts';
import { equals } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';
import type { Bb84DetectorFrame } from '../../protocols/physics/sampler-bb84.ts';
import { memoryChannelPair, ProtocolError } from '../../protocols/postprocessing/channel.ts';
import { encodeDeltas } from '../../protocols/postprocessing/announce.ts';
import { siftBbm92Announcer, siftBbm92Responder } from '../../protocols/postprocessing/sifting-bbm92.ts';

test.after.always(() => closeToeplitzPool());

// source in the middle of ~25 km and ~30 km of fibre, 20 % detectors
const link: Bbm92Link = { etaA: 0.2 * 10 ** (-0.2 * 25 / 10), etaB: 0.2 * 10 ** (-0.2 * 30 / 10), pDark: 1e-6, eMis: 0.012 };
const pulses = 2e9;
const opt = bbm92Optimise({ link, pulses, f: 1.16 });
const { lambda, qX } = opt.params as { lambda: number; qX: number };

test('BBM92 session (authenticated): identical keys, QBER near E_lambda, l_sec near the engine at the achieved f', async (t) => {
  const r = await runBbm92Session({ pulses, lambda, qX, link, seed: 'bbm92-e2e' });
  if (!r.ok) { t.fail(r.reason); return; }
  t.true(r.keysEqual && equals(r.a.reconciled, r.b.reconciled));
  const s = r.b.stats;
  t.true(s.secretBits > 0);
  t.is(r.a.key.length, s.secretBits);
  t.is(r.a.stats.secretBits, s.secretBits);
  // the disclosed QBER sample is not part of the reconciled (imperfect) key
  t.true(s.sampleBits > 0);
  t.is(r.a.reconciled.length, s.siftedBits - s.sampleBits);
  const { gain, qber } = bbm92GainQber(lambda, link);
  // l_sift: matching X coincidences ~ Binomial(N, qX^2 Q_lambda)
  const nX = pulses * qX * qX * gain;
  t.true(Math.abs(s.siftedBits - nX) < 5 * Math.sqrt(nX), `l_sift ${s.siftedBits} vs ${nX}`);
  // both bases' error rates: binomial around E_lambda
  t.true(Math.abs(s.qber - qber) < 5 * Math.sqrt(qber / s.siftedBits), `QBER ${s.qber} vs E_lambda ${qber}`);
  t.true(Math.abs(s.qberZ - qber) < 5 * Math.sqrt(qber / s.testBits), `Z QBER ${s.qberZ} vs E_lambda ${qber}`);
  // the engine at the same f (Cascade's parities + the QBER sample over n_X h(E))
  const f = (s.disclosedBits + s.sampleBits) / (s.siftedBits * s.qber > 0 ? s.siftedBits * -(s.qber * Math.log2(s.qber) + (1 - s.qber) * Math.log2(1 - s.qber)) : 1);
  const pred = bbm92Predict({ link, lambda, qX, pulses, f });
  const ratio = s.secretBits / pred.secretBits;
  t.true(ratio > 0.9 && ratio < 1.1, `l_sec ${s.secretBits} vs predicted ${pred.secretBits} at f ${f.toFixed(3)}`);
  t.log(`N ${pulses} lambda ${lambda.toFixed(4)} qX ${qX.toFixed(3)}: l_sift ${s.siftedBits} QBER ${s.qber.toFixed(4)} (E_lambda ${qber.toFixed(4)}) f ${f.toFixed(3)} l_sec ${s.secretBits} vs ${pred.secretBits}; wall ${Math.round(r.wallMs.total)} ms`);
});

/** Intercept-resend on b's arm: Eve measures in a random basis and resends; b's bit is random when her basis was wrong. */
function interceptResend(frames: Bb84DetectorFrame[]): Bb84DetectorFrame[] {
  const rng = createRng('eve');
  return frames.map((f) => {
    const bit = f.bit.slice();
    for (let i = 0; i < bit.length; i++) if (rng.nextDouble() < 0.5 && rng.nextDouble() < 0.5) bit[i] ^= 1;
    return { ...f, bit };
  });
}

test('BBM92 under intercept-resend (QBER ~25 %): both sides abort at estimation, no key, a reason naming the QBER', async (t) => {
  const r = await runBbm92Session({ pulses: pulses / 4, lambda, qX, link, seed: 'bbm92-eve', tamper: interceptResend });
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.stage, 'estimation');
  t.regex(r.reason, /QBER 0\.2[2-8]/);
  t.log(r.reason);
});

test('BBM92 sifting: a click of b without a partner at a is no coincidence and enters no count', async (t) => {
  // b's view with one extra click before everything: a has no record for that slot
  const r = await runBbm92Session({
    pulses, lambda, qX, link, seed: 'bbm92-extra', unauthenticated: true,
    tamper: (fb) => {
      if (fb[0]!.firstSlot === 0) throw new Error('the seed puts a coincidence in slot 0: pick another');
      return [{ firstSlot: 0, deltas: new Uint32Array([0]), basis: new Uint8Array([0]), bit: new Uint8Array([1]) }, ...fb];
    },
  });
  if (!r.ok) { t.fail(r.reason); return; }
  t.is(r.b.stats.detections, r.a.stats.detections + 1);
  t.is(r.b.stats.coincidences, r.a.stats.detections);
  t.is(r.a.stats.coincidences, r.a.stats.detections);
  t.true(r.keysEqual);
});

test('BBM92 sifting: malformed announcements are rejected with the message and field named', async (t) => {
  const frames: Bb84DetectorFrame[] = [{ firstSlot: 5, deltas: new Uint32Array([0, 3, 4]), basis: new Uint8Array([0, 1, 0]), bit: new Uint8Array([1, 0, 1]) }];
  // a's half gets clicks whose basis column is not packed flags
  {
    const [ca, cb] = memoryChannelPair();
    const run = siftBbm92Responder(ca, frames);
    cb.send({ type: 'bbm92.clicks', firstSlot: 5, count: 3, deltas: encodeDeltas(frames[0]!.deltas), basis: [0, 1, 0] });
    await t.throwsAsync(run, { instanceOf: ProtocolError, message: /bbm92\.clicks: field 'basis'/ });
  }
  // b's half gets an answer for the wrong number of clicks
  {
    const [ca, cb] = memoryChannelPair();
    const run = siftBbm92Announcer(cb, frames);
    t.is((await ca.receive()).type, 'bbm92.clicks');
    t.is((await ca.receive()).type, 'bbm92.clicks.end');
    ca.send({ type: 'bbm92.bases', count: 2, hit: new Uint32Array(1), basis: new Uint32Array(1) });
    await t.throwsAsync(run, { instanceOf: ProtocolError, message: /bbm92\.bases: field 'count'/ });
  }
  // ... or a basis column too short for its clicks
  {
    const [ca, cb] = memoryChannelPair();
    const run = siftBbm92Announcer(cb, frames);
    await ca.receive(); await ca.receive();
    ca.send({ type: 'bbm92.bases', count: 3, hit: new Uint32Array(1), basis: new Uint32Array(0) });
    await t.throwsAsync(run, { instanceOf: ProtocolError, message: /bbm92\.bases: field 'basis' holds 0 words/ });
  }
  // a's half: the end marker must count the clicks actually announced
  {
    const [ca, cb] = memoryChannelPair();
    const run = siftBbm92Responder(ca, frames);
    cb.send({ type: 'bbm92.clicks.end', frames: 0, detections: 7 });
    await t.throwsAsync(run, { instanceOf: ProtocolError, message: /bbm92\.clicks\.end: field 'detections'/ });
  }
});
