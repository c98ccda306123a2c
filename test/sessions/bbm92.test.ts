// BBM92 between two D nodes across processes (one process per node, real nats-server + redis-server):
// with no E node attached a D–D request is refused with a reason naming the missing E source; once
// Ivy (E, SPDC entangled-pair source) attaches, `hetqn qkd David George --protocol bbm92` plans Ivy
// as the untrusted source, the fabric hands each D node its own coincidence clicks, the two D nodes
// distil a key over their authenticated channel and both pools hold identical bytes for its id.
import test from 'ava';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { bbm92GainQber } from '../../protocols/keyrate/bbm92.ts';
import type { ChildProcess } from 'node:child_process';
import { spawnTs, stopChild } from '../../runtime/launcher.ts';
import { startEnv, stopEnv, submit, sameKeyBothEnds, cliAs, waitUntil, type Env } from './helpers.ts';

let env: Env | undefined;
let ivy: ChildProcess | undefined;
test.before(async () => { env = await startEnv(); });
test.after.always(async () => { if (ivy) await stopChild(ivy); await stopEnv(env); });

/** `hetqn node --join ivy.json`: the E node attaches as its own process, from the CLI, with its bundle alone. */
async function attachIvyWithCli(): Promise<Record<string, unknown>> {
  ivy = spawnTs('runtime/cli/main.ts', ['node', '--join', env!.cluster.bundleFile('Ivy'), '--json']);
  let out = '', err = '';
  ivy.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    ivy!.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) resolve(JSON.parse(out.trim())); });
    ivy!.once('exit', (code) => reject(new Error(`hetqn node Ivy exited ${code}: ${err}`)));
  });
}

const specs = loadTopology(referenceTopologyPath()).nodes;
const attach = (name: string) => env!.cluster.attach(specs.find((s) => s.name === name)!);

test.serial('D–D with no E node attached: refused, the reason names the missing E source', async (t) => {
  await attach('George');
  const h = await submit(env!, 'David', 'George', { seconds: 0.1, protocol: 'bbm92' });
  const o = await h.done;
  t.false(o.ok);
  t.regex(o.reason ?? '', /E node .*source/);
  t.true(h.notices.some((n) => n.type === 'task.notice' && n.body.status === 'refused'));
});

test.serial('Ivy attaches (hetqn node --join): hetqn qkd David George --protocol bbm92 runs BBM92 with Ivy as the source; both pools hold the same key', async (t) => {
  const reg = await attachIvyWithCli();
  t.is(reg.registered, true);
  // The server reads the hypervisor's view every 500 ms: let it see Ivy before asking (a D–D request
  // planned on a view without an E node is refused, as the first test shows).
  await waitUntil(async () => (await env!.cluster.status()).nodes.some((n) => n.name === 'Ivy' && n.state === 'up'), 'Ivy up');
  await new Promise((r) => setTimeout(r, 1200));
  // 2 s: the pre-EC check estimates the X-basis error from a sample of min(n_X/100, 4000) bits
  // (pipeline-bbm92.ts); at 0.2-0.5 s that is 57-80 bits, and a few errors too many in them (P ~ 0.05-0.1
  // at e = 5.7 %) leave no key. At 2 s the sample is ~575 bits and a run without key lies ~4 sd out.
  const c = await cliAs(env!, ['qkd', 'David', 'George', '--protocol', 'bbm92', '--seconds', '2', '--json']);
  t.is(c.code, 0, c.stderr);
  const r = JSON.parse(c.stdout.trim());
  t.is(r.protocol, 'bbm92');
  t.deepEqual(r.relay, { kind: 'source', node: 'Ivy' });
  t.is(r.dof.channel, 'tbp');
  t.deepEqual(r.conversions, []);
  // l_sift and QBER against the model of the link the fabric emulated (Ma, Fung, Lo 2007: n_X = N qX^2 Q_lambda).
  const { lambda, qX } = r.params;
  const { gain, qber } = bbm92GainQber(lambda, r.link);
  const nX = r.pulses * qX * qX * gain;
  t.true(Math.abs(r.l_sift - nX) < 5 * Math.sqrt(nX), `l_sift ${r.l_sift} vs expected ${nX}`);
  t.true(Math.abs(r.qber - qber) < 5 * Math.sqrt(qber / r.l_sift) + 0.002, `QBER ${r.qber} vs E_lambda ${qber}`);
  t.true(r.l_sec > 0 && r.l_sec < r.l_sift);
  t.log(`T ${r.seconds} s, lambda ${lambda.toFixed(4)}, qX ${qX.toFixed(3)}: l_sift ${r.l_sift}, QBER ${r.qber.toFixed(4)} (E_lambda ${qber.toFixed(4)}), f ${r.f?.toFixed(3)}, l_sec ${r.l_sec} vs predicted ${r.prediction.secretBits}; stage ms ${JSON.stringify(r.stageMs)}`);
  const same = await sameKeyBothEnds(env!, 'David', 'George', Math.min(512, Math.floor(r.l_sec / 2)));
  t.true(same.equal);
  t.deepEqual(same.blockIds, [r.keyId]);
});

test.serial('two D–D requests at once share Ivy\'s source: the second waits (queued, naming the busy source) and runs after the first', async (t) => {
  // 2 s each, for the sample size (see above).
  const h1 = await submit(env!, 'David', 'George', { seconds: 2, protocol: 'bbm92' });
  const h2 = await submit(env!, 'George', 'David', { seconds: 2 });
  const [o1, o2] = await Promise.all([h1.done, h2.done]);
  t.true(o1.ok, o1.reason);
  t.true(o2.ok, o2.reason);
  for (const o of [o1, o2]) { t.is(o.result!.protocol, 'bbm92'); t.deepEqual(o.result!.relay, { kind: 'source', node: 'Ivy' }); }
  const queued = h2.notices.find((n) => n.type === 'task.notice' && n.body.status === 'queued');
  t.truthy(queued);
  t.regex(queued?.body.reason ?? '', /Ivy busy|David busy|George busy/);
  const [a, b] = [o1.result!.stageAt, o2.result!.stageAt];
  t.true(b.switching >= a.finished, 'the two sessions held Ivy at once');
  const same = await sameKeyBothEnds(env!, 'George', 'David', Math.min(256, Math.floor(o2.result!.l_sec / 2)));
  t.true(same.equal);
});
