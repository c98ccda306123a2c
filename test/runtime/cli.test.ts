// The `hetqn` commands end to end as a user runs them: up --detach (on its private secured NATS),
// status, inspect (table + Stately WebSocket relay), down, a clear error for a bad topology, and a
// NATS that lets anyone in refused unless --insecure.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startNats, type ManagedServer } from '../../infra/servers.ts';
import { spawnTs, stopChild } from '../../runtime/launcher.ts';
import { pidAlive } from '../../runtime/state-file.ts';

let nats: ManagedServer;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-cli-'));
let env: Record<string, string>;
const topo = path.join(dir, 'small.json');

function run(args: string[], onStderr?: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs('runtime/cli/main.ts', args, env);
  let stdout = ''; let stderr = '';
  c.stdout!.on('data', (d) => { stdout += d; });
  c.stderr!.on('data', (d) => { stderr += d; onStderr?.(stderr); });
  return new Promise((resolve) => c.once('exit', (code) => resolve({ code, stdout, stderr })));
}

test.before(async () => {
  // An open NATS, as a system one on 4222 often is: hetqn must not use it unless told --insecure.
  nats = await startNats({ jetstream: false });
  env = { REDIS_URL: 'redis://127.0.0.1:1', HETQN_STATE_DIR: path.join(dir, 'state') };
  fs.writeFileSync(topo, JSON.stringify({
    network: 'clitest',
    nodes: [
      { name: 'Ann', type: 'C', dof: 'pol', linkKm: 3, credential: 'ann-secret-1' },
      { name: 'Dee', type: 'D', dof: 'pol', linkKm: 7, credential: 'dee-secret-1' },
      { name: 'Gus', type: 'D', dof: 'tbp', linkKm: 9, credential: 'gus-secret-1', attachLater: true },
    ],
  }));
});

