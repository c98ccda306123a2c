// Entry point of a node process (spawned by the launcher, or by `hetqn node --join`):
//   node --import tsx runtime/processes/node-main.ts --bundle FILE [--kme-config FILE] [--kme-bind ADDR] [--kme-port N]
// Everything the node needs to join comes from its own 0600 bundle (infra/bundle.ts); nothing secret
// is in its argv or environment. The KME configuration file may also come from HETQN_KME_CONFIG
// (infra/kme/config.ts).
import { readBundle } from '../../infra/bundle.ts';
import { need, onShutdown, parseArgs } from './args.ts';
import { nodeOptionsFromBundle, startNodeProcess, stopWithin } from './node-process.ts';
import { loadKmeConfig } from '../../infra/kme/config.ts';

try {
  const args = parseArgs(process.argv.slice(2));
  const bundle = readBundle(need(args, 'bundle'));
  const kme = loadKmeConfig(args['kme-config'] ?? process.env.HETQN_KME_CONFIG, {
    bind: args['kme-bind'], port: args['kme-port'] === undefined ? undefined : Number(args['kme-port']),
  });
  const name = bundle.identity;
  const node = await startNodeProcess(nodeOptionsFromBundle(bundle, {
    kme, onNetworkGone: (reason) => { process.stderr.write(`${name}: ${reason}; stopping\n`); void stopWithin(node, 3000).finally(() => process.exit(3)); },
  }));
  onShutdown(() => node.stop());
  node.registered.then(
    () => process.stderr.write(`${name}: registered\n`),
    async (err) => { process.stderr.write(`${(err as Error).message}\n`); await node.stop(); process.exit(3); },
  );
} catch (err) {
  process.stderr.write(`node: ${(err as Error).message}\n`);
  process.exit(1);
}
