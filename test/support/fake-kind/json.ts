/**
 * The fake kind's strict JSON reading (every object's keys exactly as expected, integers exact,
 * hex lowercase) and its refusals: every refusal of its light client and of its proofs is a
 * `FakeError` with a machine-readable `reason`, which the peg maps to its own error codes.
 */

export type FakeReason =
  | "bad-encoding" // bytes that are not the JSON the fake kind expects
  | "bad-registration" // a registration or export that is malformed or inconsistent
  | "already-initialized"
  | "not-initialized"
  | "frozen" // the client is frozen: it takes no more headers
  | "bad-signature" // a header not signed by the chain key
  | "not-next" // a header neither at a stored height nor at latest + 1
  | "too-old" // a header below the client's genesis
  | "unknown-parent" // a next header whose parent is not the latest stored hash
  | "non-monotonic-time" // a next header not after the latest one
  | "future-header" // a header from more than the clock drift after pegzone's time
  | "unknown-block" // a proof for a height the client has not stored
  | "root-mismatch" // a proof whose transactions do not hash to the stored txRoot
  | "not-a-deposit" // the proven transaction is not a deposit
  | "not-a-release" // the proven transaction is not a signed release
  | "unsigned-release"; // a release transaction whose signatures do not reach its federation's threshold

export class FakeError extends Error {
  override readonly name = "FakeError";
  constructor(
    readonly reason: FakeReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function fail(reason: FakeReason, detail: string): never {
  throw new FakeError(reason, detail);
}

export type JsonObject = Record<string, unknown>;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export const encodeUtf8 = (s: string): Uint8Array => utf8.encode(s);

/** Canonical JSON bytes of a value whose objects were built with their keys in a fixed order. */
export const jsonBytes = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

/** UTF-8 JSON bytes parsed, or `reason`. */
export function parseJsonBytes(bytes: Uint8Array, what: string, reason: FakeReason = "bad-encoding"): unknown {
  try {
    return JSON.parse(utf8Strict.decode(bytes));
  } catch (e) {
    return fail(reason, `${what} is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** An object with exactly `keys` (all required). */
export function obj(x: unknown, what: string, keys: readonly string[], reason: FakeReason = "bad-encoding", optional: readonly string[] = []): JsonObject {
  if (typeof x !== "object" || x === null || Array.isArray(x)) fail(reason, `${what} is not an object`);
  const extra = Object.keys(x).filter((k) => !keys.includes(k) && !optional.includes(k));
  if (extra.length > 0) fail(reason, `${what} has unknown keys ${extra.join(", ")}`);
  const missing = keys.filter((k) => !Object.hasOwn(x, k));
  if (missing.length > 0) fail(reason, `${what} lacks ${missing.join(", ")}`);
  return x as JsonObject;
}

export function arr(x: unknown, what: string, reason: FakeReason = "bad-encoding"): unknown[] {
  if (!Array.isArray(x)) fail(reason, `${what} is not an array`);
  return x;
}

/** A non-negative JSON safe integer. */
export function safeInt(x: unknown, what: string, reason: FakeReason = "bad-encoding"): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) fail(reason, `${what} is not a non-negative safe integer`);
  return x;
}

/** A non-negative integer written as a decimal string (no leading zeros), below 2^64 unless `digits` says more. */
export function decimal(x: unknown, what: string, reason: FakeReason = "bad-encoding", digits = 20): bigint {
  if (typeof x !== "string" || !new RegExp(`^(0|[1-9][0-9]{0,${digits - 1}})$`).test(x)) fail(reason, `${what} is not a decimal integer string`);
  const v = BigInt(x);
  if (digits === 20 && v >= 1n << 64n) fail(reason, `${what} is not below 2^64`);
  return v;
}

/** Lowercase hex of exactly `bytes` bytes (any even length when omitted). */
export function hexBytes(x: unknown, what: string, bytes?: number, reason: FakeReason = "bad-encoding"): Uint8Array {
  const pattern = bytes === undefined ? /^([0-9a-f]{2})*$/ : new RegExp(`^[0-9a-f]{${2 * bytes}}$`);
  if (typeof x !== "string" || !pattern.test(x)) fail(reason, `${what} is not ${bytes === undefined ? "" : `${bytes} bytes of `}lowercase hex`);
  return Uint8Array.from(Buffer.from(x, "hex"));
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
