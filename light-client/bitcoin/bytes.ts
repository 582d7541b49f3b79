/** Byte helpers: strict hex, display (byte-reversed) hashes, and a bounds-checked reader/writer. */
import { concatBytes } from "../../chain/store/bytes";
import { fail } from "./errors";

const HEX = "0123456789abcdef";

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`not an even-length hex string: ${s.slice(0, 20)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** Hashes are kept in internal byte order; explorers and RPCs show them byte-reversed. */
export function toDisplayHex(hash: Uint8Array): string {
  // Uint8Array.from copies: Buffer#slice would share memory and the reverse would corrupt the caller's bytes.
  return toHex(Uint8Array.from(hash).reverse());
}

export function fromDisplayHex(s: string): Uint8Array {
  if (s.length !== 64) fail("bad-length", `display hash must be 64 hex characters, got ${s.length}`);
  return fromHex(s).reverse();
}

export function assertHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== 32) fail("bad-length", `${what} must be 32 bytes, got ${h?.length}`);
}

/** Bitcoin Core's MAX_SIZE: the largest CompactSize a length or count may take. */
export const MAX_COMPACT_SIZE = 0x02000000;

/** Reads little-endian fields; every read is bounds-checked and errors name the object being read. */
export class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.buf.length - this.pos)
      fail("truncated", `${this.what}: ${field} needs ${n} bytes at offset ${this.pos}, ${this.buf.length - this.pos} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf, p = this.pos;
    this.pos += 2;
    return b[p] | (b[p + 1] << 8);
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf, p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  i32(field: string): number {
    return this.u32(field) | 0;
  }

  u64(field: string): bigint {
    const lo = this.u32(field);
    const hi = this.u32(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A copy, so parsed objects never alias the caller's buffer. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** CompactSize exactly as Bitcoin Core's ReadCompactSize(range_check=true): canonical and <= MAX_SIZE. */
  compactSize(field: string): number {
    const first = this.u8(field);
    let n: number;
    if (first < 0xfd) n = first;
    else if (first === 0xfd) {
      n = this.u16(field);
      if (n < 0xfd) fail("bad-varint", `${this.what}: non-canonical CompactSize for ${field}`);
    } else if (first === 0xfe) {
      n = this.u32(field);
      if (n < 0x10000) fail("bad-varint", `${this.what}: non-canonical CompactSize for ${field}`);
    } else {
      const v = this.u64(field);
      if (v < 0x100000000n) fail("bad-varint", `${this.what}: non-canonical CompactSize for ${field}`);
      fail("bad-varint", `${this.what}: ${field} ${v} exceeds MAX_SIZE`);
    }
    if (n > MAX_COMPACT_SIZE) fail("bad-varint", `${this.what}: ${field} ${n} exceeds MAX_SIZE`);
    return n;
  }

  /** A count of items each at least `minItemBytes` long: refuse counts the remaining bytes cannot hold. */
  count(field: string, minItemBytes: number): number {
    const n = this.compactSize(field);
    if (n * minItemBytes > this.remaining)
      fail("bad-count", `${this.what}: ${n} ${field} need at least ${n * minItemBytes} bytes, ${this.remaining} left`);
    return n;
  }

  /** CompactSize length followed by that many bytes. */
  varBytes(field: string): Uint8Array {
    const n = this.compactSize(field);
    return this.bytes(n, field);
  }

  end(): void {
    if (this.pos !== this.buf.length) fail("trailing-bytes", `${this.what}: ${this.buf.length - this.pos} bytes after the end`);
  }
}

/** Appends little-endian fields; used by the encoders (tests, relayers, builders). */
export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  u8(n: number): this {
    return this.bytes(Uint8Array.of(n & 0xff));
  }

  u16(n: number): this {
    return this.bytes(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff));
  }

  u32(n: number): this {
    return this.bytes(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff));
  }

  u64(n: bigint): this {
    this.u32(Number(n & 0xffffffffn));
    return this.u32(Number((n >> 32n) & 0xffffffffn));
  }

  compactSize(n: number): this {
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff) return this.u8(0xfd).u16(n);
    if (n <= 0xffffffff) return this.u8(0xfe).u32(n);
    return this.u8(0xff).u64(BigInt(n));
  }

  varBytes(b: Uint8Array): this {
    return this.compactSize(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return concatBytes(...this.chunks);
  }
}
