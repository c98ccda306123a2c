// Start private nats-server and redis-server processes (binaries from PATH) on free ports.
// Used by `hetqn up` when no NATS/Redis is reachable, and by every integration test so tests are
// isolated and can kill -9 and restart a server for fault tests.
//
// The private Redis is locked down: the `default` user is off, users live in an ACL file in the data
// directory (so users added later with ACL SETUSER + ACL SAVE survive a restart), an admin user with a
// fresh random password owns it, and the key pools' Functions library is loaded at the first start.
// Optional TLS for both servers (infra/tls.ts makes the certificates).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.ts';
import { openRedis } from './keypool/connect.ts';
import { loadPoolLibrary } from './keypool/library.ts';

export interface ManagedServer {
  readonly kind: 'nats' | 'redis';
  readonly port: number;
  /** What a client connects with: for Redis the admin's URL (credentials embedded, never log it). */
  readonly url: string;
  /** The URL without credentials (for logs, and for processes that bring their own user). */
  readonly address: string;
  readonly dir: string;
  /** Redis: the admin user that owns the server (all rights; for the launcher and credential issuer). */
  readonly admin?: { username: string; password: string };
  /** The CA certificate file clients must trust when TLS is on. */
  readonly caFile?: string;
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

export interface LaunchSpec {
  /** The address the server listens on, where it is probed once started (default 127.0.0.1). */
  host?: string;
  argsFor: (port: number, dir: string) => string[];
  /** Resolves once the server serves requests (after the port opens). */
  ready?: (port: number) => Promise<void>;
  url: (port: number) => string;
  address: (port: number) => string;
  admin?: { username: string; password: string };
  caFile?: string;
}

/** Start a server process (nats-server, or redis-server also as a sentinel) and restart it on demand. */
export async function launch(kind: 'nats' | 'redis', spec: LaunchSpec, port?: number, dir?: string): Promise<ManagedServer> {
  const bin = findBinary(kind === 'nats' ? 'nats-server' : 'redis-server');
  if (!bin) throw new Error(INSTALL_HINT[kind]);
  const thePort = port ?? (await freePort());
  const theDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `hetqn-${kind}-`));
  let child: ChildProcess | undefined;
  const start = async () => {
    const logFd = fs.openSync(path.join(theDir, `${kind}.log`), 'a');
    child = spawn(bin, spec.argsFor(thePort, theDir), { stdio: ['ignore', logFd, logFd], detached: false });
    fs.closeSync(logFd);
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) =>
      reject(new Error(`${kind}-server exited with code ${code} on port ${thePort}; see ${path.join(theDir, `${kind}.log`)}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForPort(thePort, spec.host ?? '127.0.0.1', 15_000), exited]);
    if (spec.ready) await Promise.race([spec.ready(thePort), exited]);
  };
  const waitExit = (c: ChildProcess | undefined) => new Promise<void>((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
  });
  try {
    await start();
  } catch (e) {
    // A first start that failed leaves no process and, if the directory was ours, no directory behind.
    child?.kill('SIGKILL');
    await waitExit(child);
    if (dir) throw e;
    let tail = '';
    try { tail = fs.readFileSync(path.join(theDir, `${kind}.log`), 'utf8').trim().split('\n').slice(-3).join(' | '); } catch { /* no log */ }
    fs.rmSync(theDir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}${tail ? ` (log: ${tail})` : ''}`);
  }
  return {
    kind, port: thePort, dir: theDir, url: spec.url(thePort), address: spec.address(thePort), admin: spec.admin, caFile: spec.caFile,
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

/** Server-side TLS: the server's certificate and key, and the CA its clients' certificates must chain to. */
export interface ServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Require a client certificate of that CA (mutual TLS). Default false: clients authenticate with a password. */
  verifyClients?: boolean;
}

export interface NatsOptions {
  port?: number; dir?: string; jetstream?: boolean; extraArgs?: string[]; tls?: ServerTls;
  /** The address to listen on (default 127.0.0.1); the URL names it. */
  host?: string;
}

/** A private nats-server with JetStream, storing in its own temp directory. */
export function startNats(opts: NatsOptions = {}): Promise<ManagedServer> {
  const tls = opts.tls;
  const host = opts.host ?? '127.0.0.1';
  const url = (port: number) => `nats://${host}:${port}`;
  return launch('nats', {
    host,
    argsFor: (port, dir) => [
      '-a', host, '-p', String(port),
      ...(opts.jetstream === false ? [] : ['-js', '-sd', path.join(dir, 'js')]),
      ...(tls ? ['--tls', '--tlscert', tls.certFile, '--tlskey', tls.keyFile, '--tlscacert', tls.caFile, ...(tls.verifyClients ? ['--tlsverify'] : [])] : []),
      ...(opts.extraArgs ?? []),
    ],
    url, address: url, caFile: tls?.caFile,
  }, opts.port, opts.dir);
}

