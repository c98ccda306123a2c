// `hetqn node --join BUNDLE [--json]`: run a node on this host from its bundle alone (infra/bundle.ts:
// bus identity, Redis user, its pairs' pre-shared keys, admission credential, server URLs, CA); no
// state file or topology needed. `hetqn node --name George [--type/--dof/--link-km/--credential ...]`
// on the admin host: the same with a bundle issued in memory from the network's issuer file; the other
// flags override its node spec. Runs until Ctrl-C/SIGTERM, or until the network is gone (`hetqn down`:
// then it stops with exit 3 instead of retrying forever). Several --join, or --restart: the nodes run
// in one child process, supervised with --restart (runtime/cli/node-service.ts).
import type { Command } from 'commander';
import { nodeOptionsFromBundle, startNodeProcess, stopWithin, type NodeProcessOptions } from '../../processes/node-process.ts';
import { readBundle, type Bundle } from '../../../infra/bundle.ts';
import { issueBundle, issuerFile, loadIssuer } from '../../../infra/issuer.ts';
import { CliError, parseNumber, printResult, progress, stageLogger, timeoutOption, withDeadline } from '../output.ts';
import { withExample } from '../help.ts';
import { runNodeService } from '../node-service.ts';
import { loadTopologyOption, resolveTarget } from '../target.ts';
import { stateDir } from '../../state-file.ts';
import { loadKmeConfig } from '../../../infra/kme/config.ts';
import { serverList } from '../../nats-bus.ts';

const REFUSAL_FIELDS: Record<string, string> = { linkKm: 'link-km' };

/** On the admin host: the node's bundle from the network's issuer file. */
function fromIssuer(o: { name: string; topology?: string; net?: string; nats?: string[] }): Bundle {
  const { net, topology: given, state } = resolveTarget({ ...o, nats: o.nats?.join(',') });
  const topology = given ?? (state?.topology ? loadTopologyOption(state.topology) : undefined);
  if (topology && !topology.nodes.some((n) => n.name === o.name)) {
    throw new CliError(`--name: ${o.name} is not a node of network ${net} (its topology has ${topology.nodes.map((n) => n.name).join(', ')})`, 'unknown-node');
  }
  const file = state?.issuer ?? issuerFile(stateDir(), net);
  try {
    return issueBundle(loadIssuer(file), o.name, topology);
  } catch (e) {
    throw new CliError(`--name: ${(e as Error).message} (on another host: hetqn node --join BUNDLE, with a bundle from \`hetqn creds issue\`)`, 'unknown-node');
  }
}

/** The node's options: its bundle, with the spec flags and the KME configuration over it. */
function nodeOptions(o: Record<string, string | undefined> & { nats?: string[] }, bundle: Bundle): NodeProcessOptions {
  if (bundle.role !== 'node') throw new CliError(`--join: the bundle of ${bundle.identity} is a ${bundle.role} bundle, not a node's`);
  const over: Partial<NodeProcessOptions> = { maxAttempts: 10 };
  if (o.type) { if (!['C', 'E', 'D'].includes(o.type)) throw new CliError(`--type: expected C, E or D, got ${o.type}`); over.type = o.type as 'C'; }
  if (o.dof) { if (!['pol', 'tbp', 'pha'].includes(o.dof)) throw new CliError(`--dof: expected pol, tbp or pha, got ${o.dof}`); over.dof = o.dof as 'pol'; }
  const linkKm = parseNumber('link-km', o.linkKm, { min: 0, max: 1000 });
  if (linkKm !== undefined) over.linkKm = linkKm;
  if (o.credential) over.credential = o.credential;
  const kmePort = parseNumber('kme-port', o.kmePort, { min: 0, max: 65535, integer: true });
  try { over.kme = loadKmeConfig(o.kmeConfig ?? process.env.HETQN_KME_CONFIG, { bind: o.kmeBind, port: kmePort }, bundle.kme); } catch (e) { throw new CliError(`--kme-config: ${(e as Error).message}`); }
  const opts = nodeOptionsFromBundle(bundle, over);
  if (o.nats) opts.nats = { ...opts.nats!, servers: serverList(o.nats) };
  return opts;
}

