// ioredis prints "[ioredis] Unhandled error event" for every failed reconnect of a connection without an
// error listener: dozens of lines a second while Redis is gone. Log the first error of an outage once,
// then stay quiet until the connection is ready again (commands still reject with their own error).
import type { RedisClient } from './keypool/connect.ts';

export function quietErrors<R extends RedisClient>(redis: R, label: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): R {
  let reported = false;
  redis.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    log(`${label}: Redis unreachable (${e.message}); retrying quietly`);
  });
  redis.on('ready', () => { reported = false; });
  return redis;
}
