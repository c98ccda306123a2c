// `hetqn inspect [--port 8080] [--duration s] [--json]`: stream the inspection events of every
// process of a running network. Holds an inspection lease (hosts only stream while it is renewed),
// relays each event as JSON text to WebSocket clients (the @statelyai/inspect
// createWebSocketInspector / createWebSocketReceiver protocol: a relay at ws://host:port where
// every JSON message is a StatelyInspectionEvent) and prints a live per-actor state table.
// `hetqn inspect --export <dir>` writes each machine's definition JSON instead.
// `hetqn inspect --web [--port P] [--host H --token T]` serves the inspector page (runtime/inspector)
// with the Stately relay on the same port.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { WebSocketServer, WebSocket } from 'ws';
import { machineCatalog } from '../../machine-catalog.ts';
import { exportMachine } from '../../inspector/export.ts';
import { INSPECTOR, subject } from '../../subjects.ts';
import { stateString } from '../../inspection.ts';
import { CliError, MAX_TIMEOUT_S, parseNumber, printResult, progress } from '../output.ts';
import { clientHost, resolveTarget } from '../target.ts';
import { randomBytes } from 'node:crypto';
import { startInspector } from '../../inspector/inspector.ts';
import { isLoopback } from '../../inspector/server.ts';
import { InspectionConverter } from '../../inspector/convert.ts';
import { readState } from '../../state-file.ts';

interface Row { processId: string; systemId: string; name: string; sessionId: string; state: string; lastEvent: string; events: number }

export function register(program: Command): void {
  program.command('inspect')
    .description('live per-actor state table + WebSocket relay for the Stately inspector; --export writes machine definitions')
    .option('--export <dir>', 'write every machine definition as <id>.json and exit')
    .option('--web', 'serve the inspector page (network, machines, sessions, tasks, pools, time travel)')
    .option('--port <port>', 'WebSocket relay / web port (0: any free port)', '8080')
    .option('--host <address>', 'address to serve on (default 127.0.0.1; any other needs a token)', '127.0.0.1')
    .option('--token <token>', 'token the page must present (required off 127.0.0.1; default: a random one there)')
    .option('--redis-url <url>', 'Redis url for pool levels (default: from .hetqn/<net>.json or REDIS_URL)')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)')
    .option('--net <name>', 'network name')
    .option('--nats <url>', 'NATS url')
    .option('--json', 'print one JSON object at the end')
    .action(async (o) => {
      if (o.export) return exportDefinitions(o.export, o);
      if (o.web) return serveWeb(o);
      const port = parseNumber('port', o.port, { min: 0, max: 65535, integer: true })!;
      const duration = parseNumber('duration', o.duration, { min: 0, max: MAX_TIMEOUT_S });
      const { net, natsUrl } = resolveTarget(o);
      const host = await clientHost(net, natsUrl, INSPECTOR);

      const wss = await new Promise<WebSocketServer>((resolve, reject) => {
        const s = new WebSocketServer({ port, host: '127.0.0.1' });
        s.once('listening', () => resolve(s));
        s.once('error', (e) => reject(new CliError(`--port: cannot listen on ${port}: ${(e as Error).message}`)));
      }).catch(async (e) => { await host.stop(); throw e; });
      const wsPort = (wss.address() as { port: number }).port;
      const replay = new Map<string, string[]>();
      const broadcast = (text: string, except?: WebSocket) => {
        for (const c of wss.clients) if (c !== except && c.readyState === WebSocket.OPEN) c.send(text);
      };
      wss.on('connection', (ws) => {
        for (const msgs of replay.values()) for (const m of msgs) ws.send(m);
        // Inspectors may push their own events in; pass them on to the other clients.
        ws.on('message', (data) => broadcast(data.toString(), ws));
      });

      const rows = new Map<string, Row>();
      let events = 0;
      let changed = true;
      host.subscribe(subject.inspectAll(), (env) => {
        const ev = env.body as { type: string; sessionId: string; processId?: string; systemId?: string; name?: string; snapshot?: unknown; event?: { type?: string } };
        events++;
        // Contexts and events summarised as for the web page: no key material on the relay.
        const text = JSON.stringify(InspectionConverter.sanitise(ev));
        broadcast(text);
        const r = rows.get(ev.sessionId) ?? { processId: ev.processId ?? '?', systemId: ev.systemId ?? '', name: ev.name ?? '', sessionId: ev.sessionId, state: '', lastEvent: '', events: 0 };
        if (ev.type === '@xstate.actor') { r.name = ev.name ?? r.name; r.systemId = ev.systemId ?? r.systemId; replay.set(ev.sessionId, [text]); }
        if (ev.snapshot) r.state = stateString(ev.snapshot);
        if (ev.type === '@xstate.snapshot') replay.set(ev.sessionId, [...(replay.get(ev.sessionId) ?? []).slice(0, 1), text]);
        if (ev.type === '@xstate.event') { r.lastEvent = ev.event?.type ?? ''; r.events++; }
        rows.set(ev.sessionId, r);
        changed = true;
      });
      const requester = `inspect-${process.pid}`;
      const lease = () => { try { host.publish(subject.inspectControl(), 'inspect.lease', { untilMs: 10_000, requester }); } catch { /* reconnecting */ } };
      lease();
      const leaseTimer = setInterval(lease, 3000);
      progress(`inspecting network ${net}; Stately WebSocket relay on ws://127.0.0.1:${wsPort}`);

      const tty = process.stdout.isTTY && !o.json;
      const draw = () => {
        if (!changed || o.json) return;
        changed = false;
        const text = renderRows([...rows.values()]);
        process.stdout.write(tty ? `\x1b[2J\x1b[H${text}\n` : `${text}\n\n`);
      };
      const drawTimer = setInterval(draw, 1000);
      await new Promise<void>((resolve) => {
        if (duration !== undefined) setTimeout(resolve, duration * 1000);
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(leaseTimer); clearInterval(drawTimer);
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(() => r(undefined)));
      await host.stop();
      const actors = [...rows.values()].sort((a, b) => (a.processId + a.systemId).localeCompare(b.processId + b.systemId));
      if (o.json) printResult(o, { network: net, wsUrl: `ws://127.0.0.1:${wsPort}`, events, actors }, () => '');
      else if (!tty) draw();
      process.exit(0);
    });
}

