// A frame of the session channel lost on the way (what core NATS does to messages in flight on a
// server that dies) is never skipped: the receiver takes messages in order or not at all, so a
// Cascade peer can never go on from a transcript with a hole and reach a different key; the stream
// closes with the reason instead (the party fails, the coordinator aborts everywhere). Real NATS; the
// sender's bus drops exactly one publish on the session subject, as the dead server would have.
import test from 'ava';
import { startNats, type ManagedServer } from '../../infra/servers.ts';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import type { Bus } from '../../runtime/bus.ts';
import { subject } from '../../runtime/subjects.ts';
import { Mailbox, natsClassicalChannel } from '../../runtime/processes/session-wiring-stream.ts';
import { ChannelClosedError } from '../../protocols/postprocessing/channel.ts';

let nats: ManagedServer;
const hosts: ActorHost[] = [];
test.before(async () => { nats = await startNats({ jetstream: false }); });
test.after.always(async () => { for (const h of hosts) await h.stop(); await nats?.stop(); });

/** A bus that loses the `nth` publish (1-based) on subjects starting with `prefix`. */
function losing(bus: Bus, prefix: string, nth: number): Bus {
  let n = 0;
  return new Proxy(bus, {
    get(target, prop, recv) {
      if (prop === 'publish') return (s: string, d: Uint8Array, o?: { reply?: string }) => { if (s.startsWith(prefix) && ++n === nth) return; target.publish(s, d, o); };
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function pair(sid: string, lose: number) {
  const mk = async (identity: string, wrap: (b: Bus) => Bus) => {
    const bus = await NatsBus.connect({ servers: [nats.url], name: `${identity}-${sid}`, net: 'losttest', identity });
    const h = new ActorHost({ bus: wrap(bus), net: 'losttest', processId: `${identity}-${sid}` });
    hosts.push(h);
    return h;
  };
  const ha = await mk('Alice', (b) => losing(b, 'qn.losttest.session.', lose));
  const hb = await mk('Bob', (b) => b);
  const mb = new Mailbox(hb, subject.session(sid, 'Bob'));
  const ma = new Mailbox(ha, subject.session(sid, 'Alice'));
  await ha.bus.flush(); await hb.bus.flush();
  return { a: natsClassicalChannel(ha, ma, sid, 'Bob'), b: natsClassicalChannel(hb, mb, sid, 'Alice') };
}

for (const lost of [1, 3]) {
  test(`message ${lost} of 5 lost: the receiver gets the ones before it, then the stream closes naming the lost frame`, async (t) => {
    const { a, b } = await pair(`s${lost}`, lost);
    for (let i = 1; i <= 5; i++) void a.send({ type: 'parity', i, bits: new Uint8Array([i & 1]) });
    for (let i = 1; i < lost; i++) t.is((await b.receive()).i, i);
    const e = await t.throwsAsync(b.receive(), { instanceOf: ChannelClosedError });
    t.regex(e!.message, /lost frame/);
    // and it stays closed: no later message is handed out after the hole
    await t.throwsAsync(b.receive(), { instanceOf: ChannelClosedError });
  });
}
