// `hetqn creds issue --node NAME --out BUNDLE [--net N] [--topology FILE] [--rotate] [--kme-config FILE] [--json]`: write one
// owner-only (0600) bundle with only that node's secrets (infra/bundle.ts), from the network's issuer
// file on this (admin) host. `--identity server|client|inspector` issues the other roles' bundles.
// A node new to the topology gets its identity, Redis user and pair seeds now; `--rotate` replaces the
// identity's nkey (a lost bundle). Either way the NATS config is rewritten and a private nats-server
// reloaded (SIGHUP); other nodes' bundles must be issued again to hold the new pairs' seeds.
// `hetqn creds nats-config --out FILE`: the authorization config for a nats-server of your own.
import path from 'node:path';
import type { Command } from 'commander';
import { ensureTopology, issueBundle, issuerFile, loadIssuer, rotateIdentity, saveIssuer } from '../../../infra/issuer.ts';
import { writeBundle } from '../../../infra/bundle.ts';
import { natsConfig, natsConfigFile, reloadNats, writeNatsConfig } from '../../../infra/nats-config.ts';
import { writeSecretFile } from '../../../infra/bundle.ts';
import { liveStates, pidAlive, readState, stateDir } from '../../state-file.ts';
import { roleOf } from '../../subjects.ts';
import { CliError, printResult, progress } from '../output.ts';
import { loadTopologyOption } from '../target.ts';
import { kmeSectionOf } from '../../../infra/kme/config.ts';

interface Common { net?: string; issuer?: string; json?: boolean }

function target(o: Common): { net: string; file: string } {
  let net = o.net;
  if (!net) {
    const live = liveStates();
    if (live.length === 1) net = live[0]!.net;
    else if (live.length > 1) throw new CliError(`--net: several networks are running (${live.map((s) => s.net).join(', ')}); pick one`);
    else net = 'reference';
  }
  return { net, file: o.issuer ?? readState(net)?.issuer ?? issuerFile(stateDir(), net) };
}

function load(file: string) {
  try { return loadIssuer(file); } catch (e) { throw new CliError(`--issuer: ${(e as Error).message} (run \`hetqn up\` or \`hetqn server\` on the admin host first)`); }
}

export function register(program: Command): void {
  const creds = program.command('creds').description('issue credentials bundles from the network\'s issuer (admin host)');
  creds.command('issue')
    .description('write a 0600 bundle holding only one node\'s (or role\'s) secrets')
    .option('--node <name>', 'the node to issue for')
    .option('--identity <name>', 'server, client or inspector (instead of --node)')
    .requiredOption('--out <file>', 'where to write the bundle')
    .option('--net <name>', 'network name (default: the running one)')
    .option('--topology <file>', 'topology (default: the running network\'s)')
    .option('--issuer <file>', 'issuer file (default: <state dir>/<net>/issuer.json)')
    .option('--rotate', 'give the identity a new nkey (the old bundle stops working)')
    .option('--kme-config <file>', 'put this KME configuration (bind, port, SAEs, TLS read in as PEM) in the node\'s bundle')
    .option('--json', 'print one JSON object')
    .action(async (o: Common & { node?: string; identity?: string; out: string; topology?: string; rotate?: boolean; kmeConfig?: string }) => {
      if (!!o.node === !!o.identity) throw new CliError('--node: give either --node NAME or --identity server|client|inspector');
      const identity = (o.node ?? o.identity)!;
      if (o.node && roleOf(identity) !== 'node') throw new CliError(`--node: ${identity} is a reserved identity; use --identity ${identity}`);
      if (o.identity && roleOf(identity) === 'node') throw new CliError(`--identity: expected server, client or inspector, got ${identity} (nodes: --node)`);
      if (o.kmeConfig && !o.node) throw new CliError('--kme-config: only a node\'s bundle has a KME (with --node)');
      let kme;
      try { kme = o.kmeConfig ? kmeSectionOf(o.kmeConfig) : undefined; } catch (e) { throw new CliError(`--kme-config: ${(e as Error).message}`); }
      const { net, file } = target(o);
      const issuer = load(file);
      const topoFile = o.topology ?? readState(net)?.topology;
      const topology = topoFile ? loadTopologyOption(topoFile) : undefined;
      if (roleOf(identity) === 'node' && !topology) throw new CliError('--topology: required (no running network records one)');
      const added = topology ? ensureTopology(issuer, topology) : [];
      if (o.node && !issuer.identities[identity]) throw new CliError(`--node: ${identity} is not a node of network ${net}`);
      if (o.rotate) rotateIdentity(issuer, identity);
      let reloaded = false;
      if (added.length || o.rotate) {
        saveIssuer(file, issuer);
        writeNatsConfig(natsConfigFile(file), issuer);
        const pid = readState(net)?.natsPid;
        if (pid && pidAlive(pid)) { reloadNats(pid); reloaded = true; }
        else progress(`the NATS authorization config changed (${natsConfigFile(file)}): reload your nats-server (nats-server --signal reload)`);
      }
      if (added.length) progress(`new identities ${added.join(', ')}: issue their peers' bundles again so both ends hold the new pairs' keys`);
      let bundle;
      try { bundle = { ...issueBundle(issuer, identity, topology), ...(kme ? { kme } : {}) }; } catch (e) { throw new CliError((e as Error).message); }
      const out = path.resolve(o.out);
      writeBundle(out, bundle);
      printResult(o, { network: net, identity, role: bundle.role, bundle: out, mode: '0600', fields: Object.keys(bundle), peers: Object.keys(bundle.psk ?? {}).sort(), added, rotated: !!o.rotate, reloaded },
        () => `wrote ${out} (0600): ${bundle.role} ${identity} of network ${net}${bundle.psk ? `, pre-shared keys with ${Object.keys(bundle.psk).sort().join(', ')}` : ''}\nrun it on its host with: hetqn node --join ${out}`);
    });
  creds.command('nats-config')
    .description('write the NATS authorization config of the network (for a nats-server you run yourself)')
    .requiredOption('--out <file>', 'where to write it (0600)')
    .option('--net <name>', 'network name')
    .option('--issuer <file>', 'issuer file')
    .option('--json', 'print one JSON object')
    .action(async (o: Common & { out: string }) => {
      const { net, file } = target(o);
      const out = path.resolve(o.out);
      writeSecretFile(out, natsConfig(load(file)));
      printResult(o, { network: net, config: out }, () => `wrote ${out}: include it in your nats-server config and reload it`);
    });
}
