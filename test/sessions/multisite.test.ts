// A two-site network run as processes (the launcher's private secured nats-server + redis-server): Alice's switch site A
// and Dave's site B are joined by a 12 km link. A BB84 session crosses both switches; the
// emulated optics see the route's loss (5 km + 12 km + 4 km at 0.2 dB/km, two cross-connects of
// 1 dB: 6.2 dB) and both pools hold the same key.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTopology } from '../../infra/topology.ts';
import { launchCluster } from '../../runtime/launcher.ts';
import { stopEnv, submit, sameKeyBothEnds, type Env } from './helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-multisite-'));
let env: Env | undefined;

test.before(async () => {
  const file = path.join(dir, 'twosite.json');
  fs.writeFileSync(file, JSON.stringify({
    network: 'twosite',
    server: { portLossDb: 0.5 },
    sites: [{ name: 'A', converters: [{ id: 'A-conv0', lossDb: 3.3, misalignment: 0.002 }] }, { name: 'B' }],
    links: [{ a: 'A', b: 'B', km: 12, fibres: 2 }],
    nodes: [
      { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, site: 'A', ownConverter: true, credential: 'alice-twosite-1' },
      { name: 'Dave', type: 'D', dof: 'pol', linkKm: 4, site: 'B', measures: ['pol', 'tbp', 'pha'], bsm: true, detectors: 4, credential: 'dave-twosite-1' },
    ],
  }), { mode: 0o600 });
  const cluster = await launchCluster({ topology: loadTopology(file), forwardChildLogs: !!process.env.HETQN_TEST_LOGS });
  env = { nats: cluster.servers.nats!, redis: cluster.servers.redis!, cluster, stores: new Map() };
});

test.after.always(async () => {
  await stopEnv(env);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('BB84 across two sites: the plan crosses both switches, the optics see its 6.2 dB, both pools hold the key', async (t) => {
  const h = await submit(env!, 'Alice', 'Dave', { seconds: 0.01 });
  const o = await h.done;
  t.true(o.ok, o.reason);
  const planned = h.notices.find((n) => n.type === 'task.notice' && n.body.status === 'planned')!.body.plan;
  t.deepEqual(planned.legs[0].hops.map((x: { kind: string }) => x.kind), ['fibre', 'xconnect', 'trunk', 'xconnect', 'fibre']);
  t.is(Number(planned.legs[0].lossDb.toFixed(9)), 6.2);
  const r = o.result!;
  t.true(Math.abs(r.link.etaCh - 10 ** (-6.2 / 10)) < 1e-12, `etaCh ${r.link.etaCh}`);
  t.true(r.l_sec > 0);
  const same = await sameKeyBothEnds(env!, 'Alice', 'Dave', Math.min(256, Math.floor(r.l_sec / 2)));
  t.true(same.equal);
});
