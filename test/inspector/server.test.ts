// The inspector's server side without a network: contexts and events are summarised (no bytes, no
// key-like fields, no encoded byte strings), inspection events become records with their sender and
// from/to states, the web server keeps to loopback (Host header, WebSocket origin) or asks for a
// token elsewhere, and the Stately relay passes sanitised events in the @statelyai/inspect shape.
import test from 'ava';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { summarise } from '../../runtime/inspector/summarise.ts';
import { InspectionConverter } from '../../runtime/inspector/convert.ts';
import { Recorder } from '../../runtime/inspector/recorder.ts';
import { startServer, type InspectorServer } from '../../runtime/inspector/server.ts';
import { ensureBundle } from '../../runtime/inspector/build.ts';
import { exportedConfigJson } from '../../runtime/inspector/export.ts';
import { partyMachine } from '../../actors/sessions/party-machine.ts';
import { apply, emptyModel, type ServerMessage } from '../../runtime/inspector/model.ts';
import { keyBytesIn } from './leak.ts';

const servers: InspectorServer[] = [];
test.after.always(async () => { for (const s of servers) await s.close(); });

test('summarise keeps shapes and counts but no bytes, key-like fields or encoded strings', (t) => {
  const key = randomBytes(32);
  const s = summarise({
    buf: key, typed: new Uint32Array(4), json: JSON.parse(JSON.stringify({ b: key })).b,
    authKey: key.toString('hex'), pskSecret: 'correct horse', signature: [1, 2, 3], tags: { a: 1 },
    hex: key.toString('hex'), b64: key.toString('base64'), bitsList: Array.from({ length: 40 }, (_, i) => i & 1),
    keyKind: 'secret', holdsKey: true, secretBits: 1234, sessionId: 's1-t0a1b2c3', blockId: 'b-17', plan: { a: 'Alice', b: 'David' },
  }) as Record<string, unknown>;
  t.deepEqual(s.buf, { redacted: 'bytes', length: 32 });
  t.deepEqual(s.typed, { redacted: 'bytes', length: 16 });
  t.deepEqual(s.json, { redacted: 'bytes', length: 32 });
  t.deepEqual(s.authKey, { redacted: 'string', length: 64 });
  t.deepEqual(s.pskSecret, { redacted: 'string', length: 13 });
  t.deepEqual(s.signature, { redacted: 'array', length: 3 });
  t.deepEqual(s.tags, { redacted: 'object', length: 1 });
  t.deepEqual(s.hex, { redacted: 'string', length: 64 });
  t.deepEqual(s.b64, { redacted: 'string', length: 44 });
  t.deepEqual(s.bitsList, { redacted: 'numbers', length: 40 });
  t.like(s, { keyKind: 'secret', holdsKey: true, secretBits: 1234, sessionId: 's1-t0a1b2c3', blockId: 'b-17', plan: { a: 'Alice', b: 'David' } });
  t.deepEqual(keyBytesIn([JSON.stringify(s)], [key]), []);
});

test('inspection events become actor and step records: sender, from -> to, context only when it changed', (t) => {
  const c = new InspectionConverter();
  const def = exportedConfigJson(partyMachine);
  const at = (n: number) => String(1_700_000_000_000 + n);
  const recs = [
    ...c.convert({ type: '@xstate.actor', sessionId: 'node-A/x:1', processId: 'node-A', systemId: 's1', name: 'party', definition: def, snapshot: { status: 'active', value: 'calibrating', context: { start: { node: 'A' } } }, createdAt: at(0) }),
    ...c.convert({ type: '@xstate.event', sessionId: 'node-A/x:1', event: { type: 'CALIBRATED', calibrationMs: 3 }, sourceId: 'node-A/x:0', createdAt: at(1) }),
    ...c.convert({ type: '@xstate.snapshot', sessionId: 'node-A/x:1', event: { type: 'CALIBRATED' }, snapshot: { status: 'active', value: 'receiving', context: { start: { node: 'A' } } }, createdAt: at(2) }),
    ...c.convert({ type: '@xstate.snapshot', sessionId: 'node-A/x:1', event: { type: 'xstate.done.actor.x' }, snapshot: { status: 'active', value: 'processing', context: { start: { node: 'A' }, detections: 5 } }, createdAt: at(3) }),
  ];
  t.deepEqual(recs.map((r) => r.k), ['machine', 'actor', 'step', 'step']);
  const [, , s1, s2] = recs as Array<Record<string, unknown>>;
  t.like(s1, { ev: 'CALIBRATED', sender: 'node-A/x:0', value: 'receiving', body: { calibrationMs: 3 } });
  t.is(s1!.ctx, undefined, 'unchanged context is not sent again');
  t.deepEqual(s2!.ctx, { start: { node: 'A' }, detections: 5 });
  const m = emptyModel();
  recs.forEach((r, i) => apply(m, { ...r, seq: i + 1 } as never));
  const a = m.actors['node-A/x:1']!;
  t.is(a.machine, 'party');
  t.deepEqual(a.steps.map((s) => `${s.from}>${s.to}`), ['calibrating>receiving', 'receiving>processing']);
  t.truthy(m.charts.party?.edges.some((e) => e.source === 'party.calibrating' && e.target === 'party.receiving' && e.event === 'CALIBRATED'));
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function wsOpen(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; first: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const first = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('error', reject);
  });
}

