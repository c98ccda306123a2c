// Output conventions for every CLI command: with --json exactly one JSON object on stdout (the
// result, or {"error": {"code", "message", "field"}}), progress and human text on stderr; without
// --json human text on stdout. One exit-code convention for every command (README "Exit codes").

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

/** Stage lines with the time since `t0`: "[1.2s] waiting for ...". */
export function stageLogger(t0 = Date.now()): (message: string) => void {
  return (message) => progress(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);
}

/** What went wrong, as a word in the JSON error and as the exit code. */
export type ErrorCode = 'bad-input' | 'unknown-node' | 'refused' | 'unavailable' | 'failed' | 'timeout' | 'internal';

export const EXIT_CODES: Record<ErrorCode, number> = {
  'internal': 1, // a bug: an error nobody anticipated (HETQN_DEBUG=1 prints the stack)
  'bad-input': 2, // a bad option or argument, a malformed request (named in `field`)
  'unknown-node': 2, // a node name the network does not know
  'refused': 3, // the platform will not run it as asked (short pools, no key predicted, ...)
  'unavailable': 3, // no running network, a node not attached or down
  'failed': 4, // it ran and failed (session aborted, signature rejected, ...)
  'timeout': 5, // no answer before the deadline (--timeout)
};

/** A user-facing error: message on stderr (and {"error": {...}} on stdout with --json). */
export class CliError extends Error {
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  constructor(message: string, readonly code: ErrorCode = 'bad-input', extra: { field?: string; details?: Record<string, unknown> } = {}) {
    super(message);
    this.field = extra.field ?? fieldOf(message);
    this.details = extra.details;
  }
  get exitCode(): number { return EXIT_CODES[this.code]; }
}

/** "--bits: must be >= 1" names the option "bits"; "B: unknown node" the argument "B". */
function fieldOf(message: string): string | undefined {
  const m = /^(?:--([a-z][a-z0-9-]*)|<([A-Za-z]+)>|([A-Z])):\s/.exec(message);
  return m ? m[1] ?? m[2] ?? m[3] : undefined;
}

/** The one JSON object an error prints with --json. */
export function errorObject(e: CliError): { error: Record<string, unknown> } {
  return { error: { code: e.code, message: e.message, field: e.field ?? null, ...e.details } };
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

/** Node's timers hold at most 2^31 - 1 ms (24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export const MAX_TIMEOUT_S = Math.floor(MAX_TIMER_MS / 1000);

/** Every `--timeout` is in seconds; returns milliseconds. */
export function timeoutOption(value: string | undefined): number {
  return Math.round(parseNumber('timeout', value, { min: 0.1, max: MAX_TIMEOUT_S })! * 1000);
}

/** Reject with a timeout CliError naming what was awaited when `ms` pass first. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`--timeout: ${what}: no answer within ${ms / 1000} s`, 'timeout')), ms);
  });
  try { return await Promise.race([work, deadline]); } finally { clearTimeout(timer); }
}
