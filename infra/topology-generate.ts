// Large topologies for `hetqn topology generate`: a metropolitan network (LAQN: several switch
// sites of one city joined by metro fibre) or a wide-area one (WAQN: cities joined by long-haul
// fibre with an untrusted relay hut half way along every inter-city link). Deterministic for a
// seed, except the node credentials, which are fresh random secrets (the file is a secret).
//
// Length models (uniform draws; every length is data in the file, the planner uses it as is):
//   access link, user node -> its site's switch: 2-20 km. The reach of a passive optical access
//     network is 20 km (ITU-T G.984.2, GPON class B+); the reference network's users sit 5-25 km
//     from the server (Lu et al., Nat. Commun. 2025).
//   server-owned relay or source -> its site's switch: 0.1-1 km (in the same building).
//   LAQN inter-site link: 10-50 km. Metro QKD networks: the Vienna SECOQC links were 6-85 km
//     (Peev et al., NJP 11, 075001 (2009)); the Hefei 46-node network's sub-networks are about
//     15 km apart (Chen et al., npj Quantum Inf. 7, 134 (2021)).
//   WAQN inter-city link: 50-300 km, split in two equal spans at a relay hut. Backbone spans of
//     the Beijing-Shanghai line average ~60 km (2 000 km, 32 trusted nodes: Chen et al., Nature
//     589, 214 (2021)); deployed spans of 110 km and 160 km (Clason et al., arXiv:2606.06107).
//     No trusted node: a pair in two cities gets a key only through the hut's MDI relay, where
//     the planner predicts one (it refuses, with the reason, where it does not).
//   fibre: 0.2 dB/km (ITU-T G.652 at 1550 nm, as the reference network).
// Devices: MEMS ports 0.5 dB; passive DoF converters 3.3 dB; beam splitters 0.2 dB (the
// orchestration view's defaults, actors/server/orchestration-view.ts DEFAULT_SERVER).
import { randomBytes } from 'node:crypto';
import { createRng, type Rng } from '../protocols/rng.ts';
import type { Dof, NodeType } from '../protocols/types.ts';
import type { NodeSpec } from './topology.ts';

export const LENGTH_MODEL = {
  accessKm: [2, 20],
  relayKm: [0.1, 1],
  laqnSiteLinkKm: [10, 50],
  waqnCityLinkKm: [50, 300],
  fibreDbPerKm: 0.2,
} as const;

/** User node mix: C weak-coherent, D detector, E entangled-pair source. */
export const TYPE_SHARE: Record<NodeType, number> = { C: 0.55, D: 0.3, E: 0.15 };
/** D users with four SPDs that can act as BSM relay in all DoFs (David), the others two SPDs in their own DoF (George). */
const BSM_SHARE = 0.4;
/** C users with their own DoF converter (all five reference C nodes have one). */
const OWN_CONVERTER_SHARE = 0.7;
/** Server-owned helpers per site: one D relay per USERS_PER_RELAY users (at least 2), one E source per USERS_PER_SOURCE (at least 1). */
const USERS_PER_RELAY = 25;
const USERS_PER_SOURCE = 60;
/** Relays in each WAQN relay hut. */
const HUT_RELAYS = 4;
/** Server DoF converters per site: one per USERS_PER_CONVERTER users (at least 2). */
const USERS_PER_CONVERTER = 20;
const LAQN_STRANDS = 24;
const WAQN_STRANDS = 12;
const DOFS: Dof[] = ['pol', 'tbp', 'pha'];

export interface GenerateOptions {
  kind: 'laqn' | 'waqn';
  /** User nodes (server-owned relays and sources come on top). */
  nodes: number;
  /** LAQN: switch sites; WAQN: cities (relay huts come on top). */
  sites?: number;
  seed?: number;
  network?: string;
}

export interface GeneratedSite {
  name: string;
  description: string;
  switchPorts: number;
  portLossDb: number;
  converters: Array<{ id: string; lossDb: number; misalignment: number }>;
  beamSplitters: Array<{ id: string; lossDb: number }>;
}

