// The inspector page in real headless Chromium against the reference network (one process per node,
// private nats-server and redis-server): the party machine's diagram highlights a David–Alice
// session's stages as they happen; a node attached at runtime appears without a reload; the QBA
// tree of a 5-node trade shows its 5 multicast-round actors; time travel pauses, goes back and
// resumes; no key byte of the session or of the pools reaches the page; no request leaves 127.0.0.1.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startEnv, stopEnv, store, submit, waitUntil, type Env } from '../sessions/helpers.ts';
import { startInspector, type Inspector } from '../../runtime/inspector/inspector.ts';
import { partyMachine } from '../../actors/sessions/party-machine.ts';
import { TASK_COORDINATOR_ID } from '../../actors/tasks/tasks.messages.ts';
import { INSPECTOR, SERVER, subject } from '../../runtime/subjects.ts';
import { openPage, screenshot, type Session } from './browser.ts';
import { keyBytesIn } from './leak.ts';
// Browser globals used inside page.evaluate callbacks (this program has no DOM lib).
declare const window: any, document: any, location: any, MutationObserver: any;

const NODES = ['Alice', 'Bob', 'Charlie', 'David', 'Frank'];
let env: Env;
let inspector: Inspector;
let browser: Session;
const keys: Uint8Array[] = [];
let partyId = '';

test.before(async () => {
  env = await startEnv();
  inspector = await startInspector({ host: await env.cluster.connect(INSPECTOR), net: env.cluster.net, port: 0, redisUrl: env.redis.url });
  browser = await openPage(`${inspector.url}#/machine/follow:party@node-Alice`);
});

test.after.always(async () => {
  await browser?.close();
  await inspector?.stop();
  await stopEnv(env);
});

const current = () => browser.page.evaluate(() => (window as unknown as { seen: string[] }).seen);

test.serial('the party diagram highlights a David–Alice session through its stages', async (t) => {
  const { page } = browser;
  // Record every state the page highlights, as it renders (not by polling).
  await page.evaluate(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    const rec = () => {
      const s = document.querySelector('svg.diagram')?.getAttribute('data-current');
      if (s && w.seen[w.seen.length - 1] !== s) w.seen.push(s);
    };
    new MutationObserver(rec).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-current'] });
  });
  const h = await submit(env, 'David', 'Alice', { seconds: 1 });
  await page.waitForSelector('svg.diagram[data-machine="party"]', { timeout: 60_000 });
  await page.waitForSelector('svg.diagram[data-current="processing"]', { timeout: 60_000 });
  await screenshot(page, 'machine');
  if (process.env.HETQN_INSPECTOR_SCREENSHOTS) {
    // The network with the session drawn on it, then back to following the party.
    await page.evaluate(() => { location.hash = '#/network'; });
    await page.waitForSelector('[data-view="network"] [data-session]');
    await screenshot(page, 'network-session');
    await page.evaluate(() => { location.hash = '#/machine/follow:party@node-Alice'; });
    await page.waitForSelector('svg.diagram[data-machine="party"]');
  }
  const outcome = await h.done;
  t.true(outcome.ok, outcome.reason);
  await page.waitForSelector('svg.diagram[data-current="done"]', { timeout: 30_000 });

  const seen = await current();
  const order = ['calibrating', 'receiving', 'processing', 'staged', 'resolving', 'verifying', 'rechecking', 'committing', 'done'];
  let at = -1;
  for (const s of seen) { const i = order.indexOf(s); t.true(i > at, `highlight order ${seen.join(' → ')}`); at = i; }
  t.true(seen.includes('processing') && seen.includes('receiving'), seen.join(' → '));
  t.is(seen[seen.length - 1], 'done');
  // The diagram has every state of the party machine, and the highlighted one is "done".
  const drawn = await page.$$eval('[data-state-id]', (els) => els.map((e) => e.getAttribute('data-state-id')!).sort());
  t.deepEqual(drawn, Object.keys(partyMachine.config.states!).map((k) => `party.${k}`).sort());
  t.deepEqual(await page.$$eval('[data-state-id][data-active]', (els) => els.map((e) => e.getAttribute('data-state-id'))), ['party.done']);
  partyId = (await page.getAttribute('[data-selected]', 'data-selected'))!;
  t.regex(partyId, /^node-Alice\//);

  // The session's key, from both pools (the page must never have seen any of it).
  const alice = store(env, 'Alice');
  const bits = (await alice.stats('David', 'secret')).available;
  t.true(bits > 0);
  keys.push(...(await alice.withdraw('David', 'secret', bits)).keys.map((k) => k.bytes));

  await page.goto(`${inspector.url}#/sessions`);
  await page.waitForSelector(`[data-timeline] [data-lane="Alice (source)"]`);
  t.true(await page.isVisible('[data-lane="coordinator"] [data-stage="processing"]'));
  await screenshot(page, 'session');
});

