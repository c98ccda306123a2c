// BB84 sessions across processes (one process per node, real nats-server + redis-server): David
// with each C node gets keys over the prepare-and-measure path; both pools hold the same bytes for
// the same key; the four requests compete for David's detectors, so they are scheduled one after
// the other (queued, then served) and never overlap.
import test from 'ava';
import { startEnv, stopEnv, submit, sameKeyBothEnds, cliAs, type Env } from './helpers.ts';
import { bb84ExpectedCounts } from '../../protocols/physics/bb84-model.ts';
import calibration from '../../infra/topologies/reference-calibration.json' with { type: 'json' };

let env: Env | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { await stopEnv(env); });

const T = 0.01;
const PARTNERS = ['Alice', 'Bob', 'Charlie', 'Frank'];

test.serial('David with each C node: BB84 keys land in both pools, requests share no detector', async (t) => {
  const handles = [];
  for (const p of PARTNERS) handles.push(await submit(env!, 'David', p, { seconds: T }));
  const outcomes = await Promise.all(handles.map((h) => h.done));
  for (const [i, o] of outcomes.entries()) {
    const p = PARTNERS[i]!;
    t.true(o.ok, `David-${p}: ${o.reason}`);
    const r = o.result!;
    t.is(r.protocol, 'bb84');
    t.deepEqual(r.relay, { kind: 'none' });
    t.true(r.l_sec > 0 && r.l_sec <= r.l_sift);
    // l_sift and QBER against the per-pulse model of the link the fabric emulated (Lim 2014 Sec. IV:
    // n_X = N q_X q_X^Bob sum_k p_k R_k), within Poisson sampling error.
    const exp = bb84ExpectedCounts(r.params, r.link, r.pulses);
    const nX = exp.nX.mu1 + exp.nX.mu2 + exp.nX.mu3, mX = exp.mX.mu1 + exp.mX.mu2 + exp.mX.mu3;
    t.true(Math.abs(r.l_sift - nX) < 5 * Math.sqrt(nX), `David-${p}: l_sift ${r.l_sift} vs expected ${nX}`);
    t.true(Math.abs(r.qber * r.l_sift - mX) < 5 * Math.sqrt(mX) + 1, `David-${p}: errors ${r.qber * r.l_sift} vs expected ${mX}`);
    // QBER against the published e_b of the reference row (Lu et al. 2025), within sampling error.
    const eB = (calibration.links as Record<string, { fittedTo: { eB: number } }>)[`David-${p}`]!.fittedTo.eB;
    const sigma = Math.sqrt(eB * (1 - eB) / r.l_sift);
    t.true(Math.abs(r.qber - eB) < 6 * sigma + 0.002, `David-${p}: QBER ${r.qber} vs published ${eB}`);
    t.true(r.f > 1 && r.f < 1.5, `f = ${r.f}`);
    // Both ends hand out identical bytes for the same key id.
    const same = await sameKeyBothEnds(env!, p, 'David', Math.min(256, Math.floor(r.l_sec / 2)));
    t.true(same.equal);
    t.deepEqual(same.blockIds, [r.keyId]);
  }
  // Exclusive detectors: the sessions ran one at a time, and some request had to wait.
  const spans = outcomes.map((o) => [o.result!.stageAt.switching, o.result!.stageAt.finished] as [number, number]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) t.true(spans[i]![0] >= spans[i - 1]![1], 'two sessions held David at once');
  t.true(handles.some((h) => h.notices.some((n) => n.type === 'task.notice' && n.body.status === 'queued')));
});

test.serial('hetqn qkd --json against the running cluster prints one result object; bad arguments are named', async (t) => {
  const r = await cliAs(env!, ['qkd', 'Charlie', 'David', '--seconds', '0.01', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.is(out.protocol, 'bb84');
  t.true(out.l_sec > 0 && out.l_sift > out.l_sec && out.qber > 0 && out.disclosedBits > 0 && out.f > 1);
  for (const k of ['dof', 'conversions', 'relay', 'params', 'stageMs', 'keyId']) t.true(k in out, k);
  t.regex(r.stderr, /post-processing/);
  const bad = await cliAs(env!, ['qkd', 'Alice', 'Alice', '--json']);
  t.is(bad.code, 2);
  t.like(JSON.parse(bad.stdout.trim()).error, { code: 'bad-input', field: 'B' });
  t.regex(JSON.parse(bad.stdout.trim()).error.message, /^B:/);
  const bad2 = await cliAs(env!, ['qkd', 'Alice', 'Bob', '--protocol', 'e91']);
  t.regex(bad2.stderr, /--protocol/);
});
