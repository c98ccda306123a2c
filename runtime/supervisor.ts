// Restarting crashed processes, the way an Erlang/OTP supervisor does (OTP Design Principles,
// "Supervisor Behaviour", restart intensity: at most `intensity` restarts within `periodMs`, else the
// supervisor gives up on the child and says so), with an exponential backoff between restarts
// (delay = initialMs * factor^(k-1) for the k-th restart of the current window, capped at maxMs) so a
// process that dies at start does not spin. A child that exits 0 (asked to stop, or left on purpose)
// or exits while the supervisor is stopping is not restarted. Everything is said on the log
// ("[supervisor] Alice exited with code 137 (SIGKILL); restart 1 in 0.5 s").
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';

export interface RestartPolicy {
  /** Delay before the first restart of a window. */
  initialMs: number;
  /** Growth of the delay per restart within the window. */
  factor: number;
  /** Cap of the delay. */
  maxMs: number;
  /** Most restarts within periodMs (OTP's MaxR); one more and the supervisor gives up. */
  intensity: number;
  /** The window (OTP's MaxT). */
  periodMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { initialMs: 500, factor: 2, maxMs: 30_000, intensity: 5, periodMs: 60_000 };

export type Verdict = { restart: true; n: number; delayMs: number } | { restart: false; n: number; reason: string };

/** The restart decisions of one child, from its crash times alone (pure: the clock is passed in). */
export class RestartBudget {
  private crashes: number[] = [];
  private total = 0;
  constructor(readonly policy: RestartPolicy = DEFAULT_RESTART) {}

  /** A crash at `now` (ms): restart after how long, or give up. */
  crashed(now: number): Verdict {
    const p = this.policy;
    this.crashes = this.crashes.filter((t) => now - t < p.periodMs);
    this.crashes.push(now);
    const k = this.crashes.length;
    if (k > p.intensity) {
      return { restart: false, n: this.total, reason: `${k} crashes within ${p.periodMs / 1000} s (at most ${p.intensity} restarts in ${p.periodMs / 1000} s)` };
    }
    this.total++;
    return { restart: true, n: this.total, delayMs: Math.min(p.maxMs, p.initialMs * p.factor ** (k - 1)) };
  }
}

/** "code 137 (SIGKILL)": a signal as the shell reports it, 128 + its number. */
export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `code ${128 + (os.constants.signals[signal] ?? 0)} (${signal})`;
  return `code ${code}`;
}

export interface SupervisedOptions {
  name: string;
  /** Start (or restart) the process. */
  start: () => ChildProcess;
  policy?: RestartPolicy;
  log: (line: string) => void;
  /** Each new process (the first one and every restart). */
  onStart?: (child: ChildProcess, restarts: number) => void;
  /** The supervisor gave up (reason said on the log too). */
  onGiveUp?: (reason: string) => void;
  now?: () => number;
}

export interface Supervised {
  readonly child: ChildProcess;
  readonly restarts: number;
  /** Restarts no more; the running process is left to the caller to stop. */
  stop(): void;
}

export function supervise(o: SupervisedOptions): Supervised {
  const budget = new RestartBudget(o.policy);
  const now = o.now ?? Date.now;
  let stopped = false, restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let child: ChildProcess;
  const run = () => {
    child = o.start();
    o.onStart?.(child, restarts);
    child.once('exit', (code, signal) => {
      if (stopped || (code === 0 && !signal)) return;
      const v = budget.crashed(now());
      const how = `${o.name} exited with ${exitText(code, signal)}`;
      if (!v.restart) {
        o.log(`[supervisor] ${how}; giving up after ${v.n} restart${v.n === 1 ? '' : 's'}: ${v.reason}`);
        o.onGiveUp?.(v.reason);
        return;
      }
      o.log(`[supervisor] ${how}; restart ${v.n} in ${(v.delayMs / 1000).toFixed(1)} s`);
      timer = setTimeout(() => { timer = undefined; if (!stopped) { restarts = v.n; run(); } }, v.delayMs);
    });
  };
  run();
  return {
    get child() { return child; },
    get restarts() { return restarts; },
    stop() { stopped = true; if (timer) clearTimeout(timer); },
  };
}