test.serial('time travel: pause, scrub back to the party processing, resume', async (t) => {
  const { page } = browser;
  await page.goto(`${inspector.url}#/machine/${encodeURIComponent(partyId)}`);
  await page.waitForSelector('svg.diagram[data-current="done"]');
  await page.click('[data-action="pause"]');
  t.is(await page.getAttribute('.timebar', 'data-mode'), 'paused');
  // The record at which the party entered processing, found in the page's own record.
  const n = await page.evaluate((id) => {
    const s = (window as unknown as { hetqnInspector: { records: Array<{ k: string; id?: string; value?: unknown }> } }).hetqnInspector;
    return s.records.findIndex((r) => r.k === 'step' && r.id === id && r.value === 'processing') + 1;
  }, partyId);
  t.true(n > 0);
  await page.fill('input[type=range]', String(n));
  await page.waitForSelector('svg.diagram[data-current="processing"]');
  t.is(await page.getAttribute('.timebar .pos', 'data-cursor'), String(n));
  await page.fill('input[type=range]', String(n - 1));
  await page.waitForSelector('svg.diagram[data-current="receiving"]');
  await page.click('[data-action="resume"]');
  await page.waitForSelector('svg.diagram[data-current="done"]');
  t.is(await page.getAttribute('.timebar', 'data-mode'), 'live');
});

test.serial('a node attached at runtime appears without a reload', async (t) => {
  const { page } = browser;
  await page.goto(`${inspector.url}#/network`);
  await page.waitForSelector('[data-node="Alice"][data-state="up"]');
  t.is(await page.getAttribute('[data-node="George"]', 'data-state'), 'expected');
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
  const george = env.cluster.children.length;
  const spec = (await import('../../infra/topology.ts')).loadTopology((await import('../../infra/topology.ts')).referenceTopologyPath()).nodes.find((n) => n.name === 'George')!;
  await env.cluster.attach(spec);
  t.true(env.cluster.children.length > george);
  await page.waitForSelector('[data-node="George"][data-state="up"]', { timeout: 30_000 });
  t.is(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'same page, no reload');
  await screenshot(page, 'network');
});

test.serial('the QBA tree of a 5-node trade shows its 5 multicast rounds', async (t) => {
  const { page } = browser;
  // Fill every pair's secret pool with random blocks the test keeps (for the key-byte check).
  let seq = 0;
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < NODES.length; i++) for (let j = i + 1; j < NODES.length; j++) {
    const a = store(env, NODES[i]!), b = store(env, NODES[j]!);
    const id = `fill-${process.pid}-${++seq}`;
    const bytes = new Uint8Array(randomBytes(60_000 / 8));
    keys.push(bytes);
    const block = { id, bytes, length: 60_000, createdAt: Date.now(), meta: { protocol: 'test-fill' }, sessionId: id };
    jobs.push((async () => {
      await Promise.all([a.stage(b.owner, 'secret', block), b.stage(a.owner, 'secret', block)]);
      await Promise.all([a.commit(b.owner, 'secret', id), b.commit(a.owner, 'secret', id)]);
    })());
  }
  await Promise.all(jobs);
  await page.goto(`${inspector.url}#/tasks`);
  const trade = new TextEncoder().encode('trade 1: Alice buys 100 units at 42.0 from Bob, settlement T+2');
  const r = await env.cluster.client.request<Record<string, any>>(subject.actor(SERVER, TASK_COORDINATOR_ID), 'task.request',
    { kind: 'qba', primary: 'Alice', nodes: NODES, depth: 2, value: trade, malicious: [] }, { timeoutMs: 170_000 });
  t.is(r.body.error, undefined);
  t.is(r.body.multicastRounds, 5);
  await page.waitForSelector('[data-rounds="5"]', { timeout: 30_000 });
  const rounds = await page.$$eval('[data-round]', (els) => els.map((e) => e.getAttribute('data-round')!));
  t.is(rounds.length, 5);
  t.deepEqual(rounds.filter((p) => !p.includes('>')), ['Alice']);
  t.is(rounds.filter((p) => p.startsWith('Alice>')).length, 4);
  await screenshot(page, 'tasks');
});

test.serial('no key byte of the session or of the pools reaches the page', async (t) => {
  await waitUntil(() => browser.recorded.received.length > 0, 'frames');
  const received = browser.recorded.received;
  t.true(keys.length > 10 && keys[0]!.length > 1000);
  // The check finds key bytes when they are there (in every encoding it looks for).
  const k = keys[0]!.subarray(100, 140);
  t.true(keyBytesIn([JSON.stringify({ x: Buffer.from(k) })], keys).length > 0);
  t.true(keyBytesIn([Buffer.from(k).toString('hex')], keys).length > 0);
  t.true(keyBytesIn([`"key":"${Buffer.from(keys[0]!.subarray(101, 150)).toString('base64')}"`], keys).length > 0);
  t.deepEqual(keyBytesIn(received, keys), []);
  t.true(received.join('').length > 100_000, 'the page did receive the sessions and tasks');
});

test.serial('no request leaves 127.0.0.1', async (t) => {
  const { requests, sockets } = browser.recorded;
  t.true(requests.length >= 3 && sockets.length > 0); // the page, app.js, app.css; the live feed
  for (const u of [...requests, ...sockets]) t.is(new URL(u).hostname, '127.0.0.1', u);
});
