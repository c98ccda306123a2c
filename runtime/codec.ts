// Wire frames: a msgpackr-encoded envelope. Decoding validates in order (size, msgpack, envelope,
// version, type, body) and reports the first problem as a FrameError naming the field, so a
// receiving host can drop the frame, tell the sender (when it asked for a reply) and keep running.
import { Packr } from 'msgpackr';
import { z } from 'zod';
import { messageSchema } from './messages.ts';

/** Bump when the envelope layout changes; frames of another version are rejected. */
export const PROTOCOL_VERSION = 1;
/** Default limit, under nats-server's default max_payload (1 MiB), leaving room for headers. */
export const DEFAULT_MAX_FRAME_BYTES = 1_000_000;

export interface Envelope<B = unknown> {
  v: number;
  type: string;
  /** Sender: "<processId>/<systemId>" or "<processId>". */
  from: string;
  /** Addressee system id, when the frame targets one actor. */
  to?: string;
  /** Correlation id (request ids, idempotency). */
  id?: string;
  /** Where to answer (set from the transport's reply inbox on receipt). */
  replyTo?: string;
  body: B;
  /** Sender's clock, ms since epoch. */
  ts: number;
}

export class FrameError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, bundleStrings: false });

/** The envelope's fields, checked by hand: a zod object schema here cost more than the rest of
 *  decoding on every message (test/bench/runtime.bench.ts). Same rules as the schema it replaces:
 *  type 1..200 characters; from, to, id, replyTo strings up to 400; ts a number; extra keys dropped. */
function checkEnvelope(raw: Record<string, unknown>): Envelope {
  const str = (k: string, min: number, max: number, optional: boolean): string | undefined => {
    const v = raw[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string') throw new FrameError(k, v === undefined ? 'Required' : `Expected string, received ${typeof v}`);
    if (v.length < min) throw new FrameError(k, `String must contain at least ${min} character(s)`);
    if (v.length > max) throw new FrameError(k, `String must contain at most ${max} character(s)`);
    return v;
  };
  const type = str('type', 1, 200, false)!;
  const from = str('from', 0, 400, false)!;
  const to = str('to', 0, 400, true), id = str('id', 0, 400, true), replyTo = str('replyTo', 0, 400, true);
  const ts = raw.ts;
  if (typeof ts !== 'number' || Number.isNaN(ts)) throw new FrameError('ts', ts === undefined ? 'Required' : `Expected number, received ${typeof ts}`);
  const env: Envelope = { v: PROTOCOL_VERSION, type, from, body: raw.body, ts };
  if (to !== undefined) env.to = to;
  if (id !== undefined) env.id = id;
  if (replyTo !== undefined) env.replyTo = replyTo;
  return env;
}

function zodField(prefix: string, err: z.ZodError): FrameError {
  const issue = err.issues[0]!;
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return new FrameError(field || prefix || 'frame', issue.message);
}

/** Validate a body against its registered schema; returns the parsed body (defaults applied). */
export function validateBody(type: string, body: unknown): unknown {
  const schema = messageSchema(type);
  if (!schema) throw new FrameError('type', `unknown message type "${type}"`);
  const r = schema.safeParse(body);
  if (!r.success) throw zodField('body', r.error);
  return r.data;
}

/** Encode an envelope; validates the body (so bugs surface at the sender) and the size. */
export function encodeFrame(env: Envelope, maxBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  validateBody(env.type, env.body);
  const bytes = packr.pack(env);
  if (bytes.length > maxBytes) throw new FrameError('frame', `${env.type} frame is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  return bytes;
}

/** Decode and validate a frame. Throws FrameError naming the first bad field. */
export function decodeFrame(bytes: Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): Envelope {
  if (bytes.length === 0) throw new FrameError('frame', 'empty frame');
  if (bytes.length > maxBytes) throw new FrameError('frame', `${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new FrameError('frame', `not a msgpack frame (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FrameError('frame', 'expected an envelope object');
  const v = (raw as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION) throw new FrameError('v', `protocol version ${JSON.stringify(v) ?? 'missing'} is not ${PROTOCOL_VERSION}`);
  const env = checkEnvelope(raw as Record<string, unknown>);
  env.body = validateBody(env.type, env.body);
  return env;
}

/** Encode without validation: for tests and fuzzers that need to produce bad frames. */
export function packRaw(value: unknown): Uint8Array {
  return packr.pack(value);
}