test('on loopback: the page and its feed are served; other Host names and origins are refused', async (t) => {
  const recorder = new Recorder('unit');
  recorder.add({ k: 'network', t: 1, view: { network: 'unit', at: 1, nodes: [], links: [] } });
  const s = await startServer({ recorder, webDir: await ensureBundle(), port: 0, bind: '127.0.0.1' });
  servers.push(s);
  const page = await get(s.port, '/');
  t.is(page.status, 200);
  t.regex(page.body, /<script src="app.js">/);
  t.regex(String(page.headers['content-security-policy']), /default-src 'self'; connect-src 'self'/);
  t.is((await get(s.port, '/app.js')).status, 200);
  t.is((await get(s.port, '/', { host: 'evil.example:80' })).status, 403, 'DNS rebinding');
  t.is((await get(s.port, '/../package.json')).status, 404);
  const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}/live`, { origin: `http://127.0.0.1:${s.port}` });
  const hello = JSON.parse(await first) as ServerMessage;
  t.is(hello.type, 'hello');
  if (hello.type === 'hello') { t.is(hello.network, 'unit'); t.is(hello.records.length, 1); }
  ws.close();
  await t.throwsAsync(wsOpen(`ws://127.0.0.1:${s.port}/live`, { origin: 'http://evil.example' }), { message: /403/ });
});

test('off loopback a token is required: refused without it, a cookie once given', async (t) => {
  const recorder = new Recorder('unit');
  await t.throwsAsync(startServer({ recorder, webDir: await ensureBundle(), port: 0, bind: '0.0.0.0' }), { message: /token is required/ });
  const token = 'tok-' + randomBytes(8).toString('hex');
  const s = await startServer({ recorder, webDir: await ensureBundle(), port: 0, bind: '0.0.0.0', token });
  servers.push(s);
  t.is((await get(s.port, '/')).status, 403);
  t.is((await get(s.port, '/?token=wrong-token-xxxxxxxxxxx')).status, 403);
  const ok = await get(s.port, `/?token=${token}`);
  t.is(ok.status, 200);
  const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
  t.regex(cookie, /^hetqn_inspect=/);
  t.is((await get(s.port, '/app.js', { cookie })).status, 200);
  await t.throwsAsync(wsOpen(`ws://127.0.0.1:${s.port}/live`), { message: /403/ });
  const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}/live?token=${token}`);
  t.is(JSON.parse(await first).type, 'hello');
  ws.close();
});

test('the Stately relay sends sanitised @statelyai/inspect events and replays live actors to new clients', async (t) => {
  const s = await startServer({ recorder: new Recorder('unit'), webDir: await ensureBundle(), port: 0, bind: '127.0.0.1' });
  servers.push(s);
  const key = randomBytes(24);
  s.relay({ type: '@xstate.actor', sessionId: 'p/x:1', name: 'party', definition: '{"id":"party"}', snapshot: { status: 'active', value: 'staged', context: { key: key.toString('hex'), bits: 10 } } });
  const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}/`);
  const ev = JSON.parse(await first);
  t.like(ev, { type: '@xstate.actor', sessionId: 'p/x:1', name: 'party', snapshot: { status: 'active', value: 'staged', context: { key: { redacted: 'string', length: 48 }, bits: 10 } } });
  ws.close();
});
