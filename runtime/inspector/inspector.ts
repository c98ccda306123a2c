// `hetqn inspect --web` and `hetqn up --inspect`: the record, the network feed and the web server
// together, on an existing client host.
import type { ActorHost } from '../host.ts';
import { ensureBundle } from './build.ts';
import { startFeed } from './feed.ts';
import { Recorder } from './recorder.ts';
import { startServer } from './server.ts';

export interface InspectorOptions {
  host: ActorHost;
  net: string;
  port: number;
  bind?: string;
  token?: string;
  redisUrl?: string;
  log?: (line: string) => void;
  networkEveryMs?: number;
}

export interface Inspector { url: string; port: number; recorder: Recorder; stop(): Promise<void> }

export async function startInspector(o: InspectorOptions): Promise<Inspector> {
  const webDir = await ensureBundle();
  const recorder = new Recorder(o.net);
  const server = await startServer({ recorder, webDir, port: o.port, bind: o.bind ?? '127.0.0.1', token: o.token });
  const feed = startFeed({ host: o.host, recorder, redisUrl: o.redisUrl, raw: server.relay, log: o.log, networkEveryMs: o.networkEveryMs });
  return {
    url: server.url, port: server.port, recorder,
    async stop() { await feed.stop(); await server.close(); },
  };
}
