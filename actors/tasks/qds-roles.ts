// The three OTUH-QDS roles as step lists (spec: docs/reference/quantum-tasks.md "QDS", steps 1-6;
// the maths is protocols/tasks/qds.ts). The role machine (task-role-machine.ts) runs the steps in
// order; key material stays in the run's scratch state, never in machine context or snapshots.
//
//   signer S:    withdraw 2n bits from S-F and S-V (by size), send the references to F and V;
//                sign; send (M, Sig) to F.
//   forwarder F: take its 2n bits by reference; receive (M, Sig); open the F-V authenticated channel
//                (Wegman–Carter, 381 bits of the F-V secret pool, F withdraws, V takes); send
//                (M, Sig, X_F, Y_F); receive (X_V, Y_V); verdict.
//   verifier V:  take its 2n bits; join the authenticated channel; verdict on F's package; send
//                (X_V, Y_V) back.
// In a QBA broadcast the payload, the forwarding and the key return follow the node's behaviour
// (protocols/tasks/qba-behaviours.ts), and accepted items go to the node's QBA memory. A withheld
// message is modelled as an explicit 'nothing' (the synchronous round's deadline passed empty).
import type { BitString } from '../../protocols/bits.ts';
import { fromBytes, toBytes } from '../../protocols/bits.ts';
import { authenticatedChannel, authKeyBitsFor } from '../../protocols/postprocessing/authenticated-channel.ts';
import type { ClassicalChannel, PpMessage } from '../../protocols/postprocessing/channel.ts';
import { expectMessage } from '../../protocols/postprocessing/channel.ts';
import { preSharedKeySource } from '../../protocols/postprocessing/key-source.ts';
import type { NodeId } from '../../protocols/types.ts';
import type { Item, MulticastRoundPlan } from '../../protocols/tasks/qba.ts';
import { acceptItems, createSignatureRegistry, decodePayload, encodePayload, planChild, primaryPayload, relayPayload } from '../../protocols/tasks/qba.ts';
import type { NodeBehaviour } from '../../protocols/tasks/qba-behaviours.ts';
import { honest, strategyFor } from '../../protocols/tasks/qba-behaviours.ts';
import { forgeSignature, randomKeys } from '../../protocols/tasks/qds-attacks.ts';
import type { QdsKeys, QdsSignature, QdsVerdict } from '../../protocols/tasks/qds.ts';
import { forwarderVerdict, sign, splitKeys, verify } from '../../protocols/tasks/qds.ts';
import type { QbaRoleContext, QdsRole } from './tasks.messages.ts';
import { registryDigest } from './value-digest.ts';
import type { TaskNodeServices } from './task-services.ts';

/** Authentication key bits per authenticated task link (one message each way). */
export const AUTH_BITS_PER_LINK = authKeyBitsFor(1);

export interface RoleRun<P> {
  readonly params: P;
  readonly svc: TaskNodeServices;
  /** Scratch state between steps (keys, channels). */
  readonly st: Record<string, unknown>;
  /** What the role reports (no key material). */
  readonly result: Record<string, unknown>;
}
export type Step<P> = (run: RoleRun<P>) => Promise<void>;

const keysToMsg = (k: QdsKeys) => ({ x: toBytes(k.x), y: toBytes(k.y) });
const keysFromMsg = (m: PpMessage, n: number): QdsKeys => ({ x: fromBytes(m.x as Uint8Array, n), y: fromBytes(m.y as Uint8Array, n) });
const sigToMsg = (s: QdsSignature) => ({ sig1: toBytes(s.sig1), sig2: toBytes(s.sig2) });
const sigFromMsg = (m: PpMessage, n: number): QdsSignature => ({ sig1: fromBytes(m.sig1 as Uint8Array, n), sig2: fromBytes(m.sig2 as Uint8Array, n) });

function behaviourOf(q: QbaRoleContext | undefined): NodeBehaviour {
  if (!q?.strategy) return honest();
  return strategyFor(q.strategy, { members: q.members, value: q.value ?? '', otherValue: q.otherValue });
}

function roundOf(q: QbaRoleContext): MulticastRoundPlan { return planChild(q.round); }

/** Items an honest node accepts in the round (qba.ts acceptItems). The registry of earlier links
 *  arrives with values replaced by their SHA-256 (registryDigest), so the check runs on digests. */
function acceptChecked(q: QbaRoleContext, round: MulticastRoundPlan, items: readonly Item[]): Item[] {
  const registry = createSignatureRegistry();
  for (const e of q.registry) registry.record(e.signer, e.item);
  const digested = items.map((it) => ({ value: registryDigest(it.value), chain: it.chain }));
  const ok = new Set(acceptItems(round, digested, registry));
  return items.filter((_, i) => ok.has(digested[i]!));
}

