// How a node acts in each QBA role. Honest nodes follow the protocol; the malicious strategies
// are the spec's list (equivocate, withhold, alter a relayed value, forge a signature, collude),
// 'split' (collude and sign only chosen runs properly) and, for randomised tests, a Byzantine node.
// A malicious node can only do what its knowledge allows: it picks what to sign, what to forward
// and which keys to return; forging someone else's signature goes through a real forgery attempt
// (qds-attacks.ts) or through a false claim about an earlier chain link, and the verifiers decide.
import type { NodeId } from '../types.ts';
import type { Rng } from '../rng.ts';
import type { Item, MulticastRoundPlan, Value } from './qba.ts';

export type ForwardAction =
  | { readonly kind: 'forward' }
  | { readonly kind: 'withhold' }
  /** Forward different items under the signature received (the hash will not match). */
  | { readonly kind: 'alter'; readonly items: readonly Item[] }
  /** Forward different items under a freshly fabricated signature (forgeSignature). */
  | { readonly kind: 'forge'; readonly items: readonly Item[] };

export type KeyAction = 'honest' | 'garbage' | 'withhold';

export interface NodeBehaviour {
  readonly name: string;
  /** As the signer of `round`: what to sign for forwarder F (null: send nothing). `honest` is the
   *  protocol's payload (primaryPayload at the root, relayPayload below). */
  signerPayload(round: MulticastRoundPlan, forwarder: NodeId, honest: readonly Item[]): readonly Item[] | null;
  /** As forwarder F of a QDS run: what to pass on to the verifier. */
  forwardAction(round: MulticastRoundPlan, verifier: NodeId, received: readonly Item[]): ForwardAction;
  /** As verifier V: which keys to return to the forwarder. */
  verifierKeys(round: MulticastRoundPlan, forwarder: NodeId): KeyAction;
  /** As signer: false gives the run (forwarder, verifier) a garbage signature on the same payload
   *  (selective signing per verifier). Absent = sign every run properly. */
  signRun?(round: MulticastRoundPlan, forwarder: NodeId, verifier: NodeId): boolean;
}

