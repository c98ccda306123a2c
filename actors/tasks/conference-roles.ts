// Conference key by QKD key delivery (spec "Quantum conference key"; maths in
// protocols/tasks/conference.ts). Sponsor S draws K (L bits) from its QRNG; for every participant i
// it withdraws L bits k_i of the S-i secret pool plus the bits of one Wegman–Carter authenticated
// link, sends the references, then C_i = K xor k_i over the authenticated channel. Participant i
// takes the same bits by reference, checks the tag and decrypts. Only a SHA-256 digest of K leaves
// the nodes (so the coordinator can check that everybody holds the same key).
import { createHash } from 'node:crypto';
import type { BitString } from '../../protocols/bits.ts';
import { fromBytes, slice, toBytes } from '../../protocols/bits.ts';
import { authenticatedChannel } from '../../protocols/postprocessing/authenticated-channel.ts';
import type { ClassicalChannel } from '../../protocols/postprocessing/channel.ts';
import { expectMessage } from '../../protocols/postprocessing/channel.ts';
import { preSharedKeySource } from '../../protocols/postprocessing/key-source.ts';
import { conferenceDecrypt, conferenceEncrypt, drawConferenceKey } from '../../protocols/tasks/conference.ts';
import type { ConfRole } from './tasks.messages.ts';
import { AUTH_BITS_PER_LINK, type RoleRun, type Step } from './qds-roles.ts';

export const keyDigest = (k: BitString) => createHash('sha256').update(toBytes(k)).update(String(k.length)).digest('hex');

export const conferenceSponsorSteps: Record<string, Step<ConfRole>> = {
  async withdraw(run) {
    const p = run.params;
    const links = new Map<string, BitString>();
    const auth = new Map<string, ClassicalChannel>();
    const bits: Record<string, number> = {};
    for (const peer of p.participants) {
      // One withdrawal per link: L pad bits then the authentication key.
      const { key, refs } = await run.svc.withdraw(peer, 'secret', p.bits + AUTH_BITS_PER_LINK);
      const plain = run.svc.channel(p.taskId, peer, p.tamper === peer ? { tamper: flipCipherBit } : undefined);
      await plain.send({ type: 'conf.keys', refs: refs.map((r) => ({ ...r })) });
      links.set(peer, slice(key, 0, p.bits));
      auth.set(peer, authenticatedChannel(plain, preSharedKeySource(slice(key, p.bits, AUTH_BITS_PER_LINK)), { role: 'initiator', label: `${p.taskId}:conf` }));
      bits[peer] = key.length;
    }
    run.st.links = links; run.st.auth = auth;
    run.result.keyBits = bits;
  },
  async encrypt(run) {
    const K = drawConferenceKey(run.params.bits, run.svc.rng());
    run.st.ciphers = conferenceEncrypt(K, run.st.links as Map<string, BitString>);
    run.result.digest = keyDigest(K);
  },
  async deliver(run) {
    const auth = run.st.auth as Map<string, ClassicalChannel>;
    for (const c of run.st.ciphers as ReturnType<typeof conferenceEncrypt>) {
      await auth.get(c.participant)!.send({ type: 'conf.cipher', cipher: toBytes(c.cipher) });
    }
  },
};

/** A man in the middle flips one ciphertext bit after the tag was computed. */
function flipCipherBit(msg: Record<string, unknown>): Record<string, unknown> {
  const inner = msg.msg as Record<string, unknown> | undefined;
  if (msg.type !== 'auth' || inner?.type !== 'conf.cipher') return msg;
  const c = new Uint8Array(inner.cipher as Uint8Array); c[0] ^= 1;
  return { ...msg, msg: { ...inner, cipher: c } };
}

export const conferenceParticipantSteps: Record<string, Step<ConfRole>> = {
  async takeKeys(run) {
    const p = run.params;
    const plain = run.svc.channel(p.taskId, p.sponsor);
    const m = await expectMessage(plain, 'conf.keys');
    const key = await run.svc.take(p.sponsor, 'secret', m.refs as never);
    run.st.pad = slice(key, 0, p.bits);
    run.st.auth = authenticatedChannel(plain, preSharedKeySource(slice(key, p.bits, AUTH_BITS_PER_LINK)), { role: 'responder', label: `${p.taskId}:conf` });
    run.result.keyBits = key.length;
  },
  async receive(run) {
    try {
      const m = await (run.st.auth as ClassicalChannel).receive();
      run.st.cipher = fromBytes(m.cipher as Uint8Array, run.params.bits);
    } catch (e) {
      run.result.opened = false; run.result.reason = 'tag'; run.result.detail = (e as Error).message;
    }
  },
  async decrypt(run) {
    if (run.result.opened === false) return;
    const r = conferenceDecrypt({ participant: run.svc.node, cipher: run.st.cipher as BitString }, run.st.pad as BitString);
    run.result.opened = r.ok;
    if (r.ok) run.result.digest = keyDigest(r.key); else run.result.reason = r.reason;
  },
};
