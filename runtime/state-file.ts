// `<state dir>/<net>.json`: what `hetqn up` started, so `hetqn down`, `hetqn status`, `hetqn node`
// and the task commands find the network from any directory without being told the URLs. The state
// directory is per user: HETQN_STATE_DIR, else $XDG_STATE_HOME/hetqn, else ~/.local/state/hetqn.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClusterState {
  net: string;
  /** The `hetqn up` process that owns everything. */
  pid: number;
  natsUrl: string;
  redisUrl: string;
  privateServers: boolean;
  topology: string;
  processes: Array<{ name: string; pid: number }>;
  startedAt: string;
  ready: boolean;
  /** All NATS URLs of the network (natsUrl is the first). */
  natsServers?: string[];
  /** The issuer file (admin secrets, 0600) of the network, on this host. */
  issuer?: string;
  /** identity -> its bundle file (0600), for the CLI (`client`, `inspector`; `server` for `hetqn pools`).
   *  No secret is in this file. */
  bundles?: Record<string, string>;
  /** The private nats-server's pid (`hetqn creds issue` reloads it when identities change). */
  natsPid?: number;
  /** The private NATS cluster's members' pids (--nats-mode cluster; reloaded the same way). */
  natsPids?: number[];
}

export function stateDir(): string {
  if (process.env.HETQN_STATE_DIR) return path.resolve(process.env.HETQN_STATE_DIR);
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'hetqn');
}

export function statePath(net: string): string {
  return path.join(stateDir(), `${net}.json`);
}

export function writeState(s: ClusterState): void {
  fs.mkdirSync(stateDir(), { recursive: true });
  const p = statePath(s.net);
  fs.writeFileSync(p + '.tmp', JSON.stringify(s, null, 2), { mode: 0o600 });
  fs.renameSync(p + '.tmp', p);
}

export function readState(net: string): ClusterState | undefined {
  try { return JSON.parse(fs.readFileSync(statePath(net), 'utf8')) as ClusterState; } catch { return undefined; }
}

export function removeState(net: string): void {
  fs.rmSync(statePath(net), { force: true });
}

/** Networks with a state file whose owner process is still alive. */
export function liveStates(): ClusterState[] {
  let files: string[] = [];
  try { files = fs.readdirSync(stateDir()).filter((f) => f.endsWith('.json')); } catch { return []; }
  return files.map((f) => readState(f.replace(/\.json$/, ''))).filter((s): s is ClusterState => !!s && pidAlive(s.pid));
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}
