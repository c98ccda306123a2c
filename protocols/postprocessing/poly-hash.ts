// Polynomial evaluation hash over GF(p), p = 2^127 - 1 (Mersenne prime), as in Wegman & Carter,
// JCSS 22 (1981) and Bernstein's Poly1305 construction. The message (bytes) is cut into 15-byte
// blocks m_1..m_L (< 2^120 < p) followed by a block holding the byte length, and
//   H_k(m) = sum_{i=1}^{L+1} m_i k^{L+2-i} mod p   (Horner).
// For m != m' the difference H_k(m) - H_k(m') is a nonzero polynomial in k of degree <= L+1,
// so for any c, Pr_k[H_k(m) - H_k(m') = c] <= (L+1)/p: the family is (L+1)/p-almost
// Delta-universal. With the tag one-time padded by addition of a fresh uniform r mod p, a
// forger who saw one (message, tag) pair succeeds with probability <= (L+1)/p per try
// (e.g. < 2^-106 for a 1 MB message).
//
// Speed: runs of whole blocks go through the WebAssembly kernel of poly-hash-kernel.wat (26-bit
// limbs in i64, poly1305-donna style: ~700-970 MB/s against ~28 MB/s for the BigInt Horner loop,
// test/bench/auth-hash.bench.ts); the result is reduced to [0, p) exactly as before, so every
// hash value (and the forgery bound above) is unchanged.
import { POLY_HASH_KERNEL_WASM_BASE64 } from './poly-hash-kernel-wasm.ts';

export const P127 = (1n << 127n) - 1n;

interface PolyKernel { u32: Uint32Array; u8: Uint8Array; blocks(ptr: number, n: number): void; key: bigint }
const DATA = 65536;                                  // blocks start on the second page
const CHUNK_BLOCKS = Math.floor((16 * 65536) / 15);  // 16 pages of blocks per kernel call
const KERNEL_MIN_BLOCKS = 4;                         // below this the BigInt loop is as fast
let kernel: PolyKernel | undefined;
function polyKernel(): PolyKernel {
  if (!kernel) {
    const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
    const ex = new WA.Instance(new WA.Module(Buffer.from(POLY_HASH_KERNEL_WASM_BASE64, 'base64')), {}).exports as { mem: { buffer: ArrayBuffer }; blocks(p: number, n: number): void };
    kernel = { u32: new Uint32Array(ex.mem.buffer), u8: new Uint8Array(ex.mem.buffer), blocks: ex.blocks, key: -1n };
  }
  return kernel;
}

function setLimbs(u32: Uint32Array, at: number, v: bigint): void {
  for (let i = 0; i < 5; i++, v >>= 26n) { u32[at + 2 * i] = Number(v & 0x3ffffffn); u32[at + 2 * i + 1] = 0; }
}

/** Horner steps h <- (h + m_i) k mod p over the nBlocks 15-byte blocks of data from byte `from`. */
function hornerBlocks(h: bigint, key: bigint, data: Uint8Array, from: number, nBlocks: number): bigint {
  if (nBlocks < KERNEL_MIN_BLOCKS) {
    for (let b = 0; b < nBlocks; b++) h = reduce((h + block(data, from + 15 * b)) * key);
    return h;
  }
  const k = polyKernel();
  if (k.key !== key) { setLimbs(k.u32, 16, key); k.key = key; }
  setLimbs(k.u32, 0, h);
  for (let done = 0; done < nBlocks;) {
    const n = Math.min(CHUNK_BLOCKS, nBlocks - done);
    k.u8.set(data.subarray(from + 15 * done, from + 15 * (done + n)), DATA);
    k.blocks(DATA, n);
    done += n;
  }
  const u = k.u32;
  return reduce(BigInt(u[0]) + (BigInt(u[2]) << 26n) + (BigInt(u[4]) << 52n) + (BigInt(u[6]) << 78n) + (BigInt(u[8]) << 104n));
}

function reduce(x: bigint): bigint {
  x = (x & P127) + (x >> 127n);
  x = (x & P127) + (x >> 127n);
  return x >= P127 ? x - P127 : x;
}

export function polyHash127(key: bigint, data: Uint8Array): bigint {
  if (key < 0n || key >= P127) throw new RangeError('polyHash127: key must be in [0, p)');
  const n = data.length;
  const full = Math.floor(n / 15);
  let h = hornerBlocks(0n, key, data, 0, full);
  const i = 15 * full;
  if (i < n) {
    let m = 0n;
    for (let j = n - 1; j >= i; j--) m = (m << 8n) | BigInt(data[j]);
    h = reduce((h + m) * key);
  }
  h = reduce((h + BigInt(n)) * key);
  return h;
}

/** The same hash fed incrementally (for a whole transcript): digest() equals polyHash127 of the
 *  concatenation of everything fed so far, and feeding may continue after it. */
export class PolyHash127Stream {
  private h = 0n;
  private total = 0;
  private readonly carry = new Uint8Array(15);
  private used = 0;
  constructor(private readonly key: bigint) {
    if (key < 0n || key >= P127) throw new RangeError('PolyHash127Stream: key must be in [0, p)');
  }
  update(data: Uint8Array): void {
    this.total += data.length;
    let i = 0;
    if (this.used > 0) {
      const take = Math.min(15 - this.used, data.length);
      this.carry.set(data.subarray(0, take), this.used);
      this.used += take; i = take;
      if (this.used < 15) return;
      this.h = reduce((this.h + block(this.carry, 0)) * this.key);
      this.used = 0;
    }
    const full = Math.floor((data.length - i) / 15);
    this.h = hornerBlocks(this.h, this.key, data, i, full);
    i += 15 * full;
    this.carry.set(data.subarray(i), 0);
    this.used = data.length - i;
  }
  digest(): bigint {
    let h = this.h;
    if (this.used > 0) {
      let m = 0n;
      for (let j = this.used - 1; j >= 0; j--) m = (m << 8n) | BigInt(this.carry[j]);
      h = reduce((h + m) * this.key);
    }
    return reduce((h + BigInt(this.total)) * this.key);
  }
}

// three 40-bit pieces, each exactly representable as a Number
function block(d: Uint8Array, i: number): bigint {
  const a = d[i] + d[i + 1] * 256 + d[i + 2] * 65536 + d[i + 3] * 16777216 + d[i + 4] * 4294967296;
  const b = d[i + 5] + d[i + 6] * 256 + d[i + 7] * 65536 + d[i + 8] * 16777216 + d[i + 9] * 4294967296;
  const c = d[i + 10] + d[i + 11] * 256 + d[i + 12] * 65536 + d[i + 13] * 16777216 + d[i + 14] * 4294967296;
  return BigInt(a) | (BigInt(b) << 40n) | (BigInt(c) << 80n);
}

/** Key bits (LSB-first words) -> integer in [0, 2^bits). */
export function wordsToBigint(words: Uint32Array, bits: number): bigint {
  let v = 0n;
  for (let i = (bits + 31) >>> 5; i-- > 0;) v = (v << 32n) | BigInt(words[i]);
  return v & ((1n << BigInt(bits)) - 1n);
}

export function bigintToBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length; i-- > 0;) v = (v << 8n) | BigInt(b[i]);
  return v;
}
