// Entry point of a node process (spawned by the launcher, or by `hetqn node --join`):
//   node dist/node-main.js --bundle FILE [--bundle FILE ...] [--kme-config FILE] [--kme-bind ADDR] [--kme-port N]
//   (or node --import tsx runtime/processes/node-main.ts ..., runtime/compiled.ts)
// One process may host several nodes (`hetqn up --nodes-per-process K`): one --bundle per node. Each
// node keeps its own identity: its own NATS connection with its own nkey and permissions, its own
// Redis user, KME and pre-shared keys (node-process.ts); they share only the Node.js runtime, so a
// node's permissions are never widened for a neighbour. Everything a node needs comes from its own
// 0600 bundle (infra/bundle.ts); nothing secret is in argv or the environment. The KME configuration
// file may also come from HETQN_KME_CONFIG (infra/kme/config.ts); with several nodes it is taken
// for the first only (each other node's KME gets a free port and a generated token).
// The process exits 3 once every node it hosts has stopped (refused, or its network gone).
import { readBundle } from '../../infra/bundle.ts';
import { all, onShutdown, parseArgs } from './args.ts';
import { nodeOptionsFromBundle, startNodeProcess, stopWithin, type NodeProcess } from './node-process.ts';
import { loadKmeConfig } from '../../infra/kme/config.ts';

const START_AT_ONCE = 8;

async function inBatches<T, R>(xs: T[], n: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i += n) out.push(...await Promise.all(xs.slice(i, i + n).map((x, j) => f(x, i + j))));
  return out;
}

try {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const files = all(argv, 'bundle');
  if (files.length === 0) throw new Error('--bundle is required');
  const bundles = files.map((f) => readBundle(f));
  const kme = loadKmeConfig(args['kme-config'] ?? process.env.HETQN_KME_CONFIG, {
    bind: args['kme-bind'], port: args['kme-port'] === undefined ? undefined : Number(args['kme-port']),
  });
  const running = new Set<NodeProcess>();
  const ended = (node: NodeProcess) => { running.delete(node); if (running.size === 0) process.exit(3); };
  // One watcher per process (the first node's connection): every node of the process talks to the
  // same server, and a ping per node every 2 s would be 500 requests a second for 1 000 nodes.
  const allGone = (reason: string) => {
    process.stderr.write(`${bundles.map((b) => b.identity).join(', ')}: ${reason}; stopping\n`);
    void Promise.all([...running].map((n) => stopWithin(n, 3000))).finally(() => process.exit(3));
  };
  // A few nodes at a time: each connects and authenticates its own identity (nonce signing, Redis
  // AUTH, KME listener); hundreds at once would only queue on a busy host.
  const nodes = await inBatches(bundles, START_AT_ONCE, async (bundle, i) => {
    const name = bundle.identity;
    const node: NodeProcess = await startNodeProcess(nodeOptionsFromBundle(bundle, {
      kme: i === 0 ? kme : loadKmeConfig(undefined, { bind: args['kme-bind'] }),
      ...(i === 0 ? { onNetworkGone: allGone } : {}),
    }));
    running.add(node);
    node.registered.then(
      () => process.stderr.write(`${name}: registered\n`),
      async (err) => { process.stderr.write(`${(err as Error).message}\n`); await node.stop(); ended(node); },
    );
    return node;
  });
  onShutdown(async () => { await Promise.all(nodes.map((n) => n.stop())); });
} catch (err) {
  process.stderr.write(`node: ${(err as Error).message}\n`);
  process.exit(1);
}
