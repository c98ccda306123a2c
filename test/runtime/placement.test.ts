// Placement (issue 14 item 4): the five reference nodes in one process (`nodesPerProcess`), each on
// its own NATS connection and identity (node-main.ts), register, and a session between two of them
// commits the same key at both ends.
import test from 'ava';
import { loadTopology, referenceTopologyPath } from '../../infra/topology.ts';
import { launchCluster } from '../../runtime/launcher.ts';
import { qkd, sameKeyBothEnds, stopEnv, type Env } from '../sessions/helpers.ts';

let env: Env | undefined;
test.after.always(async () => { await stopEnv(env); });

test.serial('five nodes in one process register and run a session that commits at both ends', async (t) => {
  const topology = loadTopology(referenceTopologyPath());
  const cluster = await launchCluster({ topology, nodesPerProcess: 5, forwardChildLogs: !!process.env.HETQN_TEST_LOGS, log: () => undefined });
  env = { nats: cluster.servers.nats!, redis: cluster.servers.redis!, cluster, stores: new Map() };
  const nodes = cluster.children.filter((c) => c.role === 'node');
  t.is(nodes.length, 1);
  t.deepEqual(nodes[0]!.nodes, ['Alice', 'Bob', 'Charlie', 'Frank', 'David']);
  t.is(nodes[0]!.name, 'Alice+4');
  const view = await cluster.status();
  // One process, five identities: each node registered from its own process id on its own connection.
  const up = view.nodes.filter((n) => n.state === 'up');
  t.deepEqual(up.map((n) => n.name).sort(), ['Alice', 'Bob', 'Charlie', 'David', 'Frank']);
  const o = await qkd(env, 'David', 'Alice', { seconds: 0.01 });
  t.true(o.ok, o.reason);
  t.true((await sameKeyBothEnds(env, 'Alice', 'David', 128)).equal);
});
