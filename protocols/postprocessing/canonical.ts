// A canonical byte encoding of a PpMessage, so the authentication tag covers exactly the
// message content whatever the transport's own framing (msgpackr over NATS, or in memory).
// Object keys are sorted; every value carries a type byte and a length, so distinct messages
// encode to distinct byte strings.
import type { PpField } from './channel.ts';

class ByteWriter {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  len = 0;
  private ensure(extra: number) {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b; this.view = new DataView(b.buffer);
  }
  u8(v: number) { this.ensure(1); this.buf[this.len++] = v; }
  u32(v: number) { this.ensure(4); this.view.setUint32(this.len, v, true); this.len += 4; }
  f64(v: number) { this.ensure(8); this.view.setFloat64(this.len, v, true); this.len += 8; }
  bytes(b: Uint8Array) { this.u32(b.length); this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length; }
}

const enc = new TextEncoder();

function write(w: ByteWriter, v: PpField | undefined): void {
  if (v === undefined) { w.u8(11); return; }
  if (v === null) { w.u8(0); return; }
  if (typeof v === 'boolean') { w.u8(v ? 2 : 1); return; }
  if (typeof v === 'number') { w.u8(3); w.f64(v); return; }
  if (typeof v === 'string') { w.u8(4); w.bytes(enc.encode(v)); return; }
  if (v instanceof Uint8Array) { w.u8(5); w.bytes(v); return; }
  if (v instanceof Uint32Array || v instanceof Int32Array || v instanceof Float64Array) {
    w.u8(v instanceof Uint32Array ? 6 : v instanceof Int32Array ? 7 : 8);
    w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); // little-endian on every platform Node runs on
    return;
  }
  if (Array.isArray(v)) { w.u8(9); w.u32(v.length); for (const x of v) write(w, x); return; }
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    w.u8(10); w.u32(keys.length);
    for (const k of keys) { w.bytes(enc.encode(k)); write(w, (v as Record<string, PpField>)[k]); }
    return;
  }
  throw new TypeError(`canonicalBytes: unsupported value of type ${typeof v}`);
}

export function canonicalBytes(v: PpField | undefined): Uint8Array {
  const w = new ByteWriter();
  write(w, v);
  return w.buf.subarray(0, w.len);
}
