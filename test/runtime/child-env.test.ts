// The launcher starts the network's processes with only what they need to run: never its own URLs
// or credentials (a REDIS_URL with the admin password, a bundle path, cloud secrets...).
import test from 'ava';
import { childEnv } from '../../runtime/launcher.ts';

test('a child process gets PATH, locale and the hetqn switches it reads, nothing secret', (t) => {
  const env = childEnv({
    PATH: '/usr/bin', HOME: '/root', LANG: 'C.UTF-8', LC_ALL: 'C', NODE_OPTIONS: '--max-old-space-size=4096',
    HETQN_STATE_DIR: '/s', HETQN_FAULT: 'crash-before-commit', HETQN_KME_CONFIG: '/k.json',
    REDIS_URL: 'redis://admin:hunter2@10.0.0.1:6379', NATS_URL: 'nats://10.0.0.1:4222', HETQN_BUNDLE: '/admin/client.json',
    HETQN_PSK_SECRET: 'a'.repeat(64), HETQN_CREDENTIAL: 'x', AWS_SECRET_ACCESS_KEY: 'y', GITHUB_TOKEN: 'z',
  });
  t.deepEqual(Object.keys(env).sort(), ['HETQN_FAULT', 'HETQN_KME_CONFIG', 'HETQN_STATE_DIR', 'HOME', 'LANG', 'LC_ALL', 'NODE_OPTIONS', 'PATH']);
});
