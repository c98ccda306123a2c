// Processes start from compiled JavaScript: `npm run build` bundles each process entry point
// (node-main, server-main and the worker threads' entries) with esbuild into the gitignored dist/,
// one flat directory, packages left external (resolved from node_modules as usual). Starting a
// process then costs no TypeScript transpiling (test/bench/placement.bench.ts measures the ratio).
// dist/manifest.json lists the sources each bundle was made from; a bundle older than any of them is
// not used (the launcher falls back to tsx and says so), so a stale build never runs old code.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(PROJECT_ROOT, 'dist');
const MANIFEST = path.join(DIST, 'manifest.json');

/** Entry name (dist/<name>.js) -> its TypeScript source. */
export const ENTRIES: Record<string, string> = {
  'node-main': 'runtime/processes/node-main.ts',
  'server-main': 'runtime/processes/server-main.ts',
  'party-worker': 'runtime/processes/party-worker.ts',
  'fabric-worker': 'runtime/processes/fabric-worker.ts',
  'toeplitz-worker': 'protocols/postprocessing/toeplitz-worker.ts',
};

interface Manifest { builtAt: number; inputs: string[] }

export async function compileRuntime(): Promise<{ ms: number; entries: number; inputs: number }> {
  const esbuild = await import('esbuild');
  const t0 = Date.now();
  fs.mkdirSync(DIST, { recursive: true });
  const r = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, path.join(PROJECT_ROOT, v)])),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
    outdir: DIST, sourcemap: 'linked', metafile: true, logLevel: 'warning', absWorkingDir: PROJECT_ROOT,
  });
  const inputs = Object.keys(r.metafile.inputs).filter((f) => !f.includes('node_modules'));
  const m: Manifest = { builtAt: Date.now(), inputs };
  fs.writeFileSync(MANIFEST, JSON.stringify(m));
  return { ms: Date.now() - t0, entries: Object.keys(ENTRIES).length, inputs: inputs.length };
}

let current: { ok: boolean; why?: string } | undefined;
/** Whether dist/ holds bundles made from the present sources (checked once per process). */
export function compiledIsCurrent(): { ok: boolean; why?: string } {
  if (current) return current;
  let m: Manifest;
  try { m = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest; } catch { return (current = { ok: false, why: 'no dist/ (npm run build)' }); }
  for (const f of m.inputs) {
    let t: number;
    try { t = fs.statSync(path.join(PROJECT_ROOT, f)).mtimeMs; } catch { return (current = { ok: false, why: `${f} is gone since the build` }); }
    if (t > m.builtAt) return (current = { ok: false, why: `${f} changed since the build (npm run build)` });
  }
  for (const e of Object.keys(ENTRIES)) if (!fs.existsSync(path.join(DIST, `${e}.js`))) return (current = { ok: false, why: `dist/${e}.js is missing` });
  return (current = { ok: true });
}

/** The compiled file of an entry, when current. */
export function compiledEntry(script: string): string | undefined {
  const name = Object.entries(ENTRIES).find(([, v]) => v === script)?.[0];
  return name && compiledIsCurrent().ok ? path.join(DIST, `${name}.js`) : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  compileRuntime().then((r) => process.stderr.write(`runtime compiled in ${r.ms} ms: ${r.entries} entry points from ${r.inputs} sources into dist/\n`),
    (e) => { process.stderr.write(`runtime build failed: ${(e as Error).message}\n`); process.exit(1); });
}
