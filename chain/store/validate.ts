/**
 * Argument checks shared by every KVStore implementation.
 *
 * Keys must be non-empty Uint8Arrays. Values must be non-empty Uint8Arrays too: Cosmos forbids nil
 * values, and an empty value cannot be proven either — ICS23's applyLeaf (Go and JS alike) rejects
 * a leaf with an empty value — so `set(key, new Uint8Array(0))` throws; use `delete` instead.
 */
import { KeyRange } from "./types";

export function assertKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError(`store key must be a Uint8Array, got ${describe(key)}`);
  if (key.length === 0) throw new Error("store key must not be empty");
}

export function assertValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`store value must be a Uint8Array, got ${describe(value)} (use delete() to remove a key)`);
  if (value.length === 0) throw new Error("store value must not be empty (empty values cannot be proven with ICS23; use delete())");
}

export function assertRange(range: KeyRange | undefined): void {
  if (range === undefined) return;
  if (range.start !== undefined) assertKey(range.start);
  if (range.end !== undefined) assertKey(range.end);
  if (range.limit !== undefined && !(Number.isSafeInteger(range.limit) && range.limit >= 0)) {
    throw new Error(`iteration limit must be a non-negative integer, got ${String(range.limit)}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return typeof v;
}
