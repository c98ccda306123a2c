// Topology files (JSON or YAML): the network name, the server, the nodes with their pre-shared
// credentials, and optionally a calibration file (fitted physics constants) that is passed through.
// Errors name the file and the field: "reference.json: nodes[2].dof: Invalid enum value...".
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { resolveCredential } from './credentials.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

export const nodeSpecSchema = z.object({
  name,
  type: z.enum(['C', 'E', 'D']),
  dof: z.enum(['pol', 'tbp', 'pha']),
  linkKm: z.number().nonnegative().max(1000),
  credential: z.string().min(8, 'at least 8 characters'),
  attachLater: z.boolean().optional(),
  /** Device models (source, encoder, converter, detectors...): checked by their owners, loosely here. */
  devices: z.record(z.unknown()).optional(),
}).strict();

export const topologySchema = z.object({
  network: name,
  description: z.string().optional(),
  server: z.object({ switchPorts: z.number().int().positive().optional() }).passthrough().default({}),
  nodes: z.array(nodeSpecSchema).min(1),
  calibration: z.string().optional(),
}).strict().superRefine((t, ctx) => {
  const seen = new Set<string>();
  t.nodes.forEach((n, i) => {
    if (seen.has(n.name)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node name "${n.name}"` });
    seen.add(n.name);
  });
});

export type NodeSpec = z.infer<typeof nodeSpecSchema>;
export interface Topology extends z.infer<typeof topologySchema> {
  /** Where it was loaded from (absolute), if from a file. */
  file?: string;
  /** The parsed calibration JSON when `calibration` names a file that exists. */
  calibrationData?: unknown;
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
  if (t.calibration) {
    const cal = path.resolve(path.dirname(abs), t.calibration);
    if (fs.existsSync(cal)) {
      try { t.calibrationData = JSON.parse(fs.readFileSync(cal, 'utf8')); } catch (e) {
        throw new TopologyError(`${base}: calibration: ${t.calibration} is not valid JSON: ${(e as Error).message}`);
      }
    }
  }
  return t;
}

/** The reference topology shipped with the project. */
export function referenceTopologyPath(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), 'topologies', 'reference.json');
}
