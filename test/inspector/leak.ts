// Does any 8-byte run of some key appear in text, written as hex, as a list of byte values, or as
// base64 (at any alignment)? The text's candidate runs are decoded and looked up in an index of every
// 8-byte window of the keys, so a whole session's key is checked against megabytes of frames quickly.
const WINDOW = 8;

function windows(keys: Uint8Array[]): Set<string> {
  const set = new Set<string>();
  for (const k of keys) {
    const hex = Buffer.from(k).toString('hex');
    for (let i = 0; i + WINDOW <= k.length; i++) set.add(hex.slice(2 * i, 2 * (i + WINDOW)));
  }
  return set;
}

function hitIn(bytes: Uint8Array, index: Set<string>): string | undefined {
  const hex = Buffer.from(bytes).toString('hex');
  for (let i = 0; i + WINDOW <= bytes.length; i++) {
    const w = hex.slice(2 * i, 2 * (i + WINDOW));
    if (index.has(w)) return w;
  }
  return undefined;
}

export function keyBytesIn(texts: string[], keys: Uint8Array[]): string[] {
  const index = windows(keys);
  const hits: string[] = [];
  const check = (bytes: Uint8Array, how: string) => { const h = hitIn(bytes, index); if (h) hits.push(`${how}: ${h}`); };
  for (const text of texts) {
    for (const m of text.matchAll(/[0-9a-fA-F]{16,}/g)) {
      for (const off of [0, 1]) check(Buffer.from(m[0].slice(off, m[0].length - ((m[0].length - off) % 2)), 'hex'), 'hex');
    }
    for (const m of text.matchAll(/(?:\d{1,3}\s*,\s*){7,}\d{1,3}/g)) {
      const values = m[0].split(',').map((x) => Number(x.trim()));
      if (values.every((v) => v <= 255)) check(Uint8Array.from(values), 'byte list');
    }
    for (const m of text.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)) {
      for (let off = 0; off < 4; off++) check(Buffer.from(m[0].slice(off).replace(/-/g, '+').replace(/_/g, '/'), 'base64'), 'base64');
    }
  }
  return hits;
}
