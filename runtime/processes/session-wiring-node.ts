// What a node process adds for QKD sessions: its local control actor (`local-<node>`, with the
// device actors and one party actor per session) and the services those machines get injected:
//   prepare        open the session's inboxes (fabric.<sid>.<node> from the server identity only,
//                  session.<sid>.<node> demultiplexed by the sending node's identity)
//   receiveFrames  collect this node's local view from the fabric until fabric.end
//   runProtocol    the role's protocol half (runParty) in a party worker thread (party-worker-pool.ts),
//                  so the node's event loop stays free; the worker's I/O is served here: a NATS
//                  ClassicalChannel (session-wiring-stream.ts), the psk exchange from the pair's psk
//                  pool (installed from the pair's own seed, infra/psk.ts: the node holds only the
//                  seeds of its own pairs, from its bundle), staging into the node's pool of the session's keyKind (`secret`, or
//                  `imperfect` for the reconciled key before PA)
//   commitKey / abortKey  the pool's two-phase commit (same pool)
//   askDecision    the server's recorded decision for a staged block (session-recovery.ts), and the
//                  recovery loop that settles blocks staged by sessions that ended without one
// A lost NATS server (the bus reports a disconnect: runtime/nats-bus.ts) may have taken frames of
// any live session with it, and core NATS does not resend them: every live session's inboxes and
// channels close with the reason at once, so an unstaged party fails (session.failed goes out when the
// bus is back, the coordinator aborts everywhere) and the peer gets a close frame instead of waiting
// for a frame that will never come. A party already staged keeps its block: on the bus's return it
// reports staged again and asks the record (RECHECK), since its report or a decision sent meanwhile
// may be lost.
// Test hook (fault injection, read only here): HETQN_FAULT=crash-before-decision kills the process
// (SIGKILL) right after its block is staged, instead of reporting it staged; HETQN_FAULT=
// crash-before-commit kills it when the commit decision arrives, before it commits. Never set otherwise.
// Key pools are opened with the node's own Redis user (infra/keypool/acl.ts), from its bundle, never
// with credentials in a Redis URL.
import { fromPromise } from 'xstate';
import type { Dof, NodeType } from '../../protocols/types.ts';
import { expectMessage, type ClassicalChannel, type PpMessage } from '../../protocols/postprocessing/channel.ts';
import { KeyPoolStore, PoolError, type KeyRef } from '../../infra/keypool/store.ts';
import type { RedisConnectOptions } from '../../infra/keypool/connect.ts';
import { PSK_BLOCK_BITS, pskBlock } from '../../infra/psk.ts';
import { localControlMachine } from '../../actors/node/local-control.ts';
import { partyMachine, type Staged } from '../../actors/sessions/party-machine.ts';
import { localControlSystemId, type SessionStart } from '../../actors/sessions/session.messages.ts';
import type { ActorHost } from '../host.ts';
import { busActions } from '../port.ts';
import { SERVER, subject } from '../subjects.ts';
import { Mailbox, natsClassicalChannel } from './session-wiring-stream.ts';
import { askDecision, startRecovery } from './session-recovery.ts';
import '../../actors/sessions/decision.messages.ts';
import { PartyWorkerPool } from './party-worker-pool.ts';

const FAULT = process.env.HETQN_FAULT;
const crash = (why: string) => { process.stderr.write(`fault injection (HETQN_FAULT): ${why}\n`); process.kill(process.pid, 'SIGKILL'); };

export interface SessionNodeOptions {
  name: string;
  type: NodeType;
  dof: Dof;
  /** The node has its own DoF converter (reference network: every C node). */
  ownConverter?: boolean;
  /** The node's key pools (its own Redis user); without it the node runs no sessions that need them. */
  redis?: RedisAccess;
  /** peer -> the pair's pre-shared-key seed (hex; infra/psk.ts). A pair missing here cannot authenticate. */
  pskSeeds?: Record<string, string>;
}

/** Where a process's Redis is and how it connects there: its own user, TLS (infra/keypool/connect.ts). */
export type RedisAccess = { url: string } & RedisConnectOptions;

interface Live { fabric: Mailbox; session: Mailbox; frames: PpMessage[]; channels: Map<string, ReturnType<typeof natsClassicalChannel>> }

