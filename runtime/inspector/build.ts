// Bundles the inspector page (runtime/inspector/web) with esbuild into web/dist: app.js, app.css and
// index.html. Run by `npm run build` (and `prepare`, so `npm install`/`npm ci` build it); `hetqn
// inspect --web` builds it on demand when it is missing or older than its sources. Every library
// the page uses is in the bundle: nothing is fetched at run time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_SRC = path.join(here, 'web');
export const WEB_DIST = path.join(WEB_SRC, 'dist');

function newestSource(): number {
  let newest = fs.statSync(path.join(here, 'model.ts')).mtimeMs;
  for (const f of fs.readdirSync(WEB_SRC)) {
    const p = path.join(WEB_SRC, f);
    if (f !== 'dist' && fs.statSync(p).isFile()) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function bundleIsCurrent(): boolean {
  const js = path.join(WEB_DIST, 'app.js');
  return fs.existsSync(js) && fs.existsSync(path.join(WEB_DIST, 'index.html')) && fs.statSync(js).mtimeMs >= newestSource();
}

export async function buildBundle(opts: { minify?: boolean } = {}): Promise<string> {
  let esbuild: typeof import('esbuild');
  try { esbuild = await import('esbuild'); } catch {
    throw new Error('the inspector page is not built and esbuild is missing: run `npm install` (it builds the page) or `npm run build`');
  }
  fs.mkdirSync(WEB_DIST, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(WEB_SRC, 'main.tsx') },
    bundle: true, format: 'iife', platform: 'browser', target: ['chrome110', 'firefox110', 'safari16'],
    outdir: WEB_DIST, minify: opts.minify ?? true, sourcemap: false, legalComments: 'none',
    jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'warning',
    // elkjs' bundled build mentions web-worker for Node; the page never uses it.
    external: ['web-worker'],
  });
  fs.copyFileSync(path.join(WEB_SRC, 'index.html'), path.join(WEB_DIST, 'index.html'));
  return WEB_DIST;
}

let building: Promise<string> | undefined;
/** The built page's directory, building it first when missing or stale (once per process). */
export function ensureBundle(): Promise<string> {
  if (bundleIsCurrent()) return Promise.resolve(WEB_DIST);
  building ??= buildBundle().finally(() => { building = undefined; });
  return building;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  await buildBundle();
  const kb = (f: string) => (fs.statSync(path.join(WEB_DIST, f)).size / 1024).toFixed(0);
  process.stderr.write(`inspector page built in ${Date.now() - t0} ms: app.js ${kb('app.js')} kB, app.css ${kb('app.css')} kB\n`);
}
