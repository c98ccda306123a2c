// `hetqn node --join A --join B ...` and `hetqn node --join A --restart`: the nodes run in one child
// process (runtime/processes/node-main.ts, from dist/ when built), each on its own NATS identity from
// its own bundle; with --restart the child is supervised (runtime/supervisor.ts: restarted with
// backoff when it crashes, given up on after too many restarts in a minute, all said on stderr),
// which is how a node runs as a service on a host of its own. The command prints its one result once
// every node has registered, then relays the child's log until Ctrl-C/SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { spawnEntry, stopChild } from '../launcher.ts';
import { DEFAULT_RESTART, exitText, supervise, type Supervised } from '../supervisor.ts';
import { CliError, printResult, progress } from './output.ts';
import type { Bundle } from '../../infra/bundle.ts';

export async function runNodeService(o: { json?: boolean; restart?: boolean }, files: string[], bundles: Bundle[], timeoutMs: number): Promise<never> {
  const names = bundles.map((b) => b.identity);
  const net = bundles[0]!.network;
  const other = bundles.find((b) => b.network !== net);
  if (other) throw new CliError(`--join: ${other.identity}'s bundle is for network ${other.network}, not ${net}`);
  const registered = new Set<string>();
  let ready!: () => void, failed!: (e: CliError) => void;
  const done = new Promise<void>((res, rej) => { ready = res; failed = rej; });
  let announced = false;
  const follow = (child: ChildProcess) => {
    let buf = '';
    const tail: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n'); buf = lines.pop()!;
      for (const l of lines) {
        tail.push(l); if (tail.length > 8) tail.shift();
        const m = /^(\S+): registered$/.exec(l);
        if (m && names.includes(m[1]!)) { registered.add(m[1]!); if (registered.size === names.length) ready(); }
        if (announced || !m) progress(l);
      }
    });
    child.once('exit', (code, signal) => {
      if (!o.restart || code === 0) {
        const msg = `node process exited with ${exitText(code, signal)}: ${tail.slice(-3).join(' | ')}`;
        if (!announced) failed(new CliError(`--join: ${msg}`, code === 3 ? 'unavailable' : 'failed'));
        else { progress(msg); process.exit(code === 0 ? 0 : 3); }
      }
    });
  };
  const start = () => spawnEntry('runtime/processes/node-main.ts', files.flatMap((f) => ['--bundle', f]), {}, process.env);
  let sup: Supervised | undefined;
  let child: ChildProcess;
  if (o.restart) {
    sup = supervise({ name: names.length === 1 ? names[0]! : `${names[0]}+${names.length - 1}`, start, policy: DEFAULT_RESTART, log: progress,
      onStart: (c) => { child = c; follow(c); },
      onGiveUp: (reason) => { const e = new CliError(`--restart: gave up on the node process: ${reason}`, 'unavailable'); if (!announced) failed(e); else { progress(e.message); process.exit(3); } } });
  } else { child = start(); follow(child); }
  const timer = setTimeout(() => failed(new CliError(`--timeout: no platform of network ${net} admitted ${names.filter((n) => !registered.has(n)).join(', ')} within ${timeoutMs / 1000} s`, 'timeout')), timeoutMs);
  try { await done; } catch (e) { sup?.stop(); await stopChild(child!, 3000); throw e; } finally { clearTimeout(timer); }
  announced = true;
  printResult(o, { nodes: names, network: net, registered: true, pid: child!.pid, supervised: !!o.restart },
    () => `${names.join(', ')} joined network ${net} in one process (pid ${child!.pid})${o.restart ? ', restarted if it crashes' : ''}; Ctrl-C to leave`);
  const stop = async () => { sup?.stop(); progress(`${names.join(', ')}: leaving`); await stopChild(child!, 5000); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return new Promise<never>(() => {});
}