export interface RedisOptions {
  port?: number; dir?: string;
  /** AOF fsync policy; 'everysec' by default (see infra key-pool docs for the guarantee). */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** ACL file lines (`user <name> ...`, e.g. acl.ts generatePoolUsers().aclLines), besides the admin. */
  users?: string[];
  /** Extra redis.conf lines; `user ...` lines among them go to the ACL file (Redis refuses both places). */
  extraConfig?: string[];
  /** The admin user (default `hetqn-admin` with a fresh random password). */
  admin?: { username: string; password: string };
  /** Serve TLS only (the plaintext port is closed). */
  tls?: ServerTls;
  /** Load the key pools' Functions library at the first start (default true). */
  poolLibrary?: boolean;
  /** The address to listen on (default 127.0.0.1); the URLs name it. */
  host?: string;
}

export const ACL_FILE = 'users.acl';

/**
 * The `default` user is off (no connection authenticates as it: clients get NOAUTH) and has no password, but
 * keeps all permissions: Redis 7.0 replays a MULTI/EXEC from the AOF (every function call is logged as one)
 * with the default user's permissions and silently drops it when they are missing, losing every pool step
 * on restart (redis/redis#14541, fixed upstream by #14545; Debian's 7.0.15 has the bug).
 */
export const DEFAULT_USER_LINE = 'user default off resetpass ~* &* +@all';

/** A private redis-server with AOF persistence and ACL users in its own temp directory. */
export async function startRedis(opts: RedisOptions = {}): Promise<ManagedServer> {
  const admin = opts.admin ?? { username: 'hetqn-admin', password: randomBytes(24).toString('hex') };
  const extra = opts.extraConfig ?? [];
  // The default user is always off here (a line for it among `users` would be a duplicate Redis refuses).
  const users = [...(opts.users ?? []), ...extra.filter((l) => /^user\s/.test(l))].filter((l) => !/^user\s+default\s/.test(l));
  const tls = opts.tls;
  const scheme = tls ? 'rediss' : 'redis';
  const cred = `${encodeURIComponent(admin.username)}:${encodeURIComponent(admin.password)}@`;
  const host = opts.host ?? '127.0.0.1';
  const url = (port: number) => `${scheme}://${cred}${host}:${port}`;
  let libraryLoaded = opts.poolLibrary === false;
  const server = await launch('redis', {
    host,
    argsFor: (port, dir) => {
      const aclPath = path.join(dir, ACL_FILE);
      // Written at the first start only: later starts keep the users added (and ACL SAVEd) since.
      if (!fs.existsSync(aclPath)) {
        const lines = [...users, `user ${admin.username} reset on #${createHash('sha256').update(admin.password).digest('hex')} ~* &* +@all`, DEFAULT_USER_LINE];
        fs.writeFileSync(aclPath, lines.join('\n') + '\n', { mode: 0o600 });
      }
      const conf = [
        ...(tls ? ['port 0', `tls-port ${port}`, `tls-cert-file ${tls.certFile}`, `tls-key-file ${tls.keyFile}`,
          `tls-ca-cert-file ${tls.caFile}`, `tls-auth-clients ${tls.verifyClients ? 'yes' : 'no'}`] : [`port ${port}`]),
        `bind ${host}`, `dir ${dir}`, 'save ""', 'appendonly yes',
        `appendfsync ${opts.appendfsync ?? 'everysec'}`, 'daemonize no', 'protected-mode yes',
        `aclfile ${aclPath}`,
        // A function running longer than this gets other clients a BUSY reply instead of a silent hang;
        // node users cannot EVAL, so only the library's own bounded functions ever run.
        'busy-reply-threshold 1000',
        // Evicting a pool key would lose key bits: refuse writes instead when memory runs out.
        'maxmemory-policy noeviction',
        ...extra.filter((l) => !/^user\s/.test(l)),
      ];
      // Written at the first start only too: a restart keeps what Redis rewrote since (a Sentinel's
      // CONFIG REWRITE after a failover makes the old master a replica of the new one).
      const confPath = path.join(dir, 'redis.conf');
      if (!fs.existsSync(confPath)) fs.writeFileSync(confPath, conf.join('\n') + '\n', { mode: 0o600 });
      return [confPath];
    },
    ready: async (port) => {
      await waitForRedisReady(url(port), tls, 30_000);
      if (!libraryLoaded) {
        const r = openRedis(url(port), { allowUrlCredentials: true, tls: tls && { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile } });
        try { await loadPoolLibrary(r); libraryLoaded = true; } finally { r.disconnect(); }
      }
    },
    url, address: (port) => `${scheme}://${host}:${port}`, admin, caFile: tls?.caFile,
  }, opts.port, opts.dir);
  return server;
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

/** Resolve once redis-server answers the admin's PING with PONG rather than -LOADING (it accepts
 *  connections while it still replays its AOF). */
export async function waitForRedisReady(url: string, tls: ServerTls | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = openRedis(url, {
      allowUrlCredentials: true, tls: tls && { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile },
      redis: { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 },
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return;
    } catch (e) {
      last = (e as Error).message;
    } finally {
      r.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server not ready within ${timeoutMs} ms (last answer: ${last || 'none'})`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
