// Entry point of a node process (spawned by the launcher):
//   HETQN_CREDENTIAL=... node --import tsx runtime/processes/node-main.ts --nats URL --net NET \
//     --name Alice --type C --dof pol --link-km 5 [--kme-config FILE] [--kme-bind ADDR] [--kme-port N]
// The KME configuration file may also come from HETQN_KME_CONFIG (infra/kme/config.ts).
import { need, onShutdown, parseArgs } from './args.ts';
import { startNodeProcess, stopWithin } from './node-process.ts';
import { loadKmeConfig } from '../../infra/kme/config.ts';

try {
  const args = parseArgs(process.argv.slice(2));
  const credential = process.env.HETQN_CREDENTIAL;
  if (!credential) throw new Error('HETQN_CREDENTIAL is not set');
  const name = need(args, 'name');
  const kme = loadKmeConfig(args['kme-config'] ?? process.env.HETQN_KME_CONFIG, {
    bind: args['kme-bind'], port: args['kme-port'] === undefined ? undefined : Number(args['kme-port']),
  });
  const node = await startNodeProcess({
    nats: need(args, 'nats'), net: need(args, 'net'), name,
    type: need(args, 'type') as 'C', dof: need(args, 'dof') as 'pol', linkKm: Number(need(args, 'link-km')), credential, kme,
    onNetworkGone: (reason) => { process.stderr.write(`${name}: ${reason}; stopping\n`); void stopWithin(node, 3000).finally(() => process.exit(3)); },
  });
  onShutdown(() => node.stop());
  node.registered.then(
    () => process.stderr.write(`${name}: registered\n`),
    async (err) => { process.stderr.write(`${(err as Error).message}\n`); await node.stop(); process.exit(3); },
  );
} catch (err) {
  process.stderr.write(`node: ${(err as Error).message}\n`);
  process.exit(1);
}
