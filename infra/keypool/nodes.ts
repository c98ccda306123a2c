// The data nodes behind a client, for what Redis keeps per server and does not replicate or spread: ACL
// users (every node, masters and replicas, so a promoted replica knows them) and the functions library
// (every master of a Redis Cluster: FUNCTION LOAD reaches one master's replicas, never the other masters).
import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './connect.ts';

async function ready(client: RedisClient): Promise<void> {
  if (client.status === 'wait') await client.connect();
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => { client.off('error', onError); resolve(); };
    const onError = (e: Error) => { client.off('ready', onReady); reject(e); };
    client.once('ready', onReady);
    client.once('error', onError);
  });
}

/** The replicas a master reports (ROLE): host and port of each connected replica. */
async function replicasOf(master: Redis): Promise<{ host: string; port: number }[]> {
  const role = await master.call('ROLE') as [string, number, [string, string, string][]];
  if (role[0] !== 'master') return [];
  return role[2].map(([host, port]) => ({ host, port: Number(port) }));
}

/**
 * Run `f` on every data node of `client` ('masters': a cluster's masters, or the one master; 'all': with the
 * replicas, reached directly with the client's credentials and TLS). Returns how many nodes it ran on; fails
 * naming a node it could not run on.
 */
export async function eachDataNode(client: RedisClient, which: 'masters' | 'all', f: (node: Redis) => Promise<void>): Promise<number> {
  await ready(client);
  if (client instanceof Cluster) {
    const nodes = client.nodes(which === 'all' ? 'all' : 'master');
    for (const n of nodes) await f(n).catch((e: Error) => { throw new Error(`Redis node ${n.options.host}:${n.options.port}: ${e.message}`); });
    return nodes.length;
  }
  await f(client);
  if (which === 'masters') return 1;
  const replicas = await replicasOf(client);
  for (const { host, port } of replicas) {
    const { username, password, tls } = client.options;
    const r = new Redis({ host, port, username, password, tls, enableReadyCheck: false, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5000 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await f(r);
    } catch (e) {
      throw new Error(`Redis replica ${host}:${port}: ${(e as Error).message}`);
    } finally {
      r.disconnect();
    }
  }
  return 1 + replicas.length;
}
