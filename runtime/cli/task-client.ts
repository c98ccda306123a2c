// Send one task request to the running network's task coordinator (`actor.tasks` on the server)
// and wait for its result. Shared by `hetqn sign`, `hetqn qba`, `hetqn conference` and the demo.
import fs from 'node:fs';
import { TASK_COORDINATOR_ID, type TaskRequest } from '../../actors/tasks/tasks.messages.ts';
import '../../actors/tasks/tasks.messages.ts';
import { RemoteError, type ActorHost } from '../host.ts';
import { CliError } from './output.ts';
import { clientHost, resolveTarget, type TargetOptions } from './target.ts';

export async function taskRequest(host: ActorHost, body: TaskRequest, timeoutMs = 900_000): Promise<Record<string, any>> {
  try {
    return (await host.request<Record<string, any>>(`actor.${TASK_COORDINATOR_ID}`, 'task.request', body, { timeoutMs })).body;
  } catch (e) {
    if (e instanceof RemoteError) throw new CliError(`${e.field ? `${e.field}: ` : ''}${e.message}`);
    throw new CliError(`no task coordinator answered (is the network up? \`hetqn up -d\`): ${(e as Error).message}`);
  }
}

/** Run one request against the network the target options name; throws CliError on a task error. */
export async function runTaskCommand(o: TargetOptions & { timeout?: string }, body: TaskRequest): Promise<Record<string, any>> {
  const { net, natsUrl } = resolveTarget(o);
  const host = await clientHost(net, natsUrl);
  try {
    const r = await taskRequest(host, body, o.timeout ? Number(o.timeout) : undefined);
    if (r.error) throw new CliError(`${body.kind}: ${r.error}`, 1);
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