test.after.always(async () => {
  await run(['down', '--net', 'clitest']).catch(() => undefined);
  await nats?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('a bad topology is refused naming the field', async (t) => {
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'network: x\nnodes:\n  - { name: A, type: Q, dof: pol, linkKm: 1, credential: abcdefgh }\n');
  const r = await run(['up', '--topology', bad, '--json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--topology: bad\.yaml: nodes\[0\]\.type: Invalid enum value/);
});

test.serial('a NATS without authentication is refused with the reason, unless --insecure', async (t) => {
  const r = await run(['up', '--topology', topo, '--nats', nats.url, '--json']);
  t.is(r.code, 3);
  t.regex(r.stderr, /--nats: NATS at nats:\/\/127\.0\.0\.1:\d+ accepts connections without credentials.*--insecure/);
  t.like(JSON.parse(r.stdout).error, { code: 'refused', field: 'nats' });
  t.regex(JSON.parse(r.stdout).error.message, /without credentials/);
  t.false(fs.existsSync(path.join(dir, 'state', 'clitest.json')));
});

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}

test.serial('up --detach --inspect, status, inspect (table, --web), down', async (t) => {
  const up = await run(['up', '-d', '--topology', topo, '--inspect', '--inspect-port', '0', '--json']);
  t.is(up.code, 0, up.stderr);
  const upView = JSON.parse(up.stdout);
  t.true(upView.detached);
  // up --inspect serves the inspector page with the network
  t.regex(upView.inspectorUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.regex((await fetchText(upView.inspectorUrl)).text, /hetqn inspector/);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'clitest.json'), 'utf8'));
  t.true(pidAlive(state.pid));
  t.is(state.processes.length, 3); // server, Ann, Dee
  // The state file names bundles; it holds no secret (no nkey seed, no password, no pair key).
  const stateText = fs.readFileSync(path.join(dir, 'state', 'clitest.json'), 'utf8');
  t.notRegex(stateText, /"SU[A-Z0-9]{50,}"|password|[0-9a-f]{64}/);
  t.is(fs.statSync(state.bundles.client).mode & 0o777, 0o600);
  t.is(fs.statSync(state.issuer).mode & 0o777, 0o600);

  const st = await run(['status', '--json']);
  t.is(st.code, 0, st.stderr);
  const view = JSON.parse(st.stdout);
  t.deepEqual(view.nodes.map((n: { name: string; state: string }) => `${n.name}:${n.state}`), ['Ann:up', 'Dee:up', 'Gus:expected']);
  t.deepEqual(view.links, [{ from: 'Ann', to: 'server', km: 3 }, { from: 'Dee', to: 'server', km: 7 }]);

  // inspect: a WebSocket client on the relay receives Stately-shaped events; the final JSON has the table
  const received: Array<{ type: string }> = [];
  let ws: WebSocket | undefined;
  const insp = run(['inspect', '--duration', '4', '--port', '0', '--json'], (err) => {
    const m = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(err);
    if (m && !ws) {
      ws = new WebSocket(`ws://127.0.0.1:${m[1]}`);
      ws.on('message', (d) => received.push(JSON.parse(d.toString())));
      ws.on('error', () => undefined);
    }
  });
  const ir = await insp;
  ws?.close();
  t.is(ir.code, 0, ir.stderr);
  const table = JSON.parse(ir.stdout);
  const row = (sys: string) => table.actors.find((a: { systemId: string }) => a.systemId === sys);
  t.like(row('node-Ann'), { processId: 'node-Ann', name: 'node', state: 'registered' });
  t.like(row('hypervisor'), { processId: 'server', state: 'watching' });
  t.like(row('platform'), { processId: 'server', state: 'serving' });
  t.true(received.some((e) => e.type === '@xstate.actor'), 'relay forwards @xstate.actor');
  t.true(received.some((e) => e.type === '@xstate.snapshot'), 'relay forwards @xstate.snapshot');

  // inspect --web: serves the page; its model has the network's actors; one JSON object at start
  let model: Promise<{ actors: Record<string, { sys?: string; state: string }> }> | undefined;
  const web = run(['inspect', '--web', '--port', '0', '--duration', '8', '--json'], (err) => {
    const m = /inspector for network clitest: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
    if (m && !model) {
      model = (async () => {
        for (let i = 0; ; i++) {
          await new Promise((r) => setTimeout(r, 300));
          const body = JSON.parse((await fetchText(`${m[1]}api/model`)).text);
          if (Object.values(body.actors).some((a) => (a as { sys?: string }).sys === 'node-Ann') || i > 15) return body;
        }
      })();
    }
  });
  const wr = await web;
  t.is(wr.code, 0, wr.stderr);
  t.like(JSON.parse(wr.stdout), { network: 'clitest', host: '127.0.0.1' });
  const seen = await model!;
  t.like(Object.values(seen.actors).find((a) => a.sys === 'node-Ann'), { state: 'registered' });

  // on the admin host a node joins by name: its bundle is issued from the local issuer file
  const gus = spawnTs('runtime/cli/main.ts', ['node', '--name', 'Gus', '--json'], env);
  const joined = await new Promise<string>((resolve, reject) => {
    let out = ''; let err = '';
    gus.stdout!.on('data', (d) => { out += d; const i = out.indexOf('\n'); if (i >= 0) resolve(out.slice(0, i)); });
    gus.stderr!.on('data', (d) => { err += d; });
    gus.once('exit', (code) => reject(new Error(`hetqn node exited ${code}: ${err}`)));
  });
  t.like(JSON.parse(joined), { node: 'Gus', registered: true, network: 'clitest' });
  await stopChild(gus);

  const down = await run(['down', '--json']);
  t.is(down.code, 0, down.stderr);
  t.like(JSON.parse(down.stdout), { net: 'clitest', stopped: true, forced: false });
  t.false(fs.existsSync(path.join(dir, 'state', 'clitest.json')));
  for (const p of [state.pid, ...state.processes.map((x: { pid: number }) => x.pid)]) t.false(pidAlive(p), `pid ${p} stopped`);
});
