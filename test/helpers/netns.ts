// Network namespaces as separate hosts for multi-host tests. createLab(['srv', 'h1', 'h2']) makes one
// namespace per name plus a switch namespace holding a bridge; each host namespace gets `eth0` (a veth
// whose peer is a bridge port) with an address in 10.<a>.<b>.0/24 and its own `lo`, so all traffic stays
// inside namespaces this run created (or their loopbacks) and nothing is added to the root namespace.
// Names are unique per run: hq-<pid>-<rand>-<name> (pid: the creating test process). stop() kills every
// process still in the lab's namespaces and deletes them; it is idempotent, call it in test.after.always.
// Needs root and iproute2; otherwise createLab throws with the reason (a test must fail, not skip).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Host {
  /** The name given to createLab, e.g. 'srv'. */
  name: string;
  /** The namespace's name, e.g. hq-1234-9f3a-srv. */
  ns: string;
  /** Its address on the lab's bridge, e.g. 10.213.7.1. */
  address: string;
}

export interface NsProcess {
  child: ChildProcess;
  host: Host;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the first line matching `re` (already seen or later); rejects when the process exits first or after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Give the process a stdin pipe (child.stdin) instead of none. */
  stdin?: boolean;
  /** Directories of other hosts this process must not see: each is covered with an empty tmpfs in a
   *  mount namespace of its own (the lab's hosts share one file system; this makes them not). */
  hide?: string[];
}

