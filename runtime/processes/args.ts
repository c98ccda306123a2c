// Minimal --key value parsing for the process entry points (the CLI uses commander).
/** The last value of each --key (`all` below gives every value of a repeated one). */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a}: missing value`);
    out[a.slice(2)] = v;
    i++;
  }
  return out;
}

/** Every value of a repeatable --key, in order. */
export function all(argv: string[], key: string): string[] {
  parseArgs(argv);
  return argv.flatMap((a, i) => (a === `--${key}` ? [argv[i + 1]!] : []));
}

export function need(args: Record<string, string>, key: string): string {
  const v = args[key];
  if (v === undefined) throw new Error(`--${key} is required`);
  return v;
}

/** Run `stop` once on SIGINT/SIGTERM, then exit. */
export function onShutdown(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 5000);
    hard.unref();
    stop(signal).then(() => process.exit(0), (err) => { process.stderr.write(`shutdown failed: ${err}\n`); process.exit(1); });
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
