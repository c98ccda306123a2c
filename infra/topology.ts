// Topology files (JSON or YAML): the network name, the server, the nodes with their pre-shared
// credentials, and optionally a calibration file (fitted physics constants) that is passed through.
// Errors name the file and the field: "reference.json: nodes[2].dof: Invalid enum value...".
// A network with several servers lists its `sites` (each a switch with its own converters and
// beam splitters) and the fibre `links` between them; every node then names its `site`. Without
// `sites` there is one server (`server`), as in the reference network. A node's hardware (own
// converter, what a D node measures, BSM, detectors, fibres, losses) is data here, and a relay or
// source the server operates is marked `owner: server`.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { resolveCredential } from './credentials.ts';
import { RESERVED_IDENTITIES } from '../runtime/subjects.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
const dof = z.enum(['pol', 'tbp', 'pha']);
const dB = z.number().nonnegative().max(100);
const probability = z.number().min(0).max(1);

export const nodeSpecSchema = z.object({
  name,
  type: z.enum(['C', 'E', 'D']),
  dof,
  /** Fibre to its site's switch (the server's, without sites), km. */
  linkKm: z.number().nonnegative().max(1000),
  credential: z.string().min(8, 'at least 8 characters'),
  attachLater: z.boolean().optional(),
  /** The site its fibres land on (required when the topology has `sites`). */
  site: name.optional(),
  /** 'server': a relay (D) or entangled source (E) the server operates; it never holds a key. Default 'user'. */
  owner: z.enum(['user', 'server']).optional(),
  /** Hardware as data (the orchestration core's NodeView fields). */
  ownConverter: z.boolean().optional(),
  measures: z.array(dof).min(1).optional(),
  bsm: z.boolean().optional(),
  detectors: z.number().int().min(1).max(16).optional(),
  fibres: z.number().int().min(1).max(4).optional(),
  extraLossDb: dB.optional(),
  etaDet: z.number().positive().max(1).optional(),
  darkCount: z.number().nonnegative().max(0.5).optional(),
  misalignment: z.number().nonnegative().max(0.5).optional(),
  /** Device models (source, encoder, converter, detectors...): checked by their owners, loosely here. */
  devices: z.record(z.unknown()).optional(),
}).strict();

const converterSchema = z.object({ id: name, lossDb: dB, misalignment: probability.optional() }).strict();
const beamSplitterSchema = z.object({ id: name, lossDb: dB }).strict();

export const siteSchema = z.object({
  name,
  description: z.string().optional(),
  /** Ports of its switch: every node fibre, device side and link strand landing there needs one. */
  switchPorts: z.number().int().positive().optional(),
  portLossDb: dB.optional(),
  converters: z.array(converterSchema).optional(),
  beamSplitters: z.array(beamSplitterSchema).optional(),
}).strict();

export const siteLinkSchema = z.object({
  a: name,
  b: name,
  km: z.number().positive().max(2000),
  /** Strands in the bundle: each carries one signal at a time. */
  fibres: z.number().int().min(1).max(256),
  extraLossDb: dB.optional(),
}).strict();

