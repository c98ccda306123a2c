// The other process of the runtime benchmark: an actor host with an echo actor (request/reply)
// and a counter actor (one-way events), on a node identity from its bundle.
//   node --import tsx test/bench/runtime-peer.ts BUNDLE
import { z } from 'zod';
import { setup, assign } from 'xstate';
import { ActorHost } from '../../runtime/host.ts';
import { NatsBus } from '../../runtime/nats-bus.ts';
import { readBundle } from '../../infra/bundle.ts';
import { defineMessages } from '../../runtime/messages.ts';
import { busActionStubs, type BusEvent } from '../../runtime/port.ts';
import { fullSubject, subject } from '../../runtime/subjects.ts';

export const BenchMessages = defineMessages({
  'bench.ping': z.object({ i: z.number().int() }),
  'bench.pong': z.object({ i: z.number().int() }),
  'bench.event': z.object({ i: z.number().int() }),
  'bench.count': z.object({}),
  'bench.counted': z.object({ n: z.number().int() }),
});

type Ev = BusEvent<'bench.ping', { i: number }> | BusEvent<'bench.event', { i: number }> | BusEvent<'bench.count', object>;

export const echoMachine = setup({ types: { events: {} as Ev }, actions: { ...busActionStubs } }).createMachine({
  id: 'echo',
  on: { 'bench.ping': { actions: { type: 'bus.reply', params: ({ event }) => ({ meta: event.meta, type: 'bench.pong', body: { i: (event.body as { i: number }).i } }) } } },
});

export const counterMachine = setup({ types: { events: {} as Ev, context: {} as { n: number } }, actions: { ...busActionStubs } }).createMachine({
  id: 'counter',
  context: { n: 0 },
  on: {
    'bench.event': { actions: assign({ n: ({ context }) => context.n + 1 }) },
    'bench.count': { actions: { type: 'bus.reply', params: ({ context, event }) => ({ meta: event.meta, type: 'bench.counted', body: { n: context.n } }) } },
  },
});

/** The raw NATS baseline on the same connection and permissions: an echo and a counter subscribed
 *  with the bare client (no envelope, no validation, no actor) on actor inboxes of this identity. */
export const RAW_ECHO = 'rawecho';
export const RAW_COUNTER = 'rawcounter';
export const RAW_COUNT = 'rawcount';
function serveRaw(bus: NatsBus, net: string, identity: string): void {
  let n = 0;
  bus.nc.subscribe(fullSubject(net, subject.actor(identity, RAW_ECHO), '*'), { callback: (_e, m) => { m.respond(m.data); } });
  bus.nc.subscribe(fullSubject(net, subject.actor(identity, RAW_COUNTER), '*'), { callback: () => { n++; } });
  bus.nc.subscribe(fullSubject(net, subject.actor(identity, RAW_COUNT), '*'), { callback: (_e, m) => { m.respond(new TextEncoder().encode(String(n))); } });
}

if (process.argv[1]?.endsWith('runtime-peer.ts')) {
  const b = readBundle(process.argv[2]!);
  const bus = await NatsBus.connect({ servers: b.nats.servers, name: 'bench-peer', net: b.network, identity: b.identity, seed: b.nats.seed, ca: b.ca });
  const host = new ActorHost({ bus, net: b.network, processId: 'peer' });
  host.spawn(echoMachine, { systemId: 'echo' });
  host.spawn(counterMachine, { systemId: 'counter' });
  serveRaw(bus, b.network, b.identity);
  await host.bus.flush();
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => { void host.stop().then(() => process.exit(0)); });
}