export interface Lab {
  id: string;
  hosts: Record<string, Host>;
  /** The /24 the hosts are in, e.g. 10.213.7.0/24. */
  subnet: string;
  /** Run `cmd args` inside a host's namespace with piped output. */
  spawn(host: string, cmd: string, args: string[], opts?: SpawnOptions): NsProcess;
  /** Run a TypeScript file of this project with node --import tsx inside a host's namespace. */
  spawnNode(host: string, script: string, args: string[], opts?: SpawnOptions): NsProcess;
  /** Run a command to completion inside a host's namespace (for ip/ss checks). */
  exec(host: string, cmd: string, args: string[]): { code: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const PREFIX = 'hq-';

function ipBinary(): string {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const p = path.join(d, 'ip');
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  throw new Error('netns: the `ip` command (iproute2) is not installed: apt-get install -y iproute2');
}

function run(ip: string, args: string[]): string {
  const r = spawnSync(ip, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`netns: ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`netns: ip ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

const pidAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/** Delete lab namespaces whose creating test process is gone and that hold no process (leftovers of a crash). */
function sweepStale(ip: string): void {
  for (const line of run(ip, ['netns', 'list']).split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = /^hq-(\d+)-[0-9a-f]+-/.exec(ns);
    if (!m || pidAlive(Number(m[1]))) continue;
    if (run(ip, ['netns', 'pids', ns]).trim() === '') spawnSync(ip, ['netns', 'del', ns]);
  }
}

function checkCanCreate(names: string[]): void {
  if (process.platform !== 'linux') throw new Error(`netns: network namespaces need Linux (this is ${process.platform})`);
  if (process.getuid?.() !== 0) throw new Error(`netns: creating network namespaces needs root (running as uid ${process.getuid?.()})`);
  if (names.length === 0 || names.length > 250 || new Set(names).size !== names.length) throw new Error('netns: give 1 to 250 distinct host names');
  names.forEach((n) => { if (!/^[a-z0-9]{1,8}$/.test(n)) throw new Error(`netns: host name "${n}" must be 1-8 lower-case letters or digits`); });
}

/** The switch namespace `sw` with bridge br0, and host namespace `ns` plugged into it as port `port`. */
function plugHost(ip: string, sw: string, ns: string, port: string, address: string): void {
  run(ip, ['netns', 'add', ns]);
  // Both ends are created directly in their namespaces: nothing appears in the root namespace.
  run(ip, ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  run(ip, ['-n', sw, 'link', 'set', port, 'master', 'br0']);
  run(ip, ['-n', sw, 'link', 'set', port, 'up']);
  run(ip, ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  run(ip, ['-n', ns, 'link', 'set', 'eth0', 'up']);
  run(ip, ['-n', ns, 'link', 'set', 'lo', 'up']);
}

/** Kill every process in the namespace (the lab started them all), then delete it. */
async function removeNamespace(ip: string, ns: string): Promise<void> {
  const pids = spawnSync(ip, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  for (let i = 0; i < 100 && pids.some(pidAlive); i++) await new Promise((res) => setTimeout(res, 20));
  spawnSync(ip, ['netns', 'del', ns]);
}

export async function createLab(names: string[]): Promise<Lab> {
  checkCanCreate(names);
  const ip = ipBinary();
  sweepStale(ip);
  const id = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const r = randomBytes(2);
  const net3 = `10.${r[0]! % 200 + 20}.${r[1]!}`;
  const sw = `${PREFIX}${id}-sw`;
  const created: string[] = [];
  const procs = new Set<NsProcess>();
  const hosts: Record<string, Host> = {};
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...procs].map((p) => p.stop(2000)));
    for (const ns of created) await removeNamespace(ip, ns);
  };

  try {
    run(ip, ['netns', 'add', sw]);
    created.push(sw);
    run(ip, ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    run(ip, ['-n', sw, 'link', 'set', 'br0', 'up']);
    run(ip, ['-n', sw, 'link', 'set', 'lo', 'up']);
    names.forEach((name, i) => {
      const ns = `${PREFIX}${id}-${name}`;
      created.push(ns);
      const address = `${net3}.${i + 1}`;
      plugHost(ip, sw, ns, `p${i}`, address);
      hosts[name] = { name, ns, address };
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const hostOf = (name: string) => {
    const h = hosts[name];
    if (!h) throw new Error(`netns: no host "${name}" in this lab (${Object.keys(hosts).join(', ')})`);
    return h;
  };

  const spawnIn = (name: string, cmd: string, args: string[], opts: SpawnOptions = {}): NsProcess => {
    if (stopped) throw new Error('netns: the lab is stopped');
    const host = hostOf(name);
    const hide = opts.hide ?? [];
    // sh -c 'mount -t tmpfs tmpfs "$1"; ...; shift N; exec "$@"' sh DIR... CMD ARGS...
    const hiding = hide.length === 0 ? [] : ['unshare', '-m', '--propagation', 'private', 'sh', '-ec',
      `${hide.map((_d, i) => `mount -t tmpfs -o size=1m,mode=0 tmpfs "$${i + 1}"`).join('; ')}; shift ${hide.length}; exec "$@"`, 'sh', ...hide];
    const child = spawn(ip, ['netns', 'exec', host.ns, ...hiding, cmd, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT, env: { ...process.env, ...opts.env }, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const p = tracked(child, host);
    procs.add(p);
    return p;
  };

  return {
    id, hosts, subnet: `${net3}.0/24`, stop,
    spawn: spawnIn,
    spawnNode: (name, script, args, opts = {}) => spawnIn(name, process.execPath, ['--import', TSX, path.resolve(PROJECT_ROOT, script), ...args], opts),
    exec(name, cmd, args) {
      const r = spawnSync(ip, ['netns', 'exec', hostOf(name).ns, cmd, ...args], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
    },
  };
}

function tracked(child: ChildProcess, host: Host): NsProcess {
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters) if (w.re.test(line)) { waiters.delete(w); w.resolve(line); }
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => { buf += d.toString(); const parts = buf.split('\n'); buf = parts.pop()!; parts.forEach(onLine); });
    stream.on('end', () => { if (buf) onLine(buf); buf = ''; });
  }
  const done = () => child.exitCode !== null || child.signalCode !== null;
  // 'close' comes after the output streams end, so no line is lost to a waiter (a grandchild that keeps
  // the pipes open delays it: stop() waits for 'exit' instead).
  const exited = new Promise<number | null>((resolve) => { child.once('close', (code) => resolve(code)); });
  const gone = new Promise<void>((resolve) => { if (done()) resolve(); else child.once('exit', () => resolve()); });
  const describe = () => `${host.name}: ${child.spawnargs.slice(4).join(' ')}`;
  return {
    child, host, lines, exited,
    waitForLine(re, timeoutMs = 30_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { re, resolve: (l: string) => { clearTimeout(timer); resolve(l); } };
        waiters.add(w);
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`${describe()}: no line matching ${re} within ${timeoutMs} ms; output:\n  ${lines.slice(-15).join('\n  ')}`)); }, timeoutMs);
        void exited.then((code) => {
          if (!waiters.has(w)) return;
          waiters.delete(w); clearTimeout(timer);
          reject(new Error(`${describe()}: exited (${code ?? child.signalCode}) before a line matching ${re}; output:\n  ${lines.slice(-15).join('\n  ')}`));
        });
      });
    },
    async stop(graceMs = 5000) {
      if (done()) return;
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await gone;
      clearTimeout(t);
    },
  };
}
