/**
 * The 80-byte block header. Layout (all integers little-endian):
 *
 *   offset  size  field
 *        0     4  version     int32
 *        4    32  prevBlock   hash of the previous header, internal byte order
 *       36    32  merkleRoot  internal byte order
 *       68     4  time        uint32, unix seconds
 *       72     4  bits        uint32, compact target
 *       76     4  nonce       uint32
 */
import { assertHash, Reader, toDisplayHex, Writer } from "./bytes";
import { fail } from "./errors";
import { sha256d } from "./hash";

export const HEADER_SIZE = 80;

export interface BlockHeader {
  readonly version: number;
  readonly prevBlock: Uint8Array;
  readonly merkleRoot: Uint8Array;
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
}

export function decodeHeader(raw: Uint8Array): BlockHeader {
  if (!(raw instanceof Uint8Array) || raw.length !== HEADER_SIZE)
    fail("bad-length", `block header must be ${HEADER_SIZE} bytes, got ${raw?.length}`);
  return readHeader(new Reader(raw, "block header"));
}

/** Reads a header from a longer message (block, merkleblock); the caller checks what follows. */
export function readHeader(r: Reader): BlockHeader {
  return {
    version: r.i32("version"),
    prevBlock: r.bytes(32, "prevBlock"),
    merkleRoot: r.bytes(32, "merkleRoot"),
    time: r.u32("time"),
    bits: r.u32("bits"),
    nonce: r.u32("nonce"),
  };
}

function checkUint32(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail("bad-field", `${field} must be a uint32, got ${n}`);
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  if (!Number.isInteger(h.version) || h.version < -0x80000000 || h.version > 0x7fffffff)
    fail("bad-field", `version must be an int32, got ${h.version}`);
  assertHash(h.prevBlock, "prevBlock");
  assertHash(h.merkleRoot, "merkleRoot");
  checkUint32(h.time, "time");
  checkUint32(h.bits, "bits");
  checkUint32(h.nonce, "nonce");
  return new Writer().u32(h.version >>> 0).bytes(h.prevBlock).bytes(h.merkleRoot).u32(h.time).u32(h.bits).u32(h.nonce).finish();
}

/** Double-SHA256 of the serialized header, internal byte order. Raw input must be exactly 80 bytes. */
export function blockHash(header: BlockHeader | Uint8Array): Uint8Array {
  if (header instanceof Uint8Array) {
    if (header.length !== HEADER_SIZE) fail("bad-length", `block header must be ${HEADER_SIZE} bytes, got ${header.length}`);
    return sha256d(header);
  }
  return sha256d(encodeHeader(header));
}

/** The block hash as explorers show it (byte-reversed hex). */
export function blockHashHex(header: BlockHeader | Uint8Array): string {
  return toDisplayHex(blockHash(header));
}
