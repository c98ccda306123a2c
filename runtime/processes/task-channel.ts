// Node-to-node classical channels for tasks: one ordered stream per (task, sender) into the
// receiving node's mailbox on `taskchan.<node>`; the sender is the bus identity in the subject. One message = one 'task.frame' (msgpackr bytes;
// task messages are well under the frame limit). NATS keeps one publisher's order on one subject,
// so a stream is ordered; a receive waits at most `timeoutMs` (a peer that died).
import { Packr } from 'msgpackr';
import type { ClassicalChannel, PpMessage } from '../../protocols/postprocessing/channel.ts';
import { ChannelClosedError } from '../../protocols/postprocessing/channel.ts';
import type { TaskFrame } from '../../actors/tasks/tasks.messages.ts';
import type { ActorHost } from '../host.ts';
import { subject } from '../subjects.ts';
import type { Subscription } from '../bus.ts';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, bundleStrings: false });

interface Queue { inbox: PpMessage[]; waiting: Array<(m: PpMessage) => void> }

export class TaskMailbox {
  private queues = new Map<string, Queue>();
  private sub: Subscription;

  constructor(private readonly host: ActorHost, readonly node: string, private readonly timeoutMs = 120_000) {
    this.sub = host.subscribe(subject.taskChannel(node), (env, meta) => {
      if (env.type !== 'task.frame') return;
      const f = env.body as TaskFrame;
      let msg: PpMessage;
      try { msg = packr.unpack(f.data) as PpMessage; } catch { return; }
      const q = this.queue(f.taskId, meta.from);
      const w = q.waiting.shift();
      if (w) w(msg); else q.inbox.push(msg);
    });
  }

  private queue(taskId: string, from: string): Queue {
    const k = `${taskId}|${from}`;
    let q = this.queues.get(k);
    if (!q) { q = { inbox: [], waiting: [] }; this.queues.set(k, q); }
    return q;
  }

  receive(taskId: string, from: string): Promise<PpMessage> {
    const q = this.queue(taskId, from);
    const m = q.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = q.waiting.indexOf(deliver);
        if (i >= 0) q.waiting.splice(i, 1);
        reject(new ChannelClosedError(`task ${taskId}: nothing from ${from} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const deliver = (msg: PpMessage) => { clearTimeout(t); resolve(msg); };
      q.waiting.push(deliver);
    });
  }

  /** A channel to `peer` for one task; `tamper` (test hook) rewrites outgoing messages on the wire. */
  channel(taskId: string, peer: string, opts: { tamper?: (m: Record<string, unknown>) => Record<string, unknown> } = {}): ClassicalChannel {
    return {
      send: (msg) => {
        const out = opts.tamper ? opts.tamper(msg as Record<string, unknown>) : msg;
        this.host.publish(subject.taskChannel(peer), 'task.frame', { taskId, data: packr.pack(out) });
      },
      receive: () => this.receive(taskId, peer),
    };
  }

  /** Drop the queues of a finished task. */
  release(taskId: string): void {
    for (const k of [...this.queues.keys()]) if (k.startsWith(`${taskId}|`)) this.queues.delete(k);
  }

  close(): void { this.sub.unsubscribe(); }
}
