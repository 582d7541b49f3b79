/** Bitcoin's hash: SHA-256 applied twice. node:crypto is the fastest option here for 64–80-byte inputs. */
import { createHash } from "node:crypto";

export function sha256d(data: Uint8Array): Uint8Array {
  const once = createHash("sha256").update(data).digest();
  return new Uint8Array(createHash("sha256").update(once).digest());
}

/** sha256d(left || right): a Merkle inner node. */
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  const once = createHash("sha256").update(left).update(right).digest();
  return new Uint8Array(createHash("sha256").update(once).digest());
}

/** sha256d of the concatenation of `parts`, without building it. */
export function sha256dParts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(createHash("sha256").update(h.digest()).digest());
}
