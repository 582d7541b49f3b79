/**
 * Decoding CometBFT RPC JSON at the edge of the proof verifiers: HexBytes (hex), []byte (base64),
 * int64 (a decimal string, as CometBFT writes it; a safe-integer number is accepted too). Everything
 * is strict — a value that Go would not have written is refused rather than guessed at — because
 * the decoded bytes are then compared with verified hashes.
 */
import { fail } from "./errors";

export type Json = unknown;

export function field(obj: Json, name: string, where: string): Json {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) fail("bad-encoding", `${where} is not an object`);
  return (obj as Record<string, Json>)[name];
}

export function hexBytes(v: Json, where: string): Uint8Array {
  if (typeof v !== "string" || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) fail("bad-encoding", `${where} is not hex`);
  return Uint8Array.from(Buffer.from(v, "hex"));
}

/** Go's encoding/json writes a nil []byte as null: it decodes to empty bytes. */
export function base64Bytes(v: Json, where: string): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v !== "string" || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    fail("bad-encoding", `${where} is not base64`);
  }
  const out = Uint8Array.from(Buffer.from(v, "base64"));
  // Buffer ignores non-zero padding bits; a re-encoding that differs means the text was not canonical.
  if (Buffer.from(out).toString("base64") !== v) fail("bad-encoding", `${where} is not canonical base64`);
  return out;
}

export function int64(v: Json, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v !== "string" || !/^-?(0|[1-9][0-9]*)$/.test(v)) fail("bad-encoding", `${where} is not an int64`);
  const n = BigInt(v);
  if (n < -(1n << 63n) || n >= 1n << 63n) fail("bad-encoding", `${where} is out of the int64 range`);
  return n;
}

/** An int64 that must fit a JS number (Merkle totals and indexes): larger ones cannot be real. */
export function safeInt(v: Json | bigint, where: string): number {
  const n = typeof v === "bigint" ? v : int64(v, where);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) fail("bad-encoding", `${where} is too large`);
  return Number(n);
}

export function uint32(v: Json, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) fail("bad-encoding", `${where} is not a uint32`);
  return v;
}

export function array(v: Json, where: string): readonly Json[] {
  if (!Array.isArray(v)) fail("bad-encoding", `${where} is not an array`);
  return v;
}

export function toHexUpper(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}
