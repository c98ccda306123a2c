// A hetqn deployment across three lab hosts (test/helpers/netns.ts), started as an operator would:
// on `srv`, `hetqn server --listen <srv address> --tls` (the server process with its private secured
// nats-server and locked-down redis-server, the issuer file with the admin secrets in srv's state
// directory) and `hetqn creds issue --node N --out FILE` per node; each bundle file alone is copied to
// its node host's directory, where `hetqn node --join FILE` runs the node. The hosts share one file
// system, so every process on a node host runs with the other hosts' directories covered by an empty
// tmpfs (SpawnOptions.hide): it sees its own directory and the project's code, nothing else of ours.
// Agents (agent.ts) act inside a host on request: the admin's pool reader on srv, a compromised node.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, type Lab, type NsProcess } from '../helpers/netns.ts';
import { referenceTopologyPath } from '../../infra/topology.ts';

const CLI = 'runtime/cli/main.ts';
const AGENT = 'test/multihost/agent.ts';

export interface Deployment {
  lab: Lab;
  root: string;
  /** Each host's own directory (srv: its state directory is `state/` inside). */
  dirs: Record<string, string>;
  /** What `hetqn server --json` printed. */
  server: Record<string, any>;
  net: string;
  issuerFile: string;
  /** node -> its host and its running `hetqn node --join` process. */
  nodes: Record<string, { host: string; bundle: string; proc: NsProcess; joined: Record<string, any> }>;
  /** node -> its bundle on its host (the joined nodes' and the spare ones'). */
  bundles: Record<string, string>;
  /** Run the hetqn CLI on srv (as the admin: srv's state directory) to completion. */
  cliOnSrv(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string; json?: any }>;
  /** Start the hetqn CLI on srv and return the process (to follow its progress lines). */
  spawnCliOnSrv(args: string[]): NsProcess;
  /** An agent on `host` (node hosts: the other hosts' directories hidden). */
  agent(host: string): Promise<Agent>;
  stop(): Promise<void>;
}

export interface Agent {
  proc: NsProcess;
  /** Send one command; resolves with its result, rejects with its error. */
  ask<T = any>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
}

/** The other hosts' directories: what a process on `host` must not see. */
const othersOf = (dirs: Record<string, string>, host: string) => Object.entries(dirs).filter(([h]) => h !== host).map(([, d]) => d);

/** `placement`: host -> the nodes that join from it; `spare`: host -> nodes whose bundle is copied
 *  there but that do not run (a credential an attacker on that host holds). */
export async function startDeployment(placement: Record<string, string[]>, spare: Record<string, string[]> = {}): Promise<Deployment> {
  const lab = await createLab(['srv', ...Object.keys(placement)]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-mh-'));
  const dirs: Record<string, string> = {};
  for (const h of Object.keys(lab.hosts)) { dirs[h] = path.join(root, h); fs.mkdirSync(dirs[h], { mode: 0o700 }); }
  const srvState = path.join(dirs.srv!, 'state');
  // Only what the operator sets: the state directory; HETQN_PRIVATE_SERVERS ignores a NATS_URL/REDIS_URL of the test's environment.
  const srvEnv = { HETQN_STATE_DIR: srvState, HETQN_PRIVATE_SERVERS: '1' };
  const spawnCliOnSrv = (args: string[]) => lab.spawnNode('srv', CLI, args, { env: srvEnv });
  const cliOnSrv = async (args: string[], timeoutMs = 120_000) => {
    const p = spawnCliOnSrv(args);
    const timer = setTimeout(() => void p.stop(1000), timeoutMs);
    const code = await p.exited;
    clearTimeout(timer);
    const stdout = p.lines.filter((l) => l.startsWith('{')).join('\n');
    let json: any;
    try { json = stdout ? JSON.parse(p.lines.find((l) => l.startsWith('{'))!) : undefined; } catch { /* not JSON */ }
    return { code, stdout, stderr: p.lines.filter((l) => !l.startsWith('{')).join('\n'), json };
  };
  const agents: NsProcess[] = [];
  const d: Partial<Deployment> = { lab, root, dirs, cliOnSrv, spawnCliOnSrv, nodes: {}, bundles: {} };
  d.stop = async () => {
    for (const a of agents) a.child.stdin?.end();
    await lab.stop();
    fs.rmSync(root, { recursive: true, force: true });
  };
  d.agent = async (host: string) => {
    const proc = lab.spawnNode(host, AGENT, [], { stdin: true, env: host === 'srv' ? srvEnv : { HETQN_STATE_DIR: path.join(dirs[host]!, 'state') }, hide: host === 'srv' ? [] : othersOf(dirs, host) });
    agents.push(proc);
    await proc.waitForLine(/^\{"ready":true\}/, 60_000);
    let next = 0;
    return {
      proc,
      async ask(cmd, args = {}, timeoutMs = 60_000) {
        const id = next++;
        proc.child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
        const line = await proc.waitForLine(new RegExp(`^\\{"id":${id},`), timeoutMs);
        const r = JSON.parse(line) as { ok: boolean; result?: any; error?: string };
        if (!r.ok) throw new Error(`${host} agent: ${cmd}: ${r.error}`);
        return r.result;
      },
    };
  };
  try {
    const srv = lab.hosts.srv!;
    const server = lab.spawnNode('srv', CLI, ['server', '--topology', referenceTopologyPath(), '--listen', srv.address, '--tls', '--timeout', '120', '--json'], { env: srvEnv });
    const up = JSON.parse(await server.waitForLine(/^\{/, 180_000)) as Record<string, any>;
    if (up.error) throw new Error(`hetqn server: ${up.error.message}\n${server.lines.slice(-20).join('\n')}`);
    Object.assign(d, { server: up, net: up.network ?? 'reference', issuerFile: up.issuer });
    for (const host of Object.keys(placement)) {
      for (const name of [...placement[host]!, ...spare[host] ?? []]) {
        const issued = path.join(dirs.srv!, 'issued', `${name}.json`);
        const r = await cliOnSrv(['creds', 'issue', '--node', name, '--out', issued, '--json']);
        if (r.code !== 0) throw new Error(`creds issue --node ${name}: exit ${r.code}: ${r.stderr}\nstate dir: ${fs.readdirSync(srvState, { recursive: true }).join(' ')}\nserver:\n${server.lines.slice(-20).join('\n')}`);
        // The operator's copy to the node host: this one file, owner-only.
        const bundle = path.join(dirs[host]!, `${name}.json`);
        fs.copyFileSync(issued, bundle);
        fs.chmodSync(bundle, 0o600);
        d.bundles![name] = bundle;
        if (!placement[host]!.includes(name)) continue;
        const proc = lab.spawnNode(host, CLI, ['node', '--join', bundle, '--timeout', '120', '--json'], { env: { HETQN_STATE_DIR: path.join(dirs[host]!, 'state') }, hide: othersOf(dirs, host) });
        d.nodes![name] = { host, bundle, proc, joined: {} };
      }
    }
    for (const n of Object.values(d.nodes!)) n.joined = JSON.parse(await n.proc.waitForLine(/^\{/, 180_000));
    return d as Deployment;
  } catch (e) {
    await d.stop();
    throw e;
  }
}
