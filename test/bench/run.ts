// `npm run bench [-- NAME...]`: runs every test/bench/*.bench.ts (or those whose file name or
// figure names start with one of NAME) and prints one JSON line per figure on stdout:
//   {"bench": "cascade.f", "value": 1.05, "unit": "ratio", ...parameters}
// Each bench module exports `default async function (emit: Emit): Promise<void>`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Figure { bench: string; value: number; unit: string; [param: string]: unknown }
export type Emit = (figure: Figure) => void;

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => a !== '--');
const files = fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();

let ran = 0;
for (const file of files) {
  const fileName = file.replace(/\.bench\.ts$/, '');
  const wholeFile = filters.length === 0 || filters.some((f) => fileName.startsWith(f) || f.startsWith(fileName));
  if (!wholeFile) continue;
  const mod = await import(pathToFileURL(path.join(here, file)).href);
  const emit: Emit = (fig) => {
    if (filters.length > 0 && !filters.some((f) => fig.bench.startsWith(f) || fileName.startsWith(f))) return;
    process.stdout.write(JSON.stringify(fig) + '\n');
  };
  process.stderr.write(`bench: ${file}\n`);
  await mod.default(emit);
  ran++;
}
if (ran === 0) {
  process.stderr.write(`bench: nothing matches ${filters.join(' ')}; available: ${files.map((f) => f.replace(/\.bench\.ts$/, '')).join(', ')}\n`);
  process.exit(2);
}
process.exit(0);
