// Send one task request to the running network's task coordinator (`actor.server.tasks`)
// and wait for its result, with its stages on stderr. Shared by `hetqn sign`, `hetqn qba`,
// `hetqn conference` and the demo. The platform checks every node and pool lane the task will use
// before it starts: a refusal lists the short lanes and the QKD runs that fill them, and `--fill`
// runs those first and asks again.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { TASK_COORDINATOR_ID, type TaskRequest } from '../../actors/tasks/tasks.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import type { FillRun } from '../../actors/server/fill-plan.ts';
import type { ActorHost } from '../host.ts';
import { CliError, stageLogger, timeoutOption, type ErrorCode } from './output.ts';
import { clientHost, requestError, resolveTarget, type TargetOptions } from './target.ts';
import { qkdRun } from './qkd-run.ts';

/** How often --fill fills and asks again. */
const FILL_ROUNDS = 2;

/** Request fields as the CLI options that set them. */
const OPTION_OF: Record<string, string> = { thirdParty: 'third-party', message: 'file', value: 'file', participants: 'participants' };
const optionOf = (field: string | undefined) => (field ? OPTION_OF[field.split('.')[0]!] ?? field.split('.')[0] : undefined);
import { SERVER, subject } from '../subjects.ts';

/** How long the CLI waits for a task's result by default. */
export const TASK_REQUEST_TIMEOUT_MS = 900_000;

export async function taskRequest(host: ActorHost, body: TaskRequest, timeoutMs = TASK_REQUEST_TIMEOUT_MS): Promise<Record<string, any>> {
  try {
    return (await host.request<Record<string, any>>(subject.actor(SERVER, TASK_COORDINATOR_ID), 'task.request', body, { timeoutMs })).body;
  } catch (e) {
    const err = requestError(e, 'task coordinator', host.net);
    throw new CliError(err.message, err.code, { field: optionOf(err.field) });
  }
}

/** A task result with `error` as the convention's CliError (refusals keep their short pools and fill runs). */
function taskError(kind: string, r: Record<string, any>): CliError {
  const code: ErrorCode = ['unknown-node', 'unavailable', 'refused'].includes(r.code) ? r.code : 'failed';
  const details = r.short ? { short: r.short, fill: r.fill } : undefined;
  return new CliError(`${kind}: ${r.error}`, code, { field: optionOf(r.field), details });
}

/** Run the fill runs of a refusal, all at once (the platform queues those that share a device). */
async function fill(host: ActorHost, runs: FillRun[], timeoutMs: number, stage: (s: string) => void): Promise<void> {
  const impossible = runs.filter((f) => f.seconds === undefined);
  if (impossible.length) throw new CliError(`--fill: no QKD run can fill ${impossible.map((f) => `${f.a}-${f.b} ${f.kind} (${f.reason})`).join('; ')}`, 'refused');
  stage(`--fill: running ${runs.length} QKD session(s) first: ${runs.map((f) => f.command).join('; ')}`);
  await Promise.all(runs.map((f) => qkdRun(host, host.net, { id: `fill${randomBytes(6).toString('hex')}`, a: f.a, b: f.b, seconds: f.seconds, keyKind: f.kind }, timeoutMs,
    (s) => stage(`fill ${f.a}-${f.b}: ${s}`))));
}

/** Run one request against the network the target options name; throws CliError on a task error. */
export async function runTaskCommand(o: TargetOptions & { timeout: string; fill?: boolean }, body: TaskRequest): Promise<Record<string, any>> {
  const timeoutMs = timeoutOption(o.timeout);
  const { net, natsUrl } = resolveTarget(o);
  const host = await clientHost(net, natsUrl);
  const stage = stageLogger();
  const requestId = `cli${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  const left = () => {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new CliError(`--timeout: ${body.kind}: no result within ${timeoutMs / 1000} s`, 'timeout');
    return ms;
  };
  host.subscribe(subject.tasks(host.identity, requestId), (env) => { if (env.type === 'task.progress') stage((env.body as { stage: string }).stage); });
  try {
    await host.bus.flush();
    stage(`asking network ${net} for ${body.kind} (deadline ${timeoutMs / 1000} s)`);
    let r = await taskRequest(host, { ...body, requestId }, left());
    // A run may yield less than predicted: a second round fills what the first left short.
    for (let round = 0; round < FILL_ROUNDS && r.error && r.code === 'refused' && r.fill && o.fill; round++) {
      stage(`refused: ${String(r.error).split('\n')[0]}`);
      await fill(host, r.fill, left(), stage);
      stage(`pools filled; asking again for ${body.kind}`);
      r = await taskRequest(host, { ...body, requestId }, left());
    }
    if (r.error) throw taskError(body.kind, r);
    stage(`${body.kind} done`);
    return r;
  } finally {
    await host.stop();
  }
}

export function readFileOption(name: string, file: string | undefined): Uint8Array {
  if (!file) throw new CliError(`--${name}: required`);
  try { return new Uint8Array(fs.readFileSync(file)); } catch (e) { throw new CliError(`--${name}: cannot read ${file}: ${(e as Error).message}`); }
}

export const NODE_NAME = /^[A-Za-z0-9_-]+$/;
export function nodeOption(name: string, v: string | undefined, required = true): string | undefined {
  if (v === undefined) { if (required) throw new CliError(`--${name}: required`); return undefined; }
  if (!NODE_NAME.test(v)) throw new CliError(`--${name}: "${v}" is not a node name`);
  return v;
}