/** Withdraw 2n bits from the pool with `peer`, send the references over `ch`. */
async function shareKeys(run: RoleRun<QdsRole>, peer: NodeId, ch: ClassicalChannel): Promise<QdsKeys> {
  const { key, refs } = await run.svc.withdraw(peer, run.params.kind, 2 * run.params.n);
  await ch.send({ type: 'qds.keys', refs: refs.map((r) => ({ blockId: r.blockId, offset: r.offset, length: r.length })) });
  const bits = (run.result.keyBits ??= {}) as Record<string, number>;
  bits[peer] = (bits[peer] ?? 0) + key.length;
  return splitKeys(key);
}

/** Take by reference the bits the signer withdrew for this link. */
async function takeKeys(run: RoleRun<QdsRole>, from: NodeId, kind: 'secret' | 'imperfect', ch: ClassicalChannel): Promise<BitString> {
  const m = await expectMessage(ch, 'qds.keys');
  return run.svc.take(from, kind, m.refs as never);
}

export const qdsSignerSteps: Record<string, Step<QdsRole>> = {
  async withdraw(run) {
    const p = run.params;
    const chF = run.svc.channel(p.taskId, p.forwarder, tamperOnWire(p.attack));
    const chV = run.svc.channel(p.taskId, p.verifier);
    run.st.chF = chF;
    run.st.kF = await shareKeys(run, p.forwarder, chF);
    run.st.kV = await shareKeys(run, p.verifier, chV);
  },
  async sign(run) {
    const p = run.params;
    let message = p.message;
    if (p.qba) {
      const round = roundOf(p.qba);
      const honestPayload = round.path.length === 1
        ? primaryPayload(p.qba.primary, p.qba.value ?? '')
        : relayPayload(round, run.svc.qba.accepted(p.qba.qbaId, round.path.slice(0, -1).join('>')));
      const payload = behaviourOf(p.qba).signerPayload(round, p.forwarder, honestPayload);
      run.result.signedItems = payload ?? null;
      message = payload ? encodePayload(payload) : undefined;
    }
    if (!message) { run.st.signed = null; return; }
    // A malicious QBA signer may sign this run's (forwarder, verifier) pair improperly ('split').
    const properly = !p.qba || (behaviourOf(p.qba).signRun?.(roundOf(p.qba), p.forwarder, p.verifier) ?? true);
    const kV = p.attack === 'wrong-keys' || !properly ? randomKeys(p.n, run.svc.rng()) : run.st.kV as QdsKeys;
    const s = sign(message, run.st.kF as QdsKeys, kV, run.svc.rng());
    run.result.tries = s.tries;
    run.st.signed = { message, ...sigToMsg(s.signature) };
  },
  async deliver(run) {
    const ch = run.st.chF as ClassicalChannel;
    const signed = run.st.signed as Record<string, Uint8Array> | null;
    await ch.send(signed ? { type: 'qds.signed', ...signed } : { type: 'nothing' });
    run.result.delivered = !!signed;
  },
};

/** Attacks on the wire S -> F (test hooks of `hetqn sign`): the frame is changed after signing. */
function tamperOnWire(attack: QdsRole['attack']) {
  if (attack !== 'alter-message' && attack !== 'alter-signature') return undefined;
  return {
    tamper(msg: Record<string, unknown>) {
      if (msg.type !== 'qds.signed') return msg;
      if (attack === 'alter-message') {
        const m = new Uint8Array(msg.message as Uint8Array); m[m.length >> 1] ^= 1;
        return { ...msg, message: m };
      }
      const s = new Uint8Array(msg.sig2 as Uint8Array); s[0] ^= 1;
      return { ...msg, sig2: s };
    },
  };
}

/** Forwarder side of the F-V authenticated channel: F withdraws, V takes by reference. */
async function openAuthInitiator(run: RoleRun<QdsRole>, peer: NodeId, label: string): Promise<ClassicalChannel> {
  const plain = run.svc.channel(run.params.taskId, peer);
  const { key, refs } = await run.svc.withdraw(peer, 'secret', AUTH_BITS_PER_LINK);
  await plain.send({ type: 'auth.keys', refs: refs.map((r) => ({ ...r })) });
  run.result.authBits = key.length;
  return authenticatedChannel(plain, preSharedKeySource(key), { role: 'initiator', label });
}

async function openAuthResponder(run: RoleRun<QdsRole>, peer: NodeId, label: string): Promise<ClassicalChannel> {
  const plain = run.svc.channel(run.params.taskId, peer);
  const m = await expectMessage(plain, 'auth.keys');
  const key = await run.svc.take(peer, 'secret', m.refs as never);
  return authenticatedChannel(plain, preSharedKeySource(key), { role: 'responder', label });
}