export interface SessionNode {
  /** The server restarted (a new hypervisor made this node register again): resolve this node's
   *  sessions now (party-machine.ts SERVER.RESTARTED) and settle staged blocks (session-recovery.ts). */
  serverRestarted(): void;
  stop(): Promise<void>;
}

/** The pool a session stages, commits and aborts in: one kind per session, never both. */
const poolOf = (start: SessionStart): 'secret' | 'imperfect' => start.keyKind ?? 'secret';

export function startSessionNode(host: ActorHost, o: SessionNodeOptions): SessionNode {
  const url = o.redis?.url;
  // Opened on first use, so a cluster without Redis (runtime tests) never dials it.
  let store: KeyPoolStore | undefined;
  const live = new Map<string, Live>();
  const workers = new PartyWorkerPool();
  const needStore = () => {
    if (!url) throw new Error(`${o.name}: no key pool (its bundle names no Redis)`);
    store ??= KeyPoolStore.connect(url, { net: host.net, owner: o.name, ...o.redis });
    return store;
  };

  const installPsk = async (peer: string, k: number) => {
    const seed = o.pskSeeds?.[peer];
    if (!seed) throw new Error(`${o.name}: no pre-shared key with ${peer} (its bundle holds none for this pair)`);
    const s = needStore();
    const id = `psk-${k}`;
    try {
      await s.stage(peer, 'psk', { id, bytes: pskBlock(seed, k), length: PSK_BLOCK_BITS, createdAt: Date.now(), meta: { protocol: 'psk-install' }, sessionId: 'install' });
    } catch (e) {
      if (!(e instanceof PoolError && (e.code === 'EXISTS' || e.code === 'COMMITTED'))) throw e;
    }
    await s.commit(peer, 'psk', id).catch((e) => { if (!(e instanceof PoolError && e.code === 'CONSUMED')) throw e; });
  };

  /** Initiator withdraws from its lane (installing the next psk block when short) and sends the
   *  references; the responder installs the same blocks and takes exactly those bits. Returns the
   *  agreed bits (the party worker builds its authentication key source from them). */
  const authKeyBits = async (raw: ClassicalChannel, peer: string, bits: number, initiator: boolean): Promise<{ length: number; bytes: Uint8Array }> => {
    const s = needStore();
    if (initiator) {
      for (let attempt = 0; ; attempt++) {
        try {
          const w = await s.withdraw(peer, 'psk', bits);
          const key = w.keys[0]!;
          const blocks = Math.max(...key.refs.map((r) => Number(r.blockId.slice(4)))) + 1;
          await raw.send({ type: 'psk.refs', blocks, refs: key.refs.map((r) => ({ blockId: r.blockId, offset: r.offset, length: r.length })) });
          return { length: key.length, bytes: key.bytes };
        } catch (e) {
          if (!(e instanceof PoolError && e.code === 'SHORT') || attempt > 3) throw e;
          const st = await s.stats(peer, 'psk');
          await installPsk(peer, Math.round(st.bitsIn / PSK_BLOCK_BITS));
        }
      }
    }
    const m = await expectMessage(raw, 'psk.refs');
    const blocks = Number(m.blocks);
    for (let k = 0; k < blocks; k++) await installPsk(peer, k);
    const refs = m.refs as unknown as KeyRef[];
    const t = await s.take(peer, 'psk', [refs]);
    const key = t.keys[0]!;
    if (bits > 0 && key.length !== bits) throw new Error(`psk take returned ${key.length} bits, expected ${bits}`);
    return { length: key.length, bytes: key.bytes };
  };

  const bus = busActions(host.port);
  const partyLogic = partyMachine.provide({
    actions: {
      ...bus,
      ...(FAULT === 'crash-before-decision' ? {
        'bus.publish': (a: unknown, p: Parameters<typeof bus['bus.publish']>[1]) => { if (p.type === 'session.staged') crash('staged, dying before the decision'); bus['bus.publish'](a, p); },
      } : {}),
      prepare: (_: unknown, p: { start: SessionStart }) => {
        const sid = p.start.sessionId;
        if (live.has(sid)) return;
        live.set(sid, { fabric: new Mailbox(host, subject.fabric(sid, o.name), SERVER), session: new Mailbox(host, subject.session(sid, o.name)), frames: [], channels: new Map() });
        // Boot the session's worker while calibration and the fabric run.
        workers.warm();
      },
      cleanup: (_: unknown, p: { sessionId: string }) => {
        const l = live.get(p.sessionId);
        if (!l) return;
        for (const c of l.channels.values()) c.close?.('session ended');
        l.fabric.close('session ended');
        // Let the last frames (confirmation, close) go out before the inbox disappears.
        setTimeout(() => l.session.close('session ended'), 2000).unref();
        live.delete(p.sessionId);
      },
    },
    actors: {
      receiveFrames: fromPromise<{ detections: number }, SessionStart>(async ({ input, signal }) => {
        const l = live.get(input.sessionId);
        if (!l) throw new Error('session inbox missing');
        signal.addEventListener('abort', () => l.fabric.closeFrom(SERVER, 'session aborted'));
        for (;;) {
          const m = await l.fabric.receive(SERVER);
          if (m.type === 'fabric.end') return { detections: Number(m.detections) };
          l.frames.push(m);
        }
      }),
      runProtocol: fromPromise<Staged, SessionStart>(async ({ input, signal }) => {
        const l = live.get(input.sessionId);
        if (!l) throw new Error('session inbox missing');
        const channelTo = (peer: string) => {
          let c = l.channels.get(peer);
          if (!c) { c = natsClassicalChannel(host, l.session, input.sessionId, peer); l.channels.set(peer, c); }
          return c;
        };
        signal.addEventListener('abort', () => { for (const c of l.channels.values()) c.close?.('session aborted'); });
        const frames = l.frames;
        l.frames = [];
        const s = needStore();
        return workers.run(input, frames, {
          channelTo,
          authKeyBits,
          stage: async (b) => { await s.stage(input.peer, poolOf(input), { ...b, createdAt: Date.now(), meta: { protocol: input.protocol, ...b.meta }, sessionId: input.sessionId }); },
        }, signal);
      }),
      commitKey: fromPromise<void, { start: SessionStart; blockId: string }>(async ({ input }) => {
        if (input.start.role === 'relay') return;
        if (FAULT === 'crash-before-commit') crash('commit decided, dying before committing');
        await needStore().commit(input.start.peer, poolOf(input.start), input.blockId);
      }),
      abortKey: fromPromise<void, { start: SessionStart; blockId?: string }>(async ({ input }) => {
        // Pre-empts a stage that has not happened yet, too: the block id can never be committed later.
        if (!url || input.start.role === 'relay') return;
        await needStore().abort(input.start.peer, poolOf(input.start), input.blockId ?? input.start.sessionId).catch(() => undefined);
      }),
      askDecision: fromPromise<'commit' | 'abort' | 'pending', { sessionId: string }>(({ input }) => askDecision(host, o.name, input.sessionId)),
    },
  });

  const control = host.spawn(localControlMachine, {
    systemId: localControlSystemId(o.name),
    input: { node: o.name, type: o.type, dof: o.dof, ownConverter: o.ownConverter ?? o.type === 'C' },
    provide: () => ({ actors: { party: partyLogic } }),
  });

  const offConnection = host.bus.onConnection?.((e) => {
    if (e.type === 'disconnect') {
      const reason = `${o.name} lost its NATS server ${e.server}: frames in flight may be lost`;
      for (const l of live.values()) { for (const c of l.channels.values()) c.close?.(reason); l.fabric.close(reason); l.session.close(reason); }
      if (live.size) process.stderr.write(`${reason}; aborting ${live.size} session(s) not yet staged\n`);
    } else {
      const parties = control.getSnapshot().children as Record<string, { send(e: { type: 'RECHECK' }): void } | undefined>;
      for (const sid of live.keys()) parties[sid]?.send({ type: 'RECHECK' });
    }
  });

  // Blocks staged by sessions this process no longer runs (it restarted, or a party ended undecided).
  const recovery = url ? startRecovery({ host, node: o.name, store: needStore, live: () => new Set(live.keys()) }) : undefined;

  return {
    serverRestarted() {
      control.send({ type: 'SERVER.RESTARTED' });
      recovery?.runOnce().catch(() => undefined);
    },
    async stop() {
      offConnection?.();
      recovery?.stop();
      for (const l of live.values()) { for (const c of l.channels.values()) c.close?.('node stopping'); l.fabric.close('node stopping'); l.session.close('node stopping'); }
      await workers.close();
      await store?.close();
    },
  };
}
