// Headless Debian Chromium driven by playwright-core (never a downloaded browser), recording every
// request the page makes, every WebSocket frame and every response body it receives.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HETQN_CHROMIUM ?? '/usr/bin/chromium';

export interface Recorded { requests: string[]; sockets: string[]; received: string[] }
export interface Session { context: BrowserContext; page: Page; recorded: Recorded; close(): Promise<void> }

export async function openPage(url: string): Promise<Session> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-chromium-'));
  // A fresh profile directory (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1500, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // tsx keeps function names with a __name helper, which functions passed to page.evaluate carry along.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  const page = context.pages()[0] ?? await context.newPage();
  const recorded: Recorded = { requests: [], sockets: [], received: [] };
  page.on('request', (r) => recorded.requests.push(r.url()));
  page.on('response', (r) => { void r.text().then((t) => recorded.received.push(t), () => undefined); });
  page.on('websocket', (ws) => {
    recorded.sockets.push(ws.url());
    ws.on('framereceived', (f) => recorded.received.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
  });
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(url);
  return {
    context, page, recorded,
    async close() { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); },
  };
}

/** Save a screenshot when HETQN_INSPECTOR_SCREENSHOTS names a directory (how docs/inspector/*.png are made). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.HETQN_INSPECTOR_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