export const STRATEGY_NAMES = ['honest', 'equivocate', 'withhold', 'alter', 'forge', 'collude', 'split'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export function honest(): NodeBehaviour {
  return {
    name: 'honest',
    signerPayload: (_r, _f, h) => h,
    forwardAction: () => ({ kind: 'forward' }),
    verifierKeys: () => 'honest',
  };
}

/** Signs different things for different forwarders: at the root, values[i mod k] for the i-th
 *  backup; as a relay, its payload to half the forwarders and an empty one to the rest. */
export function equivocate(values: readonly Value[]): NodeBehaviour {
  return {
    ...honest(),
    name: 'equivocate',
    signerPayload(round, forwarder, h) {
      const i = round.backups.indexOf(forwarder);
      if (round.path.length === 1) return [{ value: values[i % values.length], chain: [...round.path] }];
      return i % 2 === 0 ? h : [];
    },
  };
}

/** Sends, forwards and returns nothing (to `targets` only, when given). */
export function withhold(targets?: readonly NodeId[]): NodeBehaviour {
  const hit = (n: NodeId) => targets === undefined || targets.includes(n);
  return {
    name: 'withhold',
    signerPayload: (_r, f, h) => (hit(f) ? null : h),
    forwardAction: (_r, v) => (hit(v) ? { kind: 'withhold' } : { kind: 'forward' }),
    verifierKeys: (_r, f) => (hit(f) ? 'withhold' : 'honest'),
  };
}

/** Replaces the values it relays or forwards by `value`: under the received signature when
 *  forwarding, under its own signature (claiming the earlier links signed it) when relaying. */
export function alterRelayed(value: Value): NodeBehaviour {
  return {
    name: 'alter',
    signerPayload: (round, _f, h) => (round.path.length === 1 ? h : h.length === 0 ? [{ value, chain: [...round.path] }] : h.map((it) => ({ ...it, value }))),
    forwardAction: (_r, _v, received) => ({ kind: 'alter', items: received.length === 0 ? [{ value, chain: [] }] : received.map((it) => ({ ...it, value })) }),
    verifierKeys: () => 'honest',
  };
}

/** Tries to pass off `value` as signed by the round's signer: as forwarder it fabricates a fresh
 *  signature; as relay it adds an item claiming the primary signed `value`; as verifier it returns
 *  random keys. */
export function forgeSignature(value: Value): NodeBehaviour {
  return {
    name: 'forge',
    signerPayload: (round, _f, h) => (round.path.length === 1 ? h : [...h.slice(0, 1), { value, chain: [...round.path] }]),
    forwardAction: (round) => ({ kind: 'forge', items: [{ value, chain: [...round.path] }] }),
    verifierKeys: () => 'garbage',
  };
}

export interface ColludeOptions {
  /** The coalition (it may include the primary). */
  readonly members: readonly NodeId[];
  /** What a malicious primary signs for the coalition (the honest backups get its own value). */
  readonly secondValue: Value;
  /** In the deepest rounds, a coalition signer hands its payload to coalition forwarders only
   *  ('members') or to one honest forwarder ('one-honest'). */
  readonly release?: 'members' | 'one-honest';
}

/** The coalition keeps the primary's second value among itself, then in the deepest rounds, where
 *  nobody relays any more, shows it to a single honest forwarder (who passes it to every verifier). */
export function collude(opts: ColludeOptions): NodeBehaviour {
  const isMember = (n: NodeId) => opts.members.includes(n);
  const release = opts.release ?? 'members';
  const firstHonest = (nodes: readonly NodeId[]) => [...nodes].filter((n) => !isMember(n)).sort()[0];
  return {
    name: 'collude',
    signerPayload(round, forwarder, h) {
      if (round.path.length === 1) return [{ value: isMember(forwarder) ? opts.secondValue : h[0].value, chain: [...round.path] }];
      // A relay shows only the second value (it holds the primary's signature on it whenever the
      // primary is in the coalition; otherwise the claim is rejected as a forgery).
      const second = [{ value: opts.secondValue, chain: [...round.path] }];
      if (round.depth === 1 && release === 'one-honest') return forwarder === firstHonest(round.backups) ? second : null;
      return isMember(forwarder) ? second : null;
    },
    forwardAction(round, verifier) {
      if (round.depth === 1) return verifier === firstHonest(round.backups) ? { kind: 'forward' } : { kind: 'withhold' };
      return isMember(verifier) ? { kind: 'forward' } : { kind: 'withhold' };
    },
    verifierKeys: () => 'honest',
  };
}

/** A named strategy for every malicious node (the CLI's --strategy). */
export function strategyFor(name: StrategyName, ctx: { members: readonly NodeId[]; value: Value; otherValue: Value }): NodeBehaviour {
  switch (name) {
    case 'honest': return honest();
    case 'equivocate': return equivocate([ctx.value, ctx.otherValue]);
    case 'withhold': return withhold();
    case 'alter': return alterRelayed(ctx.otherValue);
    case 'forge': return forgeSignature(ctx.otherValue);
    case 'collude': return collude({ members: ctx.members, secondValue: ctx.otherValue });
    case 'split': return colludeSelectiveSigning({ members: ctx.members, secondValue: ctx.otherValue });
  }
}

/** 'split': like collude with release 'one-honest', but in the deepest rounds the coalition signer
 *  gives the chosen honest forwarder a valid signature only for the run towards one honest verifier,
 *  so exactly two honest nodes accept the second value there. With d = f and the coalition forming a
 *  deepest round's whole path this splits the honest nodes; d >= f + 1 stops it (qba-bounds.ts B3). */
export function colludeSelectiveSigning(opts: Omit<ColludeOptions, 'release'>): NodeBehaviour {
  const base = collude({ ...opts, release: 'one-honest' });
  const honestOf = (nodes: readonly NodeId[]) => [...nodes].filter((n) => !opts.members.includes(n)).sort();
  return {
    ...base,
    name: 'collude-selective-signing',
    signRun: (round, _f, verifier) => round.depth !== 1 || verifier === honestOf(round.backups)[1],
  };
}

/** An arbitrary (Byzantine) node for randomised tests: every choice it makes, as signer, forwarder
 *  and verifier, is drawn from `rng`: sign the honest payload, nothing, an empty payload, or any
 *  subset of `values` (a relay's claims about earlier signers are checked by the verifiers), sign
 *  each run properly or not, forward, withhold, alter or forge, return true, random or no keys. */
export function byzantine(rng: Rng, values: readonly Value[]): NodeBehaviour {
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const someValues = (chain: readonly NodeId[]): Item[] => values.filter(() => rng.nextInt(2) === 1).map((value) => ({ value, chain: [...chain] }));
  return {
    name: 'byzantine',
    signerPayload: (round, _f, h) => pick([h, h, null, [], someValues(round.path)]),
    forwardAction: (round, _v, received) => pick<ForwardAction>([
      { kind: 'forward' }, { kind: 'forward' }, { kind: 'withhold' },
      { kind: 'alter', items: received.length ? received.map((it) => ({ ...it, value: pick(values) })) : someValues(round.path) },
      { kind: 'forge', items: someValues(round.path) },
    ]),
    verifierKeys: () => pick<KeyAction>(['honest', 'honest', 'garbage', 'withhold']),
    signRun: () => rng.nextInt(4) !== 0,
  };
}
