// NATS nkey identities (Ed25519; the server stores only the public key, the client proves it holds
// the seed by signing the server's nonce). Seeds are the "SU..." strings nats.js and nats-server use.
import { nkeys } from '@nats-io/transport-node';

export interface NkeyIdentity { seed: string; publicKey: string }

export function newUserNkey(): NkeyIdentity {
  const kp = nkeys.createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

/** The public key ("U...") of a user seed; throws when the seed is not a valid user seed (prefix, checksum). */
export function publicKeyOf(seed: string): string {
  if (!seed.startsWith('SU')) throw new Error('not a user nkey seed (expected "SU...")');
  let kp;
  try { kp = nkeys.fromSeed(new TextEncoder().encode(seed)); } catch (e) { throw new Error(`not a valid nkey seed: ${(e as Error).message}`); }
  return kp.getPublicKey();
}

export function isUserSeed(seed: string): boolean {
  try { publicKeyOf(seed); return true; } catch { return false; }
}