export const topologySchema = z.object({
  network: name,
  description: z.string().optional(),
  server: z.object({ switchPorts: z.number().int().positive().optional() }).passthrough().default({}),
  sites: z.array(siteSchema).min(1).optional(),
  links: z.array(siteLinkSchema).optional(),
  fibreDbPerKm: z.number().positive().max(2).optional(),
  nodes: z.array(nodeSpecSchema).min(1),
  /** Fitted BB84 link constants (a JSON file next to the topology), passed through as calibrationData. */
  calibration: z.string().optional(),
  /** Fitted MDI link constants and the calibrated pairs' source parameters, passed through as mdiCalibrationData. */
  mdiCalibration: z.string().optional(),
  /** How a generated topology was made (`hetqn topology generate`), kept for the record. */
  generated: z.record(z.unknown()).optional(),
}).strict().superRefine((t, ctx) => {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const seen = new Set<string>();
  t.nodes.forEach((n, i) => {
    if (seen.has(n.name)) issue(['nodes', i, 'name'], `duplicate node name "${n.name}"`);
    // A node's name is its bus identity: it may not take one of the fixed roles' names.
    if ((RESERVED_IDENTITIES as readonly string[]).includes(n.name)) issue(['nodes', i, 'name'], `"${n.name}" is reserved (${RESERVED_IDENTITIES.join(', ')} are bus identities)`);
    seen.add(n.name);
  });
  const sites = new Set<string>();
  const devices = new Set<string>();
  t.sites?.forEach((s, i) => {
    if (sites.has(s.name)) issue(['sites', i, 'name'], `duplicate site name "${s.name}"`);
    sites.add(s.name);
    for (const [k, list] of [['converters', s.converters], ['beamSplitters', s.beamSplitters]] as const)
      list?.forEach((d, j) => {
        if (devices.has(d.id)) issue(['sites', i, k, j, 'id'], `duplicate device id "${d.id}"`);
        devices.add(d.id);
      });
  });
  const pairs = new Set<string>();
  t.links?.forEach((l, i) => {
    if (!t.sites) return issue(['links'], 'links need sites');
    for (const end of ['a', 'b'] as const) if (!sites.has(l[end])) issue(['links', i, end], `unknown site "${l[end]}"`);
    if (l.a === l.b) issue(['links', i, 'b'], 'a link joins two different sites');
    const pair = [l.a, l.b].sort().join('~');
    if (pairs.has(pair)) issue(['links', i], `a second link between ${l.a} and ${l.b} (give the first more fibres)`);
    pairs.add(pair);
  });
  t.nodes.forEach((n, i) => {
    if (t.sites && n.site === undefined) issue(['nodes', i, 'site'], 'required when the topology has sites');
    else if (n.site !== undefined && !sites.has(n.site)) issue(['nodes', i, 'site'], t.sites ? `unknown site "${n.site}"` : 'the topology has no sites');
  });
});

export type NodeSpec = z.infer<typeof nodeSpecSchema>;
export interface Topology extends z.infer<typeof topologySchema> {
  /** Where it was loaded from (absolute), if from a file. */
  file?: string;
  /** The parsed calibration JSON when `calibration` names a file that exists. */
  calibrationData?: unknown;
  /** The parsed MDI calibration JSON when `mdiCalibration` names a file that exists. */
  mdiCalibrationData?: unknown;
}

export class TopologyError extends Error {}

function issuePath(p: Array<string | number>): string {
  return p.map((x, i) => (typeof x === 'number' ? `[${x}]` : i === 0 ? x : `.${x}`)).join('') || '(root)';
}

/** Validate an already-parsed topology object. */
export function parseTopology(raw: unknown, source = 'topology'): Topology {
  const r = topologySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TopologyError(`${source}: ${issuePath(issue.path)}: ${issue.message}`);
  }
  const t: Topology = r.data;
  t.nodes.forEach((n, i) => {
    try { n.credential = resolveCredential(n.credential, `${source}: nodes[${i}].credential`); } catch (e) { throw new TopologyError((e as Error).message); }
  });
  return t;
}

export function loadTopology(file: string): Topology {
  const abs = path.resolve(file);
  const base = path.basename(abs);
  let text: string;
  try { text = fs.readFileSync(abs, 'utf8'); } catch { throw new TopologyError(`topology file ${file} not found`); }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(abs) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new TopologyError(`${base}: not valid ${/\.ya?ml$/i.test(abs) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  const t = parseTopology(raw, base);
  t.file = abs;
  const read = (field: 'calibration' | 'mdiCalibration'): unknown => {
    const file = t[field];
    if (!file) return undefined;
    const cal = path.resolve(path.dirname(abs), file);
    if (!fs.existsSync(cal)) return undefined;
    try { return JSON.parse(fs.readFileSync(cal, 'utf8')); } catch (e) {
      throw new TopologyError(`${base}: ${field}: ${file} is not valid JSON: ${(e as Error).message}`);
    }
  };
  const cal = read('calibration'), mdi = read('mdiCalibration');
  if (cal !== undefined) t.calibrationData = cal;
  if (mdi !== undefined) t.mdiCalibrationData = mdi;
  return t;
}

/** The reference topology shipped with the project. */
export function referenceTopologyPath(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), 'topologies', 'reference.json');
}
