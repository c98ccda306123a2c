// ioredis prints "[ioredis] Unhandled error event" for every failed reconnect of a connection without an
// error listener: dozens of lines a second while Redis is gone. Log the first error of an outage once,
// then stay quiet until the connection is ready again (commands still reject with their own error).
import type { Redis } from 'ioredis';

export function quietErrors(redis: Redis, label: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Redis {
  let reported = false;
  redis.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    log(`${label}: Redis unreachable (${e.message}); retrying quietly`);
  });
  redis.on('ready', () => { reported = false; });
  return redis;
}
