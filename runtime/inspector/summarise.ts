// What the inspector page may see of a context or an event: its shape and small values, never key
// material. Byte arrays (typed arrays, Buffers, their JSON forms) and long number arrays become
// their lengths; fields whose name says key, secret, signature, tag, ... become a length; strings
// that look like encoded bytes (long hex or base64) become a length; depth, array and string sizes
// are capped so one context cannot flood the page.

const WORDS = ['keys?', 'secrets?', 'psks?', 'passwords?', 'passwd', 'credentials?', 'signatures?', 'sigs?', 'macs?', 'tags?', 'bytes', 'seeds?', 'pads?', 'material', 'tokens?', 'nonces?', 'bits'];
/** "key", "pair_secret", "tag" or a camelCase ending: "authKey", "pskSecret", "keyBytes" (not "keyKind"). */
const KEY_NAME = new RegExp(`^(?:${WORDS.join('|')})$|[_-](?:${WORDS.join('|')})$`, 'i');
const KEY_SUFFIX = new RegExp(`[a-z0-9](?:${WORDS.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('|')})$`);
export const isKeyLikeName = (name: string): boolean => KEY_NAME.test(name) || KEY_SUFFIX.test(name);
const HEX = /^[0-9a-f]{32,}$/i;
const BASE64 = /^[A-Za-z0-9+/_-]{40,}={0,2}$/;
const MAX_DEPTH = 6;
const MAX_ITEMS = 24;
const MAX_STRING = 240;
const MAX_KEYS = 60;

export interface Redacted { redacted: string; length: number }

const redacted = (what: string, length: number): Redacted => ({ redacted: what, length });

/** A Buffer or typed array after JSON: { type: 'Buffer', data: [...] } or jsonSafe's { typedArray, length }. */
function bytesShape(v: Record<string, unknown>): number | undefined {
  if (v.type === 'Buffer' && Array.isArray(v.data)) return v.data.length;
  if (typeof v.typedArray === 'string' && typeof v.length === 'number') return v.length;
  return undefined;
}

function looksEncoded(s: string): boolean {
  return HEX.test(s) || (BASE64.test(s) && /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s));
}

/** Under a key-like name only flags and counts pass; anything that could carry bytes is a length. */
function keyField(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'string') return redacted('string', v.length);
  if (ArrayBuffer.isView(v)) return redacted('bytes', v.byteLength);
  if (Array.isArray(v)) return redacted('array', v.length);
  if (typeof v === 'object') return redacted('object', Object.keys(v).length);
  return redacted(typeof v, 0);
}

export function summarise(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') {
    if (looksEncoded(value)) return redacted('string', value.length);
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value;
  }
  if (typeof value !== 'object') return undefined;
  if (ArrayBuffer.isView(value)) return redacted('bytes', value.byteLength);
  if (value instanceof ArrayBuffer) return redacted('bytes', value.byteLength);
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    if (value.length > 16 && value.every((x) => typeof x === 'number')) return redacted('numbers', value.length);
    const items = value.slice(0, MAX_ITEMS).map((x) => summarise(x, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  const o = value as Record<string, unknown>;
  const bytes = bytesShape(o);
  if (bytes !== undefined) return redacted('bytes', bytes);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(o);
  for (const k of keys.slice(0, MAX_KEYS)) {
    const v = o[k];
    if (typeof v === 'function') continue;
    out[k] = isKeyLikeName(k) ? keyField(v) : summarise(v, depth + 1);
  }
  if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more fields`;
  return out;
}
