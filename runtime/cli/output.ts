// Output conventions for every CLI command: with --json exactly one JSON object on stdout,
// progress and human text on stderr; without --json human text on stdout.

export interface OutputOptions { json?: boolean }

/** Print a command's result: one JSON object with --json, else the human rendering. */
export function printResult(opts: OutputOptions, result: object, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(human() + '\n');
}

/** Progress and diagnostics: always stderr, so --json stdout stays one object. */
export function progress(message: string): void {
  process.stderr.write(message + '\n');
}

/** A user-facing error: message on stderr (and as {"error": ...} on stdout with --json), exit code 2. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) { super(message); }
}

/** Parse a numeric option, naming the option in the error. */
export function parseNumber(name: string, value: string | undefined, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new CliError(`--${name}: expected a number, got "${value}"`);
  if (opts.integer && !Number.isInteger(x)) throw new CliError(`--${name}: expected an integer, got "${value}"`);
  if (opts.min !== undefined && x < opts.min) throw new CliError(`--${name}: must be >= ${opts.min}, got ${value}`);
  if (opts.max !== undefined && x > opts.max) throw new CliError(`--${name}: must be <= ${opts.max}, got ${value}`);
  return x;
}
