// Start private nats-server and redis-server processes (binaries from PATH) on free ports.
// Used by `hetqn up` when no NATS/Redis is reachable, and by every integration test so tests are
// isolated and can kill -9 and restart a server for fault tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { freePort, waitForPort } from './free-port.ts';

export interface ManagedServer {
  readonly kind: 'nats' | 'redis';
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** The OS process id of the running server. */
  pid(): number | undefined;
  /** SIGKILL the server (a crash), keeping its data directory. */
  kill(): Promise<void>;
  /** Start the server again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Stop gracefully and remove the data directory unless keepDir. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

const INSTALL_HINT: Record<'nats' | 'redis', string> = {
  nats: 'nats-server not found on PATH. Install it with: apt-get install -y nats-server',
  redis: 'redis-server not found on PATH. Install it with: apt-get install -y redis-server',
};

export function findBinary(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']);
  for (const d of dirs) {
    const p = path.join(d, name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

async function launch(kind: 'nats' | 'redis', argsFor: (port: number, dir: string) => string[], port?: number, dir?: string): Promise<ManagedServer> {
  const bin = findBinary(kind === 'nats' ? 'nats-server' : 'redis-server');
  if (!bin) throw new Error(INSTALL_HINT[kind]);
  const thePort = port ?? (await freePort());
  const theDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `hetqn-${kind}-`));
  let child: ChildProcess | undefined;
  const start = async () => {
    const logFd = fs.openSync(path.join(theDir, `${kind}.log`), 'a');
    child = spawn(bin, argsFor(thePort, theDir), { stdio: ['ignore', logFd, logFd], detached: false });
    fs.closeSync(logFd);
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) =>
      reject(new Error(`${kind}-server exited with code ${code} on port ${thePort}; see ${path.join(theDir, `${kind}.log`)}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForPort(thePort, '127.0.0.1', 15_000), exited]);
    // Redis accepts connections while it is still replaying its AOF and answers -LOADING until done.
    if (kind === 'redis') await Promise.race([waitForRedisReady(thePort, 30_000), exited]);
  };
  const waitExit = (c: ChildProcess | undefined) => new Promise<void>((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
  });
  await start();
  const scheme = kind === 'nats' ? 'nats' : 'redis';
  return {
    kind, port: thePort, dir: theDir, url: `${scheme}://127.0.0.1:${thePort}`,
    pid: () => child?.pid,
    async kill() { const c = child; c?.kill('SIGKILL'); await waitExit(c); },
    async restart() { await start(); },
    async stop(opts) {
      const c = child; c?.kill('SIGTERM');
      const t = setTimeout(() => c?.kill('SIGKILL'), 5000);
      await waitExit(c); clearTimeout(t);
      if (!opts?.keepDir) fs.rmSync(theDir, { recursive: true, force: true });
    },
  };
}

export interface NatsOptions { port?: number; dir?: string; jetstream?: boolean; extraArgs?: string[] }

/** A private nats-server with JetStream, storing in its own temp directory. */
export function startNats(opts: NatsOptions = {}): Promise<ManagedServer> {
  return launch('nats', (port, dir) => [
    '-a', '127.0.0.1', '-p', String(port),
    ...(opts.jetstream === false ? [] : ['-js', '-sd', path.join(dir, 'js')]),
    ...(opts.extraArgs ?? []),
  ], opts.port, opts.dir);
}

export interface RedisOptions {
  port?: number; dir?: string;
  /** AOF fsync policy; 'everysec' by default (see infra key-pool docs for the guarantee). */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Extra redis.conf lines, e.g. ACL users. */
  extraConfig?: string[];
}

/** A private redis-server with AOF persistence in its own temp directory. */
export function startRedis(opts: RedisOptions = {}): Promise<ManagedServer> {
  return launch('redis', (port, dir) => {
    const conf = [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly yes',
      `appendfsync ${opts.appendfsync ?? 'everysec'}`, 'daemonize no', 'protected-mode yes',
      ...(opts.extraConfig ?? []),
    ];
    const confPath = path.join(dir, 'redis.conf');
    fs.writeFileSync(confPath, conf.join('\n') + '\n');
    return [confPath];
  }, opts.port, opts.dir);
}

/** True when the binaries needed for private servers are on PATH. */
export function serversAvailable(): { nats: boolean; redis: boolean } {
  return { nats: !!findBinary('nats-server'), redis: !!findBinary('redis-server') };
}

export function binaryVersion(name: string): string | undefined {
  const bin = findBinary(name);
  if (!bin) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim();
}

/** Resolve once redis-server on this port answers PING with PONG rather than -LOADING (raw RESP).
 *  With the default user off Redis answers -NOAUTH even while loading, so there this only proves
 *  the server is up; callers then retry on LOADING themselves. */
async function waitForRedisReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect({ port, host: '127.0.0.1' });
      let buf = '';
      const done = (a: string) => { sock.destroy(); resolve(a); };
      sock.setTimeout(1000, () => done(''));
      sock.once('error', () => done(''));
      sock.on('data', (d) => { buf += d.toString(); if (buf.includes('\r\n')) done(buf); });
      sock.once('connect', () => sock.write('PING\r\n'));
    });
    if (answer.startsWith('+PONG') || answer.startsWith('-NOAUTH') || answer.startsWith('-NOPERM')) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} not ready within ${timeoutMs} ms (last answer: ${answer.trim() || 'none'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