export function register(program: Command): void {
  withExample(program.command('node')
    .description('run a node process: from its bundle (--join) on any host, or by name on the admin host')
    .option('--join <bundle>', 'the node\'s bundle (from `hetqn creds issue`); repeat it to run several nodes in one process', (v: string, prev: string[] = []) => [...prev, v])
    .option('--restart', 'run the node(s) in a child process that is restarted with backoff when it crashes (as a service)')
    .option('--name <name>', 'node name (admin host: its bundle issued from the local issuer)')
    .option('--type <C|E|D>', 'override the node type')
    .option('--dof <pol|tbp|pha>', 'override the degree of freedom')
    .option('--link-km <km>', 'override the fibre to the server in km')
    .option('--credential <secret>', 'override the admission credential')
    .option('--topology <file>', 'topology (with --name; default: the running network\'s)')
    .option('--net <name>', 'network name (with --name; default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url (repeat or comma-separate for the servers of a cluster; default: the bundle\'s)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--kme-config <file>', 'ETSI GS QKD 014 KME configuration: SAEs, tokens, TLS (default HETQN_KME_CONFIG, else the bundle\'s kme section)')
    .option('--kme-bind <address>', 'address the KME listens on (default 127.0.0.1; another needs TLS in --kme-config)')
    .option('--kme-port <port>', 'KME port (default: a free port)')
    .option('--timeout <s>', 'seconds to wait for the platform to admit the node', '30')
    .option('--json', 'print one JSON object once registered'),
  ['hetqn node --join george.json               # on George\'s host, with the bundle from `hetqn creds issue --node George`',
    'hetqn node --name George                     # on the admin host, a node of the running network attached later',
    'hetqn node --join g.json --join h.json --restart  # two nodes in one supervised process (a service)'],
  'George (D, tbp, 25 km) joined network reference; Ctrl-C to leave')
    .action(async (o) => {
      const timeoutMs = timeoutOption(o.timeout);
      if (!!o.join === !!o.name) throw new CliError('--join: give either --join BUNDLE or --name NAME');
      let bundle: Bundle;
      if (o.join && (o.join.length > 1 || o.restart)) {
        for (const k of ['type', 'dof', 'linkKm', 'credential', 'nats', 'kmeConfig', 'kmeBind', 'kmePort']) if (o[k] !== undefined) throw new CliError(`--join: --${k.replace(/[A-Z]/g, (c: string) => `-${c.toLowerCase()}`)} applies to one node run in this process; not with several --join or --restart`);
        const bundles = (o.join as string[]).map((f) => { try { return readBundle(f); } catch (e) { throw new CliError(`--join: ${(e as Error).message}`); } });
        for (const b of bundles) if (b.role !== 'node') throw new CliError(`--join: the bundle of ${b.identity} is a ${b.role} bundle, not a node's`);
        return runNodeService(o, o.join, bundles, timeoutMs);
      }
      if (o.join) { try { bundle = readBundle(o.join[0]); } catch (e) { throw new CliError(`--join: ${(e as Error).message}`); } }
      else {
        if (!/^[A-Za-z0-9_-]+$/.test(o.name)) throw new CliError(`--name: "${o.name}" must be letters, digits, _ or -`);
        bundle = fromIssuer(o);
      }
      const opts = nodeOptions(o, bundle);
      const stage = stageLogger();
      stage(`${opts.name}: registering with network ${opts.net} at ${opts.nats!.servers.join(', ')} (up to ${timeoutMs / 1000} s)`);
      let gone: (reason: string) => void = () => undefined;
      let node;
      try {
        node = await startNodeProcess({ ...opts, onNetworkGone: (r) => gone(r) });
      } catch (e) { throw new CliError(`${o.join ? '--join' : '--name'}: ${(e as Error).message}`, 'unavailable'); }
      try {
        await withDeadline(node.registered, timeoutMs, `no platform of network ${opts.net} admitted ${opts.name}`);
      } catch (e) {
        await stopWithin(node, 3000);
        if (e instanceof CliError) throw e;
        const field = (e as { field?: string }).field;
        if (field === 'name') throw new CliError(`--name: ${(e as Error).message}`, 'unknown-node');
        throw new CliError(`${field ? `--${REFUSAL_FIELDS[field] ?? field}: ` : ''}${(e as Error).message}`, field ? 'bad-input' : 'unavailable');
      }
      const started = node;
      printResult(o, { node: opts.name, network: opts.net, registered: true, processId: node.host.processId, pid: process.pid, kmeUrl: node.kmeUrl },
        () => `${opts.name} (${opts.type}, ${opts.dof}, ${opts.linkKm} km) joined network ${opts.net}${started.kmeUrl ? `, KME at ${started.kmeUrl}` : ''}; Ctrl-C to leave`);
      const code = await new Promise<number>((resolve) => {
        const stop = () => { progress(`${opts.name}: leaving`); void stopWithin(started, 5000).then(() => resolve(0)); };
        gone = (reason) => { progress(`${opts.name}: ${reason}; stopping`); void stopWithin(started, 3000).then(() => resolve(3)); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.exit(code);
    });
}
