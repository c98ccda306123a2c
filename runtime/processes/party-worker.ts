// Entry of a party worker thread (started by party-worker-pool.ts): runs one session's runParty
// (protocols/qkd/run-party.ts: every protocol and role, from the registry) off the node's main thread, so sifting,
// Cascade and PA never stall the node's heartbeats and other actors. Its PartyIo is a proxy: each
// channel operation, the psk exchange and staging go to the main thread, which owns the
// NATS connection and the key pool. Channel traffic takes one hop each way: a send is posted
// without waiting for an answer, and once the worker first waits on a channel the main thread
// pushes every message it receives on it (no request per receive). The worker holds no connection, so terminating it (abort)
// leaves nothing open and nothing staged behind the main thread's back.
import { parentPort } from 'node:worker_threads';
import { fromBytes } from '../../protocols/bits.ts';
import { createRng } from '../../protocols/rng.ts';
import { ChannelClosedError, ProtocolError, type ClassicalChannel, type PpMessage } from '../../protocols/postprocessing/channel.ts';
import { KeyExhaustedError, preSharedKeySource } from '../../protocols/postprocessing/key-source.ts';
import { runParty } from '../../protocols/qkd/run-party.ts';
import type { PartyIo } from '../../protocols/qkd/party.ts';
import { detached, movable, wireError, type FromWorker, type ToWorker, type WireError } from './party-worker-messages.ts';

const port = parentPort;
if (!port) throw new Error('party-worker.ts runs only as a worker thread');

const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextId = 0;

/** Rebuild the main thread's error with its class where the protocols know it. */
function revive(e: WireError): Error {
  const C = e.name === 'ChannelClosedError' ? ChannelClosedError : e.name === 'ProtocolError' ? ProtocolError : e.name === 'KeyExhaustedError' ? KeyExhaustedError : undefined;
  if (C) return new C(e.message);
  return Object.assign(new Error(e.message), { name: e.name });
}

/** A request to the main thread, before it gets its id. */
type Request = FromWorker extends infer M ? M extends { id: number } ? Omit<M, 'id'> : never : never;

function ask<T>(m: Request, move: ArrayBuffer[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    port!.postMessage({ ...m, id } as FromWorker, move);
  });
}

/** The node each proxy channel leads to (authKeys gets the raw channel back from runParty). */
const nodeOf = new WeakMap<ClassicalChannel, string>();

/** Messages the main thread pushed for the current run, per node, and receives waiting for them. */
class Inbox {
  queue: PpMessage[] = [];
  waiting: Array<{ resolve: (m: PpMessage) => void; reject: (e: Error) => void }> = [];
  error?: Error;
  push(m: PpMessage): void { const w = this.waiting.shift(); if (w) w.resolve(m); else this.queue.push(m); }
  fail(e: Error): void { this.error ??= e; for (const w of this.waiting.splice(0)) w.reject(e); }
  receive(): Promise<PpMessage> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}
let currentRun = -1;
let inboxes = new Map<string, Inbox>();

function proxyChannel(run: number, node: string): ClassicalChannel {
  let closed: string | undefined;
  let pumping = false;
  const inbox = new Inbox();
  inboxes.set(node, inbox);
  const ch: ClassicalChannel = {
    send(msg: PpMessage) {
      if (closed !== undefined) throw new ChannelClosedError(closed);
      // The protocols may keep using their buffers: send own copies of the viewed bytes, moved.
      const own = detached(msg);
      port!.postMessage({ op: 'send', run, node, msg: own } satisfies FromWorker, movable(own));
      return Promise.resolve();
    },
    receive() {
      // Started on the first receive, after authKeys (whose psk exchange reads this channel on the main thread).
      if (!pumping) { pumping = true; port!.postMessage({ op: 'pump', run, node } satisfies FromWorker); }
      return inbox.receive();
    },
    close(reason?: string) {
      if (closed !== undefined) return;
      closed = reason ?? 'channel closed';
      port!.postMessage({ op: 'close', run, node, reason } satisfies FromWorker);
    },
  };
  nodeOf.set(ch, node);
  return ch;
}

async function run(m: Extract<ToWorker, { op: 'run' }>): Promise<void> {
  const channels = new Map<string, ClassicalChannel>();
  const { run } = m;
  currentRun = run;
  inboxes = new Map();
  const io: PartyIo = {
    channelTo(node) {
      let c = channels.get(node);
      if (!c) { c = proxyChannel(run, node); channels.set(node, c); }
      return c;
    },
    async authKeys(raw, peer, bits, initiator) {
      const node = nodeOf.get(raw);
      if (node === undefined) throw new Error('authKeys: channel was not opened with channelTo');
      const k = await ask<{ length: number; bytes: Uint8Array }>({ op: 'authKeys', run, node, peer, bits, initiator });
      return preSharedKeySource(fromBytes(k.bytes, k.length));
    },
    stage: (block) => ask<void>({ op: 'stage', run, block }),
    random: createRng(m.seed),
  };
  try {
    const value = await runParty(m.start, m.frames, io);
    port!.postMessage({ op: 'done', run, value } satisfies FromWorker);
  } catch (e) {
    port!.postMessage({ op: 'failed', run, error: wireError(e) } satisfies FromWorker);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.op === 'run') { void run(m); return; }
  if (m.op === 'message' || m.op === 'closed') {
    const inbox = m.run === currentRun ? inboxes.get(m.node) : undefined;
    if (m.op === 'message') inbox?.push(m.msg); else inbox?.fail(revive(m.error));
    return;
  }
  const p = pending.get(m.id);
  // A reply to a request of an earlier session (a send nobody awaited): nothing waits for it.
  if (!p) return;
  pending.delete(m.id);
  if (m.ok) p.resolve(m.value); else p.reject(revive(m.error));
});
port.postMessage({ op: 'ready' } satisfies FromWorker);