export interface GeneratedTopology {
  network: string;
  description: string;
  generated: Record<string, unknown>;
  fibreDbPerKm: number;
  server: { switchPorts: number };
  sites: GeneratedSite[];
  links: Array<{ a: string; b: string; km: number; fibres: number }>;
  nodes: NodeSpec[];
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const uniform = (rng: Rng, [lo, hi]: readonly [number, number]) => round(lo + (hi - lo) * rng.nextDouble());
const pad = (i: number, n: number) => String(i).padStart(String(n).length, '0');

export function defaultSites(kind: 'laqn' | 'waqn', nodes: number): number {
  return kind === 'laqn' ? Math.max(2, Math.ceil(nodes / 150)) : Math.max(3, Math.ceil(nodes / 200));
}

/** A generated topology; `credential` makes each node's pre-shared secret (random by default). */
export function generateTopology(opts: GenerateOptions, credential: () => string = () => `psk-${randomBytes(18).toString('base64url')}`): GeneratedTopology {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error(`nodes: a positive integer, got ${opts.nodes}`);
  const seed = opts.seed ?? 1;
  const nSites = opts.sites ?? defaultSites(opts.kind, opts.nodes);
  if (!Number.isInteger(nSites) || nSites < 1) throw new Error(`sites: a positive integer, got ${opts.sites}`);
  const rng = createRng(`hetqn-topology|${opts.kind}|${seed}`);
  const sitePrefix = opts.kind === 'laqn' ? 'S' : 'City';
  const userSites = Array.from({ length: nSites }, (_, i) => `${sitePrefix}${pad(i + 1, nSites)}`);
  const users = makeUsers(rng.fork(), opts.nodes, userSites, credential);
  const layout = opts.kind === 'laqn' ? metroLinks(rng.fork(), userSites) : wideAreaLinks(rng.fork(), userSites);
  const helpers = makeHelpers(rng.fork(), userSites, layout.huts, users, credential);
  const nodes = [...users, ...helpers];
  const sites = [...userSites, ...layout.huts].map((name) => siteOf(name, layout.huts.includes(name), nodes, layout.links));
  const description = opts.kind === 'laqn'
    ? `Generated metropolitan network: ${opts.nodes} user nodes on ${nSites} switch sites joined by metro fibre`
    : `Generated wide-area network: ${opts.nodes} user nodes in ${nSites} cities; every inter-city link has an untrusted relay hut half way`;
  return {
    network: opts.network ?? `${opts.kind}-${opts.nodes}-s${seed}`,
    description,
    generated: { by: 'hetqn topology generate', kind: opts.kind, nodes: opts.nodes, sites: nSites, seed, lengthModel: LENGTH_MODEL },
    fibreDbPerKm: LENGTH_MODEL.fibreDbPerKm,
    server: { switchPorts: Math.max(...sites.map((s) => s.switchPorts)) },
    sites,
    links: layout.links,
    nodes,
  };
}

/** User nodes: every (type, DoF) combination once first, then drawn by TYPE_SHARE; each at a random site. */
function makeUsers(rng: Rng, n: number, sites: string[], credential: () => string): NodeSpec[] {
  const types: NodeType[] = ['C', 'D', 'E'];
  const out: NodeSpec[] = [];
  for (let i = 0; i < n; i++) {
    const combo = i < 9 ? { type: types[Math.floor(i / 3)]!, dof: DOFS[i % 3]! } : undefined;
    const x = rng.nextDouble();
    const type: NodeType = combo?.type ?? (x < TYPE_SHARE.C ? 'C' : x < TYPE_SHARE.C + TYPE_SHARE.D ? 'D' : 'E');
    const dof = combo?.dof ?? DOFS[rng.nextInt(3)]!;
    const node: NodeSpec = { name: `u${pad(i + 1, n)}`, type, dof, linkKm: uniform(rng, LENGTH_MODEL.accessKm), site: sites[rng.nextInt(sites.length)]!, credential: credential() };
    if (type === 'C') node.ownConverter = rng.nextDouble() < OWN_CONVERTER_SHARE;
    if (type === 'D') Object.assign(node, rng.nextDouble() < BSM_SHARE ? { bsm: true, detectors: 4, measures: [...DOFS] } : { bsm: false, detectors: 2, measures: [dof] });
    out.push(node);
  }
  return out;
}

/** LAQN: a ring over the sites in random order plus chords (about one per two sites), 10-50 km each. */
function metroLinks(rng: Rng, sites: string[]): { links: GeneratedTopology['links']; huts: string[] } {
  const order = shuffle(rng, sites);
  const pairs = new Set<string>();
  const links: GeneratedTopology['links'] = [];
  const add = (a: string, b: string) => {
    const key = [a, b].sort().join('~');
    if (a === b || pairs.has(key)) return;
    pairs.add(key);
    links.push({ a, b, km: uniform(rng, LENGTH_MODEL.laqnSiteLinkKm), fibres: LAQN_STRANDS });
  };
  for (let i = 0; i + 1 < order.length; i++) add(order[i]!, order[i + 1]!);
  if (order.length > 2) add(order.at(-1)!, order[0]!);
  for (let i = 0; i < Math.floor(sites.length / 2) && sites.length > 3; i++) add(sites[rng.nextInt(sites.length)]!, sites[rng.nextInt(sites.length)]!);
  return { links, huts: [] };
}

/** WAQN: cities on a backbone chain plus one chord; every city link split at a relay hut into two equal spans. */
function wideAreaLinks(rng: Rng, cities: string[]): { links: GeneratedTopology['links']; huts: string[] } {
  const city = cities.map(String);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < city.length; i++) pairs.push([city[i]!, city[i + 1]!]);
  if (city.length > 3) pairs.push([city[0]!, city[2 + rng.nextInt(city.length - 2)]!]);
  const links: GeneratedTopology['links'] = [];
  const huts: string[] = [];
  for (const [a, b] of pairs) {
    const km = uniform(rng, LENGTH_MODEL.waqnCityLinkKm);
    const hut = `H-${a}-${b}`;
    huts.push(hut);
    links.push({ a, b: hut, km: round(km / 2), fibres: WAQN_STRANDS }, { a: hut, b, km: round(km / 2), fibres: WAQN_STRANDS });
  }
  return { links, huts };
}

