// The Bus over NATS (@nats-io/transport-node v3). One connection per host/process, bound to one bus
// identity: it authenticates with that identity's nkey seed (when the server requires it), gets its
// replies under the identity's inbox prefix (subjects.ts inboxPrefix) and, with a CA given, only
// talks TLS to a server whose certificate that CA signed. Several server URLs may be given (the
// servers of a NATS cluster): the client picks one at random, reconnects forever to any of them
// (RECONNECT: a short wait with jitter, so the clients of a lost server do not all hit the same one
// at the same instant), notices a silent server whose socket stays open within 2-3 PING_INTERVAL_MS,
// and reports every loss and return to onConnection listeners: core NATS drops what
// was in flight on the lost server, so sessions abort on a loss (session-wiring-node/server.ts).
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { connect, nkeyAuthenticator, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { BusTimeoutError, NoRespondersError, type Bus, type BusMessage, type ConnectionEvent, type SubscribeOptions, type Subscription } from './bus.ts';
import { inboxPrefix } from './subjects.ts';

export interface NatsConnectOptions {
  /** One or more server URLs (nats:// or tls://). */
  servers: string[];
  /** Client name shown by the server's monitoring. */
  name: string;
  net: string;
  /** The bus identity this connection publishes as (server, a node name, client, inspector). */
  identity: string;
  /** The identity's nkey seed ("SU..."); without it the connection is anonymous (insecure servers only). */
  seed?: string;
  /** PEM CA certificate: require TLS and verify the server against it. */
  ca?: string;
  /** Give up the first connection after one round of servers (default: true). */
  failFast?: boolean;
}

/** Split "a,b" and repeated values into one list of URLs. */
export function serverList(urls: string | string[]): string[] {
  return (Array.isArray(urls) ? urls : [urls]).flatMap((u) => u.split(',')).map((u) => u.trim()).filter(Boolean);
}

/** TLS trusting only `ca`, and checking the server's certificate against the servers' own host names.
 *  (nats.js upgrades the socket to TLS without a host for an IP URL, and Node then checks the
 *  certificate against "localhost"; this checks it against the address actually dialled instead.) */
function verifiedTls(ca: string, servers: string[]): TlsOptions {
  const hosts = servers.map((u) => new URL(u.includes('://') ? u : `nats://${u}`).hostname.replace(/^\[|\]$/g, ''));
  const check = (_host: string, cert: PeerCertificate) => {
    const errors = hosts.map((h) => checkServerIdentity(h, cert));
    return errors.every((e) => e) ? errors[0] : undefined;
  };
  return { ca, checkServerIdentity: check } as TlsOptions;
}

/** Reconnect wait: 250 ms plus up to 100 ms (TLS: 500 ms) of jitter, forever. */
const RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100, reconnectJitterTLS: 500 };
/** A server that stops answering is dropped when MAX_PINGS_OUT pings are unanswered at a tick: 10-15 s
 *  after it went silent (nats.js default: 4-6 min). A server killed outright is noticed at once (its
 *  socket closes); shorter intervals would drop a live server that a loaded host starves for seconds. */
export const PING_INTERVAL_MS = 5000;
const MAX_PINGS_OUT = 2;
/** With several servers, how long one may take to answer a new connection before the next is tried
 *  (a frozen server still accepts TCP but never says hello; nats.js waits 20 s by default, which stays
 *  with a single server, where there is nothing else to try). */
export const CONNECT_TIMEOUT_MS = 3000;

export class NatsBus implements Bus {
  private listeners = new Set<(e: ConnectionEvent) => void>();
  private constructor(readonly nc: NatsConnection, readonly url: string, readonly identity: string) {}

  static async connect(o: NatsConnectOptions): Promise<NatsBus> {
    const servers = serverList(o.servers);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers, name: o.name, ...RECONNECT, pingInterval: PING_INTERVAL_MS, maxPingOut: MAX_PINGS_OUT, waitOnFirstConnect: o.failFast === false,
        ...(servers.length > 1 ? { timeout: CONNECT_TIMEOUT_MS } : {}),
        inboxPrefix: inboxPrefix(o.net, o.identity),
        ...(o.seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(o.seed)) } : {}),
        ...(o.ca ? { tls: verifiedTls(o.ca, servers) } : {}),
      });
    } catch (err) {
      const msg = (err as Error).message;
      const hint = /authori[sz]ation/i.test(msg) ? (o.seed ? ` (the server refused identity ${o.identity}'s nkey)` : ' (the server requires credentials: give a bundle)') : '';
      throw new Error(`cannot connect to NATS at ${servers.join(', ')}: ${msg}${hint}`);
    }
    const bus = new NatsBus(nc, servers.join(','), o.identity);
    bus.followStatus();
    return bus;
  }

  onConnection(listener: (e: ConnectionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connection losses and returns to the listeners; the server refusing a publish (permissions)
   *  on stderr, at most once a second. */
  private followStatus(): void {
    let last = 0;
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect') {
          for (const l of this.listeners) { try { l({ type: s.type, server: s.server }); } catch { /* a listener's bug is its own */ } }
          continue;
        }
        if (s.type !== 'error' || !/permissions violation for publish/i.test(s.error.message) || Date.now() - last < 1000) continue;
        last = Date.now();
        process.stderr.write(`[${this.identity}] ${s.error.message}\n`);
      }
    })().catch(() => undefined);
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1_048_576;
  }

  publish(subject: string, data: Uint8Array, opts: { reply?: string } = {}): void {
    this.nc.publish(subject, data, opts.reply ? { reply: opts.reply } : undefined);
  }

  subscribe(subject: string, handler: (m: BusMessage) => void, opts: SubscribeOptions = {}): Subscription {
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) {
          if (opts.onError) opts.onError(err);
          else process.stderr.write(`[${this.identity}] subscription to ${subject} ended: ${err.message}\n`);
          return;
        }
        handler({ subject: msg.subject, data: msg.data, reply: msg.reply || undefined });
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    try {
      const m = await this.nc.request(subject, data, { timeout: opts.timeoutMs });
      return m.data;
    } catch (err) {
      const e = err as Error & { code?: string };
      const text = `${e.name} ${e.message} ${e.code ?? ''} ${(e.cause as Error | undefined)?.message ?? ''}`.toLowerCase();
      if (text.includes('no responders') || text.includes('503')) throw new NoRespondersError(subject);
      if (text.includes('timeout')) throw new BusTimeoutError(subject, opts.timeoutMs);
      throw err;
    }
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try { await this.nc.drain(); } catch { await this.nc.close(); }
  }
}
