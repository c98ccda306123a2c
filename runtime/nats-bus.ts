// The Bus over NATS (@nats-io/transport-node v3). One connection per host/process.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusTimeoutError, NoRespondersError, type Bus, type BusMessage, type Subscription } from './bus.ts';

export class NatsBus implements Bus {
  private constructor(readonly nc: NatsConnection, readonly url: string) {}

  static async connect(url: string, name: string): Promise<NatsBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    } catch (err) {
      throw new Error(`cannot connect to NATS at ${url}: ${(err as Error).message}`);
    }
    return new NatsBus(nc, url);
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1_048_576;
  }

  publish(subject: string, data: Uint8Array, opts: { reply?: string } = {}): void {
    this.nc.publish(subject, data, opts.reply ? { reply: opts.reply } : undefined);
  }

  subscribe(subject: string, handler: (m: BusMessage) => void, opts: { queue?: string } = {}): Subscription {
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) return;
        handler({ subject: msg.subject, data: msg.data, reply: msg.reply || undefined });
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    try {
      const m = await this.nc.request(subject, data, { timeout: opts.timeoutMs });
      return m.data;
    } catch (err) {
      const e = err as Error & { code?: string };
      const text = `${e.name} ${e.message} ${e.code ?? ''}`.toLowerCase();
      if (text.includes('no responders') || text.includes('503')) throw new NoRespondersError(subject);
      if (text.includes('timeout')) throw new BusTimeoutError(subject, opts.timeoutMs);
      throw err;
    }
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try { await this.nc.drain(); } catch { await this.nc.close(); }
  }
}
