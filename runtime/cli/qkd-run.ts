// One QKD request from the CLI (`hetqn qkd`, and the fill runs of `--fill`): stage lines on stderr, and
// an outcome that is not "keys committed" as the CliError of the exit-code convention.
import { CliError, stageLogger } from './output.ts';
import { requestError } from './target.ts';
import { runQkd, type QkdAsk, type QkdOutcome } from '../qkd-client.ts';
import type { ActorHost } from '../host.ts';

export const fmt = (x: unknown, d = 4) => (typeof x === 'number' ? (Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : Number(x.toFixed(d)).toString()) : String(x));

const ARG_FIELDS: Record<string, string> = { a: 'A', b: 'B', relay: 'relay' };

/** Stage lines of one request on stderr. */
export function qkdStages(stage: (s: string) => void) {
  return (name: string, detail?: Record<string, unknown>, body?: Record<string, any>) => {
    if (name === 'accepted') stage('accepted by the platform; planning');
    else if (name === 'queued') stage(`queued: ${body?.reason}`);
    else if (name === 'planned') stage(`planned ${body?.plan.protocol} ${body?.plan.sessionId}, relay ${JSON.stringify(body?.plan.relay)}, ${fmt(body?.plan.pulses / 1e9)} s, predicted l_sec ${Math.round(body?.plan.prediction?.secretBits ?? 0)}`);
    else if (name === 'refused') stage('refused by the planner');
    else stage(`${name}${detail ? ' ' + Object.entries(detail).map(([k, v]) => `${k}=${v}`).join(' ') : ''}`);
  };
}

/** A QKD outcome that is not `done` as the CliError of the convention. */
export function qkdError(o: QkdOutcome, ask: QkdAsk, net: string): CliError {
  const pair = `QKD ${ask.a}-${ask.b}`;
  if (o.status === 'rejected') {
    const e = requestError(o.error, 'platform', net);
    const field = ARG_FIELDS[e.field ?? ''] ?? e.field;
    return new CliError(e.field && field ? e.message.replace(`${e.field}: `, `${field}: `) : e.message, e.code, { field });
  }
  if (o.status === 'refused') return new CliError(`${pair} ${o.reason}`, 'refused');
  if (o.status === 'timeout') return new CliError(`--timeout: ${pair}: ${o.reason}`, 'timeout');
  return new CliError(`${pair} failed: ${o.reason}`, 'failed');
}

/** Run one QKD request with stage lines on stderr; throws the convention's CliError unless keys landed. */
export async function qkdRun(host: ActorHost, net: string, ask: QkdAsk, timeoutMs: number, stage = stageLogger()): Promise<Record<string, any>> {
  stage(`asking network ${net} for QKD ${ask.a}-${ask.b} (${ask.seconds !== undefined ? `${ask.seconds} s` : `${ask.bits} bits`}${ask.keyKind === 'imperfect' ? ', imperfect key' : ''}); deadline ${Math.round(timeoutMs / 1000)} s`);
  const o = await runQkd(host, ask, qkdStages(stage), timeoutMs);
  if (!o.ok) throw qkdError(o, ask, net);
  return { ...o.result!, wallMs: o.wallMs };
}

