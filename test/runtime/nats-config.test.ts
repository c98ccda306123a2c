// The generated nats-server authorization config (infra/nats-config.ts), checked as text and by a
// real nats-server loading it.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTopology } from '../../infra/topology.ts';
import { createIssuer, publicKeys } from '../../infra/issuer.ts';
import { natsConfig, RESPONSE_WINDOW_MS, writeNatsConfig } from '../../infra/nats-config.ts';
import { startNats } from '../../infra/servers.ts';
import { ROLE_TIMEOUT_MS } from '../../runtime/processes/task-wiring-server.ts';
import { TASK_REQUEST_TIMEOUT_MS } from '../../runtime/cli/task-client.ts';

const topology = parseTopology({ network: 'cfg', nodes: [
  { name: 'Alice', type: 'C', dof: 'pol', linkKm: 5, credential: 'alice-secret' },
  { name: 'Gus', type: 'D', dof: 'tbp', linkKm: 9, credential: 'gus-secret-1', attachLater: true },
] });

test('one nkey user per identity (attachLater nodes too), no anonymous access, no password', (t) => {
  const issuer = createIssuer(topology, { natsServers: ['nats://127.0.0.1:4222'] });
  const text = natsConfig(issuer);
  const keys = publicKeys(issuer);
  t.deepEqual(Object.keys(keys).sort(), ['Alice', 'Gus', 'client', 'inspector', 'server']);
  for (const k of Object.values(keys)) t.is(text.split(`nkey: ${k},`).length, 2, k);
  t.notRegex(text, /no_auth_user|password|user:|default_permissions|"_INBOX\.>"|SU[A-Z0-9]{50}/);
  t.is((text.match(/allow_responses: \{ max: 1, expires: "60m" \}/g) ?? []).length, 5);
});

test('a responder may answer for longer than anyone waits (nats-server would cut replies off after 2 minutes)', (t) => {
  t.true(RESPONSE_WINDOW_MS > TASK_REQUEST_TIMEOUT_MS);
  t.true(RESPONSE_WINDOW_MS > ROLE_TIMEOUT_MS);
});

test('nats-server 2.9 loads the config', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hetqn-cfg-'));
  try {
    const conf = writeNatsConfig(path.join(dir, 'nats.conf'), createIssuer(topology, { natsServers: ['nats://127.0.0.1:4222'] }));
    t.is(fs.statSync(conf).mode & 0o777, 0o600);
    const s = await startNats({ jetstream: false, extraArgs: ['-c', conf] });
    await s.stop();
    t.pass();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