export const qdsForwarderSteps: Record<string, Step<QdsRole>> = {
  async takeKeys(run) {
    const p = run.params;
    const ch = run.svc.channel(p.taskId, p.signer);
    run.st.chS = ch;
    run.st.kF = splitKeys(await takeKeys(run, p.signer, p.kind, ch));
  },
  async receiveSigned(run) {
    const m = await (run.st.chS as ClassicalChannel).receive();
    run.st.signed = m.type === 'qds.signed' ? { message: m.message as Uint8Array, signature: sigFromMsg(m, run.params.n) } : null;
  },
  async authenticate(run) {
    run.st.auth = await openAuthInitiator(run, run.params.verifier, `${run.params.taskId}:F-V`);
  },
  async forward(run) {
    const p = run.params;
    const ch = run.st.auth as ClassicalChannel;
    const signed = run.st.signed as { message: Uint8Array; signature: QdsSignature } | null;
    const kF = run.st.kF as QdsKeys;
    if (!signed) { await ch.send({ type: 'nothing' }); return; }
    let out: { message: Uint8Array; signature: QdsSignature } | null = signed;
    if (p.qba) {
      const round = roundOf(p.qba);
      const received = decodePayload(signed.message) ?? [];
      run.st.items = received;
      const action = behaviourOf(p.qba).forwardAction(round, p.verifier, received);
      if (action.kind === 'withhold') out = null;
      else if (action.kind === 'alter') out = { message: encodePayload(action.items), signature: signed.signature };
      else if (action.kind === 'forge') {
        const message = encodePayload(action.items);
        out = { message, signature: forgeSignature(message, kF, run.svc.rng()) };
      }
    } else if (p.attack === 'forge') {
      const message = new TextEncoder().encode('forged: pay the forwarder 1000000');
      out = { message, signature: forgeSignature(message, kF, run.svc.rng()) };
    }
    run.result.forwarded = !!out;
    await ch.send(out ? { type: 'qds.forward', message: out.message, ...sigToMsg(out.signature), ...keysToMsg(kF) } : { type: 'nothing' });
  },
  async verdict(run) {
    const p = run.params;
    const m = await (run.st.auth as ClassicalChannel).receive();
    const signed = run.st.signed as { message: Uint8Array; signature: QdsSignature } | null;
    let v: QdsVerdict | { accept: false; reason: string };
    if (!signed) v = { accept: false, reason: 'nothing-signed' };
    else if (m.type !== 'qds.keysBack') v = { accept: false, reason: 'no-keys' };
    else v = forwarderVerdict(signed, run.st.kF as QdsKeys, keysFromMsg(m, p.n));
    run.result.accept = v.accept; run.result.reason = v.reason;
    if (p.qba && v.accept) {
      const round = roundOf(p.qba);
      run.svc.qba.accept(p.qba.qbaId, round.id, acceptChecked(p.qba, round, (run.st.items as Item[] | undefined) ?? decodePayload(signed!.message) ?? []));
    }
  },
};

export const qdsVerifierSteps: Record<string, Step<QdsRole>> = {
  async takeKeys(run) {
    const p = run.params;
    run.st.kV = splitKeys(await takeKeys(run, p.signer, p.kind, run.svc.channel(p.taskId, p.signer)));
  },
  async authenticate(run) {
    run.st.auth = await openAuthResponder(run, run.params.forwarder, `${run.params.taskId}:F-V`);
  },
  async verify(run) {
    const p = run.params;
    const m = await (run.st.auth as ClassicalChannel).receive();
    if (m.type !== 'qds.forward') { run.result.accept = false; run.result.reason = 'nothing-forwarded'; return; }
    const v = verify({ message: m.message as Uint8Array, signature: sigFromMsg(m, p.n), forwarderKeys: keysFromMsg(m, p.n) }, run.st.kV as QdsKeys);
    run.result.accept = v.accept; run.result.reason = v.reason;
    if (p.qba && v.accept) {
      const round = roundOf(p.qba);
      const items = decodePayload(m.message as Uint8Array);
      if (items) run.svc.qba.accept(p.qba.qbaId, round.id, acceptChecked(p.qba, round, items));
    }
  },
  async returnKeys(run) {
    const p = run.params;
    const ch = run.st.auth as ClassicalChannel;
    const action = p.qba ? behaviourOf(p.qba).verifierKeys(roundOf(p.qba), p.forwarder) : 'honest';
    if (action === 'withhold') { await ch.send({ type: 'nothing' }); return; }
    const k = action === 'garbage' ? randomKeys(p.n, run.svc.rng()) : run.st.kV as QdsKeys;
    await ch.send({ type: 'qds.keysBack', ...keysToMsg(k) });
  },
};

