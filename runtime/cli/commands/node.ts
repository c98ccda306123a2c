// `hetqn node --name George --type D --dof tbp --link-km 12 --credential X [--topology file]`:
// attach a node to a running network from this process; runs until Ctrl-C/SIGTERM.
import type { Command } from 'commander';
import { startNodeProcess } from '../../processes/node-process.ts';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { loadTopologyOption, resolveTarget } from '../target.ts';
import { readState } from '../../state-file.ts';
import { loadKmeConfig } from '../../../infra/kme/config.ts';

export function register(program: Command): void {
  program.command('node')
    .description('attach a node process to a running network (authenticated with its pre-shared credential)')
    .requiredOption('--name <name>', 'node name, e.g. George')
    .option('--type <C|E|D>', 'node type (default: from --topology or the running network\'s topology)')
    .option('--dof <pol|tbp|pha>', 'degree of freedom (default: from --topology)')
    .option('--link-km <km>', 'fibre to the server in km (default: from --topology)')
    .option('--credential <secret>', 'pre-shared credential (default: HETQN_CREDENTIAL or --topology)')
    .option('--topology <file>', 'topology file to take defaults and the network name from')
    .option('--net <name>', 'network name')
    .option('--nats <url>', 'NATS url')
    .option('--kme-config <file>', 'ETSI GS QKD 014 KME configuration: SAEs, tokens, TLS (default HETQN_KME_CONFIG)')
    .option('--kme-bind <address>', 'address the KME listens on (default 127.0.0.1; another needs TLS in --kme-config)')
    .option('--kme-port <port>', 'KME port (default: a free port)')
    .option('--json', 'print one JSON object once registered')
    .action(async (o) => {
      const { net, natsUrl, topology: given } = resolveTarget(o);
      // Without --topology, the defaults come from the topology the running network was started with.
      const state = readState(net);
      const topology = given ?? (state?.topology ? loadTopologyOption(state.topology) : undefined);
      const spec = topology?.nodes.find((n) => n.name === o.name);
      const type = o.type ?? spec?.type;
      const dof = o.dof ?? spec?.dof;
      const linkKm = parseNumber('link-km', o.linkKm, { min: 0 }) ?? spec?.linkKm;
      const credential = o.credential ?? process.env.HETQN_CREDENTIAL ?? spec?.credential;
      if (!['C', 'E', 'D'].includes(type)) throw new CliError(`--type: expected C, E or D, got ${type ?? 'nothing'}`);
      if (!['pol', 'tbp', 'pha'].includes(dof)) throw new CliError(`--dof: expected pol, tbp or pha, got ${dof ?? 'nothing'}`);
      if (linkKm === undefined) throw new CliError('--link-km: required (or give --topology with this node)');
      if (!credential) throw new CliError('--credential: required (or HETQN_CREDENTIAL, or --topology with this node)');
      if (!/^[A-Za-z0-9_-]+$/.test(o.name)) throw new CliError(`--name: "${o.name}" must be letters, digits, _ or -`);
      const kmePort = parseNumber('kme-port', o.kmePort, { min: 0, integer: true });
      let kme;
      try { kme = loadKmeConfig(o.kmeConfig ?? process.env.HETQN_KME_CONFIG, { bind: o.kmeBind, port: kmePort }); } catch (e) { throw new CliError(`--kme-config: ${(e as Error).message}`); }
      // A network started by `hetqn up` left its Redis URL, the pre-shared-key secret and this
      // node's Redis user in its (owner-only) state file; explicit environment wins.
      const redisUser = state?.secrets?.redisUsers?.[o.name];
      if (state?.redisUrl) process.env.REDIS_URL ??= state.redisUrl; // (assigning undefined would set the string 'undefined')
      if (state?.secrets?.pskSecret) process.env.HETQN_PSK_SECRET ??= state.secrets.pskSecret;
      if (redisUser) { process.env.HETQN_REDIS_USER ??= redisUser.username; process.env.HETQN_REDIS_PASSWORD ??= redisUser.password; }
      let node;
      try {
        node = await startNodeProcess({ nats: natsUrl, net, name: o.name, type, dof, linkKm, credential, maxAttempts: 10, kme });
      } catch (e) { throw new CliError((e as Error).message); }
      try {
        await node.registered;
      } catch (e) {
        await node.stop();
        const field = (e as { field?: string }).field;
        throw new CliError(`${field ? `--${field === 'linkKm' ? 'link-km' : field}: ` : ''}${(e as Error).message}`);
      }
      printResult(o, { node: o.name, network: net, registered: true, processId: node.host.processId, pid: process.pid, kmeUrl: node.kmeUrl },
        () => `${o.name} (${type}, ${dof}, ${linkKm} km) attached to network ${net}${node.kmeUrl ? `, KME at ${node.kmeUrl}` : ''}; Ctrl-C to detach`);
      await new Promise<void>((resolve) => {
        const stop = () => { progress(`${o.name}: leaving`); void node!.stop().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.exit(0);
    });
}
