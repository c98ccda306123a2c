// A node process whose network is gone stops instead of retrying NATS and Redis forever: `hetqn down`
// stops the server (and private NATS/Redis), and an attached node (`hetqn node`) or an orphaned node
// process must notice. Gone means: the NATS connection has been down for `natsGraceMs`, or NATS is up
// but the network's server has not answered a ping for `serverGraceMs` (long enough to ride out a
// server restart; session-recovery.ts relies on nodes surviving one). With the servers of a cluster,
// the NATS grace grows by CONNECT_TIMEOUT_MS for every other server: a reconnection may first try a
// frozen member (it accepts TCP and never answers) before it reaches a live one.
import type { ActorHost } from '../host.ts';
import { CONNECT_TIMEOUT_MS, NatsBus, serverList } from '../nats-bus.ts';
import { SERVER, subject } from '../subjects.ts';

/** SERVER_PROCESS_ID of server.ts (not imported: that module loads the server's actors). */
const SERVER_PROCESS = 'server';

export interface NetworkWatchOptions {
  natsGraceMs?: number;
  serverGraceMs?: number;
  everyMs?: number;
}

export function watchNetwork(host: ActorHost, onGone: (reason: string) => void, o: NetworkWatchOptions = {}): { stop(): void } {
  const others = host.bus instanceof NatsBus ? serverList(host.bus.url).length - 1 : 0;
  const natsGraceMs = o.natsGraceMs ?? 5000 + others * CONNECT_TIMEOUT_MS, serverGraceMs = o.serverGraceMs ?? 60_000;
  let disconnectedAt: number | undefined;
  let lastAnswer = Date.now();
  let busy = false, done = false;
  if (host.bus instanceof NatsBus) {
    const nc = host.bus.nc;
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') disconnectedAt ??= Date.now();
        else if (s.type === 'reconnect') disconnectedAt = undefined;
      }
    })().catch(() => undefined);
  }
  const gone = (reason: string) => { if (done) return; done = true; clearInterval(timer); onGone(reason); };
  const timer = setInterval(async () => {
    if (busy || done) return;
    busy = true;
    try {
      await host.request(subject.process(SERVER, SERVER_PROCESS), 'runtime.ping', {}, { timeoutMs: 2000 });
      lastAnswer = Date.now();
    } catch { /* counted below */ }
    busy = false;
    const now = Date.now();
    const url = host.bus instanceof NatsBus ? host.bus.url : 'NATS';
    if (disconnectedAt !== undefined && now - disconnectedAt > natsGraceMs) gone(`network ${host.net} is gone: ${url} unreachable for ${Math.round((now - disconnectedAt) / 1000)} s`);
    else if (now - lastAnswer > serverGraceMs) gone(`network ${host.net} is gone: its server has not answered for ${Math.round((now - lastAnswer) / 1000)} s`);
  }, o.everyMs ?? 2000);
  timer.unref();
  return { stop() { done = true; clearInterval(timer); } };
}
