// Checks shared by the MDI session tests: protocol, relay and DoF conversion as in the reference
// experiment (Lu et al. 2025: MDI via David; tbp MDI for Bob-Charlie, pol MDI after conversion for
// the others), l_sift and QBER against the MDI channel model of the emulated link (Xu 2013 App. B
// expected s-s coincidences), and identical key bytes in both pools.
import type { ExecutionContext } from 'ava';
import { mdiExpectedCounts } from '../../protocols/keyrate/mdi.ts';
import { mdiSourceParams } from '../../protocols/qkd/mdi/params.ts';
import { qkd, sameKeyBothEnds, type Env } from './helpers.ts';

export async function mdiPair(t: ExecutionContext, env: Env, a: string, b: string, seconds: number): Promise<void> {
  const o = await qkd(env, a, b, { seconds });
  t.true(o.ok, `${a}-${b}: ${o.reason}`);
  if (!o.ok) return;
  const r = o.result!;
  t.is(r.protocol, 'mdi');
  t.deepEqual(r.relay, { kind: 'single', node: 'David' });
  const tbpPair = [a, b].every((n) => n === 'Bob' || n === 'Charlie');
  t.is(r.dof.channel, tbpPair ? 'tbp' : 'pol', `${a}-${b} interferes in ${r.dof.channel}`);
  // Every node whose DoF is not the channel's converts at its own converter (before attenuation: free).
  for (const c of r.conversions) { t.is(c.at, 'node'); t.is(c.to, r.dof.channel); t.is(c.lossDb, 0); }
  const converted = new Set(r.conversions.map((c: { node: string }) => c.node));
  for (const [n, d] of [[a, r.dof.a], [b, r.dof.b]] as const) t.is(converted.has(n), d !== r.dof.channel);
  const exp = mdiExpectedCounts(r.link, mdiSourceParams(r.params), r.pulses);
  const n = exp.n['s-s']!, m = exp.m['s-s']!;
  t.true(Math.abs(r.l_sift - n) < 5 * Math.sqrt(n), `${a}-${b}: l_sift ${r.l_sift} vs expected ${n}`);
  t.true(Math.abs(r.qber * r.l_sift - m) < 5 * Math.sqrt(m) + 1, `${a}-${b}: errors ${r.qber * r.l_sift} vs expected ${m}`);
  t.true(r.l_sec > 0);
  const same = await sameKeyBothEnds(env, a, b, Math.min(512, Math.floor(r.l_sec / 2)));
  t.true(same.equal);
  t.deepEqual(same.blockIds, [r.keyId]);
}