async function serveWeb(o: { port: string; host: string; token?: string; redisUrl?: string; duration?: string; net?: string; nats?: string; json?: boolean }): Promise<void> {
  const port = parseNumber('port', o.port, { min: 0, max: 65535, integer: true })!;
  const duration = parseNumber('duration', o.duration, { min: 0 });
  const token = o.token ?? (isLoopback(o.host) ? undefined : randomBytes(18).toString('base64url'));
  const { net, natsUrl } = resolveTarget(o);
  const host = await clientHost(net, natsUrl, INSPECTOR);
  const redisUrl = o.redisUrl ?? readState(net)?.redisUrl ?? process.env.REDIS_URL;
  let inspector;
  try {
    inspector = await startInspector({ host, net, port, bind: o.host, token, redisUrl, log: progress });
  } catch (e) {
    await host.stop();
    throw new CliError(`--port/--host: cannot serve the inspector on ${o.host}:${port}: ${(e as Error).message}`);
  }
  progress(`inspector for network ${net}: ${inspector.url} (Stately relay: ws://${o.host}:${inspector.port})`);
  printResult(o, { network: net, url: inspector.url, port: inspector.port, host: o.host }, () => inspector.url);
  await new Promise<void>((resolve) => {
    if (duration !== undefined) setTimeout(resolve, duration * 1000);
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await inspector.stop();
  await host.stop();
  process.exit(0);
}

function renderRows(rows: Row[]): string {
  const sorted = rows.sort((a, b) => (a.processId + a.systemId).localeCompare(b.processId + b.systemId));
  const table = [['process', 'actor', 'machine', 'state', 'last event', 'events'],
    ...sorted.map((r) => [r.processId, r.systemId || r.sessionId, r.name, r.state, r.lastEvent, String(r.events)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
  return table.map((t) => t.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function exportDefinitions(dir: string, o: { json?: boolean }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const load of machineCatalog) {
    const m = await load();
    const { config, implementations } = exportMachine(m);
    // <id>.json is what createMachine (and the Stately inspector) takes; the implementations list
    // names every guard, action, actor and delay it needs, with the source of inline ones.
    const file = path.join(dir, `${m.id}.json`);
    const impl = path.join(dir, `${m.id}.implementations.json`);
    fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
    fs.writeFileSync(impl, JSON.stringify(implementations, null, 2) + '\n');
    files.push(file, impl);
  }
  printResult(o, { exported: files }, () => `wrote ${files.length / 2} machine definitions:\n${files.join('\n')}`);
}
