// The inspector's web server: the bundled page (built at install time, runtime/inspector/build.ts),
// the page's live feed on ws://…/live (hello = base model + replay records, then batches), and the
// Stately relay on any other WebSocket path (@statelyai/inspect protocol: one JSON inspection event
// per message; what clients send is passed on to the other clients).
// Bound to 127.0.0.1 unless told otherwise; on another address a token is required (cookie set from
// ?token= on the first page load, or the query on WebSocket URLs). On loopback, the Host header must
// name a loopback address (no DNS rebinding), and the page's WebSocket must come from its own origin.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import type { Feed, ServerMessage } from './model.ts';
import type { Recorder } from './recorder.ts';
import type { InspectionEventLike } from './convert.ts';
import { InspectionConverter } from './convert.ts';

export interface ServerOptions {
  recorder: Recorder;
  /** Directory holding index.html, app.js, app.css. */
  webDir: string;
  port: number;
  bind: string;
  token?: string;
  flushMs?: number;
}

export interface InspectorServer {
  url: string; port: number;
  /** Pass an inspection event to Stately relay clients (sanitised here). */
  relay(ev: InspectionEventLike): void;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'";
const MAX_BUFFERED = 32 * 1024 * 1024;

function sameToken(a: string | undefined, b: string): boolean {
  if (!a || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const cookieToken = (req: http.IncomingMessage) => /(?:^|;\s*)hetqn_inspect=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
const hostName = (h: string | undefined) => (h ?? '').replace(/:\d+$/, '');

export async function startServer(o: ServerOptions): Promise<InspectorServer> {
  const loopbackOnly = isLoopback(o.bind);
  if (!loopbackOnly && !o.token) throw new Error(`--host ${o.bind}: a token is required to serve beyond this machine`);

  const allowed = (req: http.IncomingMessage, url: URL): boolean => {
    if (loopbackOnly && !isLoopback(hostName(req.headers.host))) return false;
    if (!o.token) return true;
    return sameToken(url.searchParams.get('token') ?? undefined, o.token) || sameToken(cookieToken(req), o.token);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://inspector');
    if (!allowed(req, url)) { res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: wrong host or missing token\n'); return; }
    const headers: Record<string, string> = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if (o.token && url.searchParams.get('token')) headers['set-cookie'] = `hetqn_inspect=${o.token}; HttpOnly; SameSite=Strict; Path=/`;
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, headers).end(); return; }
    if (url.pathname === '/api/model') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(o.recorder.model()));
      return;
    }
    const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!/^[\w.-]+$/.test(file)) { res.writeHead(404, headers).end(); return; }
    const full = path.join(o.webDir, file);
    fs.readFile(full, (err, data) => {
      if (err) { res.writeHead(404, headers).end(); return; }
      res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(data);
    });
  });

  const pages = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const stately = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://inspector');
    const origin = req.headers.origin;
    const crossOrigin = origin !== undefined && hostName(new URL(origin, 'http://x').host) !== hostName(req.headers.host) ;
    if (!allowed(req, url) || (url.pathname === '/live' && crossOrigin)) { socket.write('HTTP/1.1 403 Forbidden\r\n\r\n'); socket.destroy(); return; }
    const wss = url.pathname === '/live' ? pages : stately;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  // ---- pages: hello, then batches ----
  pages.on('connection', (ws) => {
    const { base, records } = o.recorder.hello();
    const hello: ServerMessage = { type: 'hello', network: o.recorder.network, base, records, now: Date.now() };
    ws.send(JSON.stringify(hello));
  });
  let pending: Feed[] = [];
  const stopListening = o.recorder.onRecord((f) => { pending.push(f); });
  const flush = setInterval(() => {
    if (!pending.length) return;
    const text = JSON.stringify({ type: 'feed', records: pending, sentAt: Date.now() } satisfies ServerMessage);
    pending = [];
    for (const c of pages.clients) {
      if (c.readyState !== WebSocket.OPEN) continue;
      // A page that cannot keep up starts again from a fresh hello when it reconnects.
      if (c.bufferedAmount > MAX_BUFFERED) { c.terminate(); continue; }
      c.send(text);
    }
  }, o.flushMs ?? 40);

  // ---- Stately relay ----
  const replay = new Map<string, string[]>();
  stately.on('connection', (ws) => {
    for (const msgs of replay.values()) for (const m of msgs) ws.send(m);
    ws.on('message', (data) => { for (const c of stately.clients) if (c !== ws && c.readyState === WebSocket.OPEN) c.send(data.toString()); });
  });
  const relay = (ev: InspectionEventLike) => {
    const text = JSON.stringify(InspectionConverter.sanitise(ev));
    if (ev.type === '@xstate.actor') replay.set(ev.sessionId, [text]);
    if (ev.type === '@xstate.snapshot') {
      const status = (ev.snapshot as { status?: string } | undefined)?.status;
      if (status && status !== 'active') replay.delete(ev.sessionId);
      else if (replay.has(ev.sessionId)) replay.set(ev.sessionId, [replay.get(ev.sessionId)![0]!, text]);
    }
    for (const c of stately.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bind, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as { port: number }).port;
  const shown = o.bind.includes(':') ? `[${o.bind}]` : o.bind;
  return {
    url: `http://${shown}:${port}/${o.token ? `?token=${o.token}` : ''}`, port, relay,
    async close() {
      clearInterval(flush); stopListening();
      for (const c of [...pages.clients, ...stately.clients]) c.terminate();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