/** Server-owned D relays (BSM, every DoF) and E sources at each user site; D relays only in huts. */
function makeHelpers(rng: Rng, userSites: string[], huts: string[], users: NodeSpec[], credential: () => string): NodeSpec[] {
  const out: NodeSpec[] = [];
  const relay = (site: string, i: number): NodeSpec => ({
    name: `${site}-relay${i}`, type: 'D', dof: 'pol', linkKm: uniform(rng, LENGTH_MODEL.relayKm), site, owner: 'server',
    bsm: true, detectors: 4, measures: [...DOFS], credential: credential(),
  });
  for (const site of userSites) {
    const here = users.filter((u) => u.site === site).length;
    for (let i = 1; i <= Math.max(2, Math.ceil(here / USERS_PER_RELAY)); i++) out.push(relay(site, i));
    for (let i = 1; i <= Math.max(1, Math.ceil(here / USERS_PER_SOURCE)); i++)
      out.push({ name: `${site}-source${i}`, type: 'E', dof: 'tbp', linkKm: uniform(rng, LENGTH_MODEL.relayKm), site, owner: 'server', credential: credential() });
  }
  for (const hut of huts) for (let i = 1; i <= HUT_RELAYS; i++) out.push(relay(hut, i));
  return out;
}

/** A site's switch, sized for every fibre, device side and strand that lands on it (plus 10 % spare). */
function siteOf(name: string, hut: boolean, nodes: NodeSpec[], links: GeneratedTopology['links']): GeneratedSite {
  const users = nodes.filter((n) => n.site === name && n.owner !== 'server').length;
  const converters = hut ? [] : Array.from({ length: Math.max(2, Math.ceil(users / USERS_PER_CONVERTER)) }, (_, i) => ({ id: `${name}-conv${i}`, lossDb: 3.3, misalignment: 0.002 }));
  const beamSplitters = hut ? [] : [{ id: `${name}-bs0`, lossDb: 0.2 }];
  const fibres = nodes.filter((n) => n.site === name).reduce((s, n) => s + (n.type === 'E' || (n.type === 'D' && n.bsm) ? 2 : 1), 0);
  const strands = links.filter((l) => l.a === name || l.b === name).reduce((s, l) => s + l.fibres, 0);
  const used = fibres + strands + 2 * converters.length + 4 * beamSplitters.length;
  return {
    name,
    description: hut ? 'relay hut on an inter-city link (untrusted MDI relays only)' : 'switch site with its converters, beam splitter, relays and sources',
    switchPorts: Math.ceil(used * 1.1),
    portLossDb: 0.5,
    converters,
    beamSplitters,
  };
}

function shuffle<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
