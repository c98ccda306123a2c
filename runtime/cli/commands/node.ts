// `hetqn node --name George [--type D --dof tbp --link-km 12 --credential X] [--topology file]`:
// attach a node to a running network from this process; runs until Ctrl-C/SIGTERM, or until the
// network is gone (`hetqn down`: then it stops with exit 3 instead of retrying forever).
import type { Command } from 'commander';
import { startNodeProcess, stopWithin } from '../../processes/node-process.ts';
import { CliError, parseNumber, printResult, progress, stageLogger, timeoutOption, withDeadline } from '../output.ts';
import { withExample } from '../help.ts';
import { loadTopologyOption, resolveTarget } from '../target.ts';
import { loadKmeConfig } from '../../../infra/kme/config.ts';

const REFUSAL_FIELDS: Record<string, string> = { linkKm: 'link-km' };

export function register(program: Command): void {
  withExample(program.command('node')
    .description('attach a node process to a running network (authenticated with its pre-shared credential)')
    .requiredOption('--name <name>', 'node name, e.g. George')
    .option('--type <C|E|D>', 'node type (default: from --topology or the running network\'s topology)')
    .option('--dof <pol|tbp|pha>', 'degree of freedom (default: from the topology)')
    .option('--link-km <km>', 'fibre to the server in km (default: from the topology)')
    .option('--credential <secret>', 'pre-shared credential (default: HETQN_CREDENTIAL, else the topology)')
    .option('--topology <file>', 'topology file to take defaults and the network name from')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url (default: from the network\'s state file, else NATS_URL)')
    .option('--kme-config <file>', 'ETSI GS QKD 014 KME configuration: SAEs, tokens, TLS (default HETQN_KME_CONFIG)')
    .option('--kme-bind <address>', 'address the KME listens on (default 127.0.0.1; another needs TLS in --kme-config)')
    .option('--kme-port <port>', 'KME port (default: a free port)')
    .option('--timeout <s>', 'seconds to wait for the platform to admit the node', '30')
    .option('--json', 'print one JSON object once registered'),
  ['hetqn node --name George                     # a D node of the reference topology, attached later', 'hetqn qkd Bob Charlie --relay George+Henry     # (with Henry attached too) a joint BSM'],
  'George (D, tbp, 25 km) attached to network reference; Ctrl-C to detach')
    .action(async (o) => {
      const timeoutMs = timeoutOption(o.timeout);
      if (!/^[A-Za-z0-9_-]+$/.test(o.name)) throw new CliError(`--name: "${o.name}" must be letters, digits, _ or -`);
      const { net, natsUrl, topology: given, state } = resolveTarget(o);
      // Without --topology, the defaults come from the topology the running network was started with.
      const topology = given ?? (state?.topology ? loadTopologyOption(state.topology) : undefined);
      const spec = topology?.nodes.find((n) => n.name === o.name);
      if (topology && !spec) throw new CliError(`--name: ${o.name} is not a node of network ${net} (its topology has ${topology.nodes.map((n) => n.name).join(', ')})`, 'unknown-node');
      const type = o.type ?? spec?.type;
      const dof = o.dof ?? spec?.dof;
      const linkKm = parseNumber('link-km', o.linkKm, { min: 0, max: 1000 }) ?? spec?.linkKm;
      const credential = o.credential ?? process.env.HETQN_CREDENTIAL ?? spec?.credential;
      const unknown = topology ? '' : ` (network ${net}'s topology is not known here: give --topology)`;
      if (!['C', 'E', 'D'].includes(type)) throw new CliError(`--type: expected C, E or D, got ${type ?? 'nothing'}${unknown}`);
      if (!['pol', 'tbp', 'pha'].includes(dof)) throw new CliError(`--dof: expected pol, tbp or pha, got ${dof ?? 'nothing'}${unknown}`);
      if (linkKm === undefined) throw new CliError(`--link-km: required${unknown}`);
      if (!credential) throw new CliError(`--credential: required (or HETQN_CREDENTIAL)${unknown}`);
      const kmePort = parseNumber('kme-port', o.kmePort, { min: 0, max: 65535, integer: true });
      let kme;
      try { kme = loadKmeConfig(o.kmeConfig ?? process.env.HETQN_KME_CONFIG, { bind: o.kmeBind, port: kmePort }); } catch (e) { throw new CliError(`--kme-config: ${(e as Error).message}`); }
      // A network started by `hetqn up` left its Redis URL, the pre-shared-key secret and this
      // node's Redis user in its (owner-only) state file; explicit environment wins.
      const redisUser = state?.secrets?.redisUsers?.[o.name];
      if (state?.redisUrl) process.env.REDIS_URL ??= state.redisUrl; // (assigning undefined would set the string 'undefined')
      if (state?.secrets?.pskSecret) process.env.HETQN_PSK_SECRET ??= state.secrets.pskSecret;
      if (redisUser) { process.env.HETQN_REDIS_USER ??= redisUser.username; process.env.HETQN_REDIS_PASSWORD ??= redisUser.password; }
      const sentinel = state?.secrets?.redisSentinel;
      if (sentinel) { process.env.HETQN_REDIS_SENTINEL_USER ??= sentinel.username; process.env.HETQN_REDIS_SENTINEL_PASSWORD ??= sentinel.password; }
      const stage = stageLogger();
      stage(`${o.name}: registering with network ${net} at ${natsUrl} (up to ${timeoutMs / 1000} s)`);
      let gone: (reason: string) => void = () => undefined;
      let node;
      try {
        node = await startNodeProcess({ nats: natsUrl, net, name: o.name, type, dof, linkKm, credential, maxAttempts: 10, kme, onNetworkGone: (r) => gone(r) });
      } catch (e) { throw new CliError((e as Error).message, 'unavailable'); }
      try {
        await withDeadline(node.registered, timeoutMs, `no platform of network ${net} admitted ${o.name}`);
      } catch (e) {
        await stopWithin(node, 3000);
        if (e instanceof CliError) throw e;
        const field = (e as { field?: string }).field;
        if (field === 'name') throw new CliError(`--name: ${(e as Error).message}`, 'unknown-node');
        throw new CliError(`${field ? `--${REFUSAL_FIELDS[field] ?? field}: ` : ''}${(e as Error).message}`, field ? 'bad-input' : 'unavailable');
      }
      const started = node;
      printResult(o, { node: o.name, network: net, registered: true, processId: node.host.processId, pid: process.pid, kmeUrl: node.kmeUrl },
        () => `${o.name} (${type}, ${dof}, ${linkKm} km) attached to network ${net}${started.kmeUrl ? `, KME at ${started.kmeUrl}` : ''}; Ctrl-C to detach`);
      const code = await new Promise<number>((resolve) => {
        const stop = () => { progress(`${o.name}: leaving`); void stopWithin(node!, 5000).then(() => resolve(0)); };
        gone = (reason) => { progress(`${o.name}: ${reason}; stopping`); void stopWithin(node!, 3000).then(() => resolve(3)); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.exit(code);
    });
}
