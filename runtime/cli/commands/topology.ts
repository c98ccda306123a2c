// `hetqn topology generate`: a metropolitan (LAQN) or wide-area (WAQN) network of hundreds to a
// thousand user nodes of every type and DoF, several switch sites with server-owned relays and
// sources, fibre lengths from the models in infra/topology-generate.ts. Deterministic for a
// seed except the credentials; the file holds every node's pre-shared secret, so it is written
// owner-only (0600).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { generateTopology, LENGTH_MODEL, type GeneratedTopology } from '../../../infra/topology-generate.ts';
import { parseTopology } from '../../../infra/topology.ts';

interface Opts { kind: string; nodes: string; sites?: string; seed: string; out?: string; network?: string; json?: boolean }

export function register(program: Command): void {
  const t = program.command('topology').description('topology files');
  t.command('generate')
    .description('generate a large LAQN (metropolitan) or WAQN (wide-area) topology')
    .requiredOption('--kind <kind>', 'laqn | waqn')
    .requiredOption('--nodes <n>', 'user nodes (server-owned relays and sources come on top)')
    .option('--sites <n>', 'LAQN: switch sites; WAQN: cities (default: one per 150 / 200 users)')
    .option('--seed <x>', 'seed (same seed, same network; credentials are always fresh)', '1')
    .option('--network <name>', 'network name (default <kind>-<nodes>-s<seed>)')
    .option('--out <file>', 'where to write it, .json or .yaml (default <network>.json); written 0600')
    .option('--json', 'print one JSON object (a summary, no secrets)')
    .action((o: Opts) => {
      if (o.kind !== 'laqn' && o.kind !== 'waqn') throw new CliError(`--kind: laqn or waqn, got "${o.kind}"`);
      const nodes = parseNumber('nodes', o.nodes, { min: 2, max: 20_000, integer: true })!;
      const sites = parseNumber('sites', o.sites, { min: 1, max: 500, integer: true });
      const seed = parseNumber('seed', o.seed, { integer: true })!;
      if (o.network !== undefined && !/^[A-Za-z0-9_-]+$/.test(o.network)) throw new CliError('--network: letters, digits, _ and - only');
      const topo = generateTopology({ kind: o.kind, nodes, seed, ...(sites !== undefined ? { sites } : {}), ...(o.network ? { network: o.network } : {}) });
      parseTopology(structuredClone(topo), 'generated topology');
      const out = path.resolve(o.out ?? `${topo.network}.json`);
      writeSecret(out, /\.ya?ml$/i.test(out) ? YAML.stringify(topo) : JSON.stringify(topo, null, 1) + '\n');
      progress(`wrote ${out} (0600: it holds every node's credential)`);
      const s = summarise(topo, out);
      printResult(o, s, () => `${s.network}: ${s.userNodes} user nodes (${Object.entries(s.types).map(([k, v]) => `${v} ${k}`).join(', ')}), ${s.serverOwned} server-owned relays/sources, ${s.sites} sites, ${s.links} links -> ${out}`);
    });
}

/** Create or replace the file owner-only: the mode is set before a byte is written. */
function writeSecret(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try { fs.writeSync(fd, text); } finally { fs.closeSync(fd); }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

function summarise(t: GeneratedTopology, out: string) {
  const users = t.nodes.filter((n) => n.owner !== 'server');
  const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});
  const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
  return {
    out,
    network: t.network,
    kind: t.generated.kind,
    seed: t.generated.seed,
    userNodes: users.length,
    serverOwned: t.nodes.length - users.length,
    types: count(users.map((n) => n.type)),
    dofs: count(users.map((n) => n.dof)),
    sites: t.sites.length,
    links: t.links.length,
    accessKm: range(users.map((n) => n.linkKm)),
    linkKm: range(t.links.map((l) => l.km)),
    lengthModel: LENGTH_MODEL,
  };
}
