// The demo's key sourcing (runtime/demo/keys.ts) against a real redis-server: a task's key supply is
// read from the pools' own block records, per session, each shared bit once; the session size that
// fills two short lanes; and no production code writes task keys into a pool except a QKD session.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type ManagedServer } from '../../infra/servers.ts';
import { KeyPoolStore } from '../../infra/keypool/store.ts';
import { MIN_SESSION_BITS, mergeNeeds, poolsOf, sessionBitsFor, withSupply } from '../../runtime/demo/keys.ts';
import { blockOf, deposit } from '../keypool/helpers.ts';

let srv: ManagedServer;
const opened: KeyPoolStore[] = [];
test.before(async () => { srv = await startRedis(); });
test.after.always(async () => { for (const s of opened) await s.close(); await srv?.stop(); });

function stores(net: string, names: string[]): Map<string, KeyPoolStore> {
  const m = new Map(names.map((n) => [n, new KeyPoolStore(new Redis(srv.url), { net, owner: n }, true)] as const));
  opened.push(...m.values());
  return m;
}

test('a task\'s supply: bits used per session, both lanes, each shared bit once; a block used up still counts', async (t) => {
  const s = stores('supply', ['Alice', 'Bob', 'David']);
  const [a, b, d] = ['Alice', 'Bob', 'David'].map((n) => s.get(n)!);
  const bb84 = { ...blockOf('s-da', 1000, 1), meta: { protocol: 'bb84' }, sessionId: 's7-da' };
  const mdi = { ...blockOf('s-ab', 200, 2), meta: { protocol: 'mdi', relay: 'David' }, sessionId: 's9-ab' };
  await deposit(d, a, 'secret', bb84);
  await deposit(a, b, 'secret', mdi);
  const needs = [{ owner: 'David', peer: 'Alice', kind: 'secret' as const, bits: 300 }, { owner: 'Alice', peer: 'Bob', kind: 'secret' as const, bits: 100 }];
  const { result, supply } = await withSupply({ host: undefined as never, stores: s }, needs, async () => {
    // David (the larger name: upper lane) withdraws 300, Alice takes them; Alice withdraws her whole
    // lane of the A–B block (100) and Bob takes it; Bob withdraws 60 of his lane and Alice takes them.
    const w1 = await d.withdraw('Alice', 'secret', 300); await a.take('David', 'secret', [w1.keys[0]!.refs]);
    const w2 = await a.withdraw('Bob', 'secret', 100); await b.take('Alice', 'secret', [w2.keys[0]!.refs]);
    const w3 = await b.withdraw('Alice', 'secret', 60); await a.take('Bob', 'secret', [w3.keys[0]!.refs]);
    return 'done';
  });
  t.is(result, 'done');
  t.deepEqual(supply, [
    { sessionId: 's9-ab', pair: 'Alice–Bob', protocol: 'mdi', kind: 'secret', bits: 160 },
    { sessionId: 's7-da', pair: 'Alice–David', protocol: 'bb84', kind: 'secret', bits: 300 },
  ]);
  t.deepEqual(poolsOf(needs), [{ a: 'Alice', b: 'David', kind: 'secret' }, { a: 'Alice', b: 'Bob', kind: 'secret' }]);
});

test('lane needs add up per direction; a session for two short lanes makes twice the larger shortfall', (t) => {
  const merged = mergeNeeds([
    { owner: 'Bob', peer: 'Charlie', kind: 'secret', bits: 100 }, { owner: 'Bob', peer: 'Charlie', kind: 'secret', bits: 381 },
    { owner: 'Charlie', peer: 'Bob', kind: 'secret', bits: 50 }, { owner: 'Bob', peer: 'Charlie', kind: 'imperfect', bits: 1800 },
  ]);
  t.deepEqual(merged.map((n) => `${n.owner}>${n.peer}:${n.kind}=${n.bits}`), ['Bob>Charlie:secret=481', 'Charlie>Bob:secret=50', 'Bob>Charlie:imperfect=1800']);
  // Each end withdraws from its half of every block: 2 x 50 000 x 1.02; small ones get the floor,
  // and four times more for every earlier attempt that ended without key.
  t.is(sessionBitsFor(50_000, 10), 102_000);
  t.is(sessionBitsFor(1000, 10), MIN_SESSION_BITS);
  t.is(sessionBitsFor(1000, 10, 2), 16 * MIN_SESSION_BITS);
  t.is(sessionBitsFor(0, 0), 0);
});

test('no production code stages key blocks except a QKD session (and the pre-shared authentication secret)', (t) => {
  const root = path.resolve(import.meta.dirname, '../..');
  const writers: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && /\.stage\(\s*[\w.]+\s*,/.test(fs.readFileSync(p, 'utf8'))) writers.push(path.relative(root, p));
    }
  };
  for (const top of ['runtime', 'actors', 'infra', 'protocols']) walk(path.join(root, top));
  // session-wiring-node.ts: the session's block (sessionId, protocol) and the 'psk' install;
  // keypool/actors.ts: the key-pool actor's stage service, which only a session's party calls.
  t.deepEqual(writers.sort(), ['infra/keypool/actors.ts', 'runtime/processes/session-wiring-node.ts']);
  const wiring = fs.readFileSync(path.join(root, 'runtime/processes/session-wiring-node.ts'), 'utf8');
  t.is([...wiring.matchAll(/\.stage\(/g)].length, 2);
  t.regex(wiring, /\.stage\(peer, 'psk'/);
  t.regex(wiring, /\.stage\(input\.peer, poolOf\(input\), \{ \.\.\.b, createdAt: Date\.now\(\), meta: \{ protocol: input\.protocol, \.\.\.b\.meta \}, sessionId: input\.sessionId \}\)/);
});
