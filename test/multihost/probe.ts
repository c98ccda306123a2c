// A client run inside a lab host (test/helpers/netns.ts) by the multi-host tests. Prints one JSON line
// per result on stdout:
//   nats-echo URL SUBJECT        answer every request on SUBJECT with "<request>@<HOST_TAG>"; prints {ready}
//   nats-ask URL SUBJECT TEXT    one request; prints {reply}
//   redis URL PASSWORD KEY [VALUE]  PING, then SET KEY VALUE or GET KEY; prints {pong, value}
//   tcp-listen HOST PORT         listen; prints {listening}; each connection gets "hello from <HOST_TAG>"
//   tcp-connect HOST PORT        prints {connected, code, greeting}
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';

const [cmd, ...args] = process.argv.slice(2);
const tag = process.env.HOST_TAG ?? 'unknown';
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const enc = new TextEncoder(), dec = new TextDecoder();

async function main(): Promise<void> {
  switch (cmd) {
    case 'nats-echo': {
      const nc = await connect({ servers: args[0], name: `probe-${tag}` });
      nc.subscribe(args[1]!, { callback: (_err, m) => { m.respond(enc.encode(`${dec.decode(m.data)}@${tag}`)); } });
      await nc.flush();
      say({ ready: true });
      process.on('SIGTERM', () => { void nc.close().then(() => process.exit(0)); });
      return;
    }
    case 'nats-ask': {
      const nc = await connect({ servers: args[0], name: `probe-${tag}` });
      const m = await nc.request(args[1]!, enc.encode(args[2]!), { timeout: 10_000 });
      say({ reply: dec.decode(m.data) });
      await nc.close();
      return;
    }
    case 'redis': {
      const r = new Redis(args[0]!, { password: args[1], maxRetriesPerRequest: 2, enableOfflineQueue: true });
      try {
        const pong = await r.ping();
        const value = args[3] !== undefined ? await r.set(args[2]!, args[3]) : await r.get(args[2]!);
        say({ pong, value });
      } finally { r.disconnect(); }
      return;
    }
    case 'tcp-listen': {
      const srv = net.createServer((s) => s.end(`hello from ${tag}\n`));
      srv.listen(Number(args[1]), args[0], () => say({ listening: true }));
      process.on('SIGTERM', () => srv.close(() => process.exit(0)));
      return;
    }
    case 'tcp-connect': {
      const res = await new Promise<object>((resolve) => {
        const s = net.connect({ host: args[0], port: Number(args[1]) });
        let greeting = '';
        s.setTimeout(5000, () => { s.destroy(); resolve({ connected: false, code: 'TIMEOUT' }); });
        s.on('data', (d) => { greeting += d; });
        s.once('end', () => resolve({ connected: true, greeting: greeting.trim() }));
        s.once('error', (e: NodeJS.ErrnoException) => resolve({ connected: false, code: e.code }));
      });
      say(res);
      return;
    }
    default:
      throw new Error(`probe: unknown command ${cmd}`);
  }
}

main().catch((e) => { process.stderr.write(`probe ${cmd}: ${(e as Error).message}\n`); process.exit(1); });
