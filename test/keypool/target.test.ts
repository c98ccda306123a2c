// The Redis target URL (infra/keypool/target.ts): every form parses into hosts, mode, credentials and the
// replication parameters, prints back without credentials, and a malformed URL is refused naming what is wrong
// (without echoing the password).
import test from 'ava';
import { formatRedisTarget, parseRedisTarget, redact, withTargetParams } from '../../infra/keypool/target.ts';
import { redisAddress, redisOptions } from '../../infra/keypool/connect.ts';

test('one Redis: host, port, db, credentials; no replicas to wait for', (t) => {
  const x = parseRedisTarget('redis://admin:p%40ss@10.0.0.5:7000/2');
  t.like(x, { mode: 'single', tls: false, hosts: [{ host: '10.0.0.5', port: 7000 }], db: 2, username: 'admin', password: 'p@ss', replicas: 0, retryMs: 0 });
  t.deepEqual(parseRedisTarget('rediss://[::1]').hosts, [{ host: '::1', port: 6379 }]);
  t.true(parseRedisTarget('rediss://h').tls);
  t.is(redisAddress('redis://admin:secret@127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  t.is(redisAddress('redis://127.0.0.1:6379/3'), 'redis://127.0.0.1:6379/3');
});

test('Sentinel: the sentinels (default port 26379), the master name, and by default one replica to wait for', (t) => {
  const x = parseRedisTarget('redis-sentinel://u:pw@s1:26380,s2,[fe80::1]:5000/mymaster/1?wait=2&retryMs=5000');
  t.like(x, { mode: 'sentinel', name: 'mymaster', db: 1, username: 'u', password: 'pw', replicas: 2, waitMs: 1000, retryMs: 5000 });
  t.deepEqual(x.hosts, [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }, { host: 'fe80::1', port: 5000 }]);
  t.is(formatRedisTarget(x), 'redis-sentinel://s1:26380,s2:26379,[fe80::1]:5000/mymaster/1?wait=2&retryMs=5000');
  t.like(parseRedisTarget('redis-sentinel://s1/m'), { replicas: 1, retryMs: 30_000 });
  const o = redisOptions('rediss-sentinel://s1:1,s2:2/m', { username: 'node', password: 'x', sentinel: { username: 'disc', password: 'y' } });
  t.like(o, { name: 'm', role: 'master', username: 'node', password: 'x', sentinelUsername: 'disc', sentinelPassword: 'y', enableTLSForSentinelMode: true });
  t.deepEqual(o.sentinels, [{ host: 's1', port: 1 }, { host: 's2', port: 2 }]);
});

test('Cluster: seed nodes, no database; URL credentials only where the caller allows them', (t) => {
  const x = parseRedisTarget('redis-cluster://a:b@n1:7000,n2:7001');
  t.like(x, { mode: 'cluster', db: 0, replicas: 1, username: 'a', password: 'b' });
  t.deepEqual(x.hosts.map((h) => h.port), [7000, 7001]);
  t.is(redisAddress('redis-cluster://a:b@n1:7000,n2:7001?wait=1'), 'redis-cluster://n1:7000,n2:7001');
  t.is(withTargetParams('redis-cluster://a:b@n1:7000', { retryMs: 100 }), 'redis-cluster://a:b@n1:7000?retryMs=100');
  // one Redis's options from a node's point of view: the URL's user is dropped
  t.like(redisOptions('redis://admin:secret@h:1', { username: 'qn-x-Alice', password: 'mine' }), { username: 'qn-x-Alice', password: 'mine' });
  t.like(redisOptions('redis://admin:secret@h:1', {}), { username: undefined, password: undefined });
  t.like(redisOptions('redis://admin:secret@h:1', { allowUrlCredentials: true }), { username: 'admin', password: 'secret' });
});

test('malformed URLs are refused, naming the problem and never the password', (t) => {
  const bad: [string, RegExp][] = [
    ['http://h:1', /scheme http: must be one of/],
    ['redis://h1,h2', /one host for redis:/],
    ['redis-sentinel://u:topsecret@s1,s2', /needs the master name/],
    ['redis-cluster://n1/3', /only database 0/],
    ['redis://h:99999', /port 99999 out of range/],
    ['redis://h:1?wiat=1', /unknown parameter wiat/],
    ['redis://h:1?wait=-1', /wait=-1 must be a non-negative integer/],
    ['redis://h/x/y', /unexpected path/],
    ['redis://h h', /"h h" is not host\[:port\]/],
  ];
  for (const [url, why] of bad) {
    const e = t.throws(() => parseRedisTarget(url), { instanceOf: TypeError, message: why }, url);
    t.false(e?.message.includes('topsecret'));
  }
  t.is(redact('redis-sentinel://u:topsecret@s1,s2/m'), 'redis-sentinel://u:***@s1,s2/m');
});
