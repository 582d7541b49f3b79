/**
 * secp256k1 ECDSA as Cosmos uses it: the signed digest is sha256(message), signatures are the
 * 64-byte concatenation r||s (big-endian), and only low-S signatures (s <= n/2) are valid, so a
 * signature cannot be malleated into a second valid one by replacing s with n - s.
 *
 * Three verifiers are kept, all held to the same vectors by the tests:
 *  - `verifyNative`: libsecp256k1 through the `secp256k1` addon; about 5× faster than OpenSSL
 *    and 20× faster than pure JS on this machine (bench/secp256k1.ts, docs/performance.md).
 *  - `verifyNodeCrypto`: Node's built-in OpenSSL through `crypto.verify`, with one KeyObject per
 *    public key kept in a bounded cache.
 *  - `verifyNoble`: pure-JS @noble/curves with lowS enforced.
 * Each applies the shape, range and low-S checks here first, whatever its library would accept.
 * `verifySignature` is the one chosen by measurement: the native addon.
 *
 * Verifiers never throw on bad input: malformed keys or signatures simply do not verify.
 */
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { ecdsaVerify } from "secp256k1";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";

/** Order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** floor(n / 2): the largest s a canonical (low-S) signature may have. */
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

const N_BYTES = bigintTo32Bytes(SECP256K1_N);
const HALF_N_BYTES = bigintTo32Bytes(SECP256K1_HALF_N);

export type Secp256k1Verifier = (pubkey33: Uint8Array, signature64: Uint8Array, message: Uint8Array) => boolean;

/** True if `pubkey` has the shape of a compressed secp256k1 point (33 bytes, 0x02/0x03 prefix). Does not check it is on the curve. */
export function isCompressedPubkeyShape(pubkey: unknown): pubkey is Uint8Array {
  return pubkey instanceof Uint8Array && pubkey.length === 33 && (pubkey[0] === 0x02 || pubkey[0] === 0x03);
}

/** True if `pubkey` is a valid compressed secp256k1 point (on the curve, not the identity). */
export function isValidCompressedPubkey(pubkey: unknown): pubkey is Uint8Array {
  if (!isCompressedPubkeyShape(pubkey)) return false;
  try {
    secp256k1.Point.fromBytes(pubkey).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * The checks every verifier applies before any curve arithmetic: 64 bytes, 1 <= r < n and
 * 1 <= s <= n/2 (low-S). Done on bytes, without bigint conversions.
 */
export function isCanonicalSignature(signature64: unknown): signature64 is Uint8Array {
  if (!(signature64 instanceof Uint8Array) || signature64.length !== 64) return false;
  // r: non-zero and < n
  if (isZero(signature64, 0) || compare32(signature64, 0, N_BYTES) >= 0) return false;
  // s: non-zero and <= n/2
  if (isZero(signature64, 32) || compare32(signature64, 32, HALF_N_BYTES) > 0) return false;
  return true;
}

/** Verification with @noble/curves (pure JS). */
export function verifyNoble(pubkey33: Uint8Array, signature64: Uint8Array, message: Uint8Array): boolean {
  if (!isCompressedPubkeyShape(pubkey33) || !isCanonicalSignature(signature64) || !(message instanceof Uint8Array)) return false;
  try {
    return secp256k1.verify(signature64, message, pubkey33, { prehash: true, lowS: true, format: "compact" });
  } catch {
    return false;
  }
}

/**
 * DER prefix of a SubjectPublicKeyInfo holding a compressed secp256k1 point:
 * SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID secp256k1 }, BIT STRING (0 unused bits) <33 bytes> }.
 */
const SPKI_COMPRESSED_PREFIX = Uint8Array.from([
  0x30, 0x36, // SEQUENCE, 54 bytes
  0x30, 0x10, // SEQUENCE, 16 bytes
  0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // OID 1.2.840.10045.2.1 (id-ecPublicKey)
  0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, // OID 1.3.132.0.10 (secp256k1)
  0x03, 0x22, 0x00, // BIT STRING, 34 bytes, 0 unused bits
]);

/** SPKI DER encoding of a compressed secp256k1 public key, as `crypto.createPublicKey` reads it. */
export function compressedPubkeyToSpki(pubkey33: Uint8Array): Buffer {
  if (!isCompressedPubkeyShape(pubkey33)) throw new Error("expected a 33-byte compressed secp256k1 public key");
  const der = Buffer.allocUnsafe(SPKI_COMPRESSED_PREFIX.length + 33);
  der.set(SPKI_COMPRESSED_PREFIX, 0);
  der.set(pubkey33, SPKI_COMPRESSED_PREFIX.length);
  return der;
}

/**
 * A bounded map from pubkey to KeyObject (or to `null` for bytes that are no valid point).
 * Recently used entries are kept; when full, the least recently used one is dropped.
 */
export class KeyObjectCache {
  private readonly map = new Map<string, KeyObject | null>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error("KeyObjectCache: maxEntries must be a positive integer");
  }

  get size(): number {
    return this.map.size;
  }

  /** The KeyObject for `pubkey33`, or null if it is not a valid compressed point. */
  get(pubkey33: Uint8Array): KeyObject | null {
    const id = Buffer.from(pubkey33.buffer, pubkey33.byteOffset, pubkey33.byteLength).toString("latin1");
    const cached = this.map.get(id);
    if (cached !== undefined) {
      this.hits++;
      // refresh recency
      this.map.delete(id);
      this.map.set(id, cached);
      return cached;
    }
    this.misses++;
    let key: KeyObject | null;
    try {
      key = createPublicKey({ key: compressedPubkeyToSpki(pubkey33), format: "der", type: "spki" });
    } catch {
      key = null;
    }
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(id, key);
    return key;
  }

  clear(): void {
    this.map.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** The process-wide KeyObject cache used by `verifyNodeCrypto`. */
export const defaultKeyObjectCache = new KeyObjectCache(10_000);

/** Verification with Node's built-in crypto (OpenSSL), KeyObjects cached per pubkey. */
export function verifyNodeCrypto(
  pubkey33: Uint8Array,
  signature64: Uint8Array,
  message: Uint8Array,
  cache: KeyObjectCache = defaultKeyObjectCache,
): boolean {
  if (!isCompressedPubkeyShape(pubkey33) || !isCanonicalSignature(signature64) || !(message instanceof Uint8Array)) return false;
  const key = cache.get(pubkey33);
  if (key === null) return false;
  try {
    return nodeVerify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature64);
  } catch {
    return false;
  }
}

/** Verification with libsecp256k1 (the native `secp256k1` addon). */
export function verifyNative(pubkey33: Uint8Array, signature64: Uint8Array, message: Uint8Array): boolean {
  if (!isCompressedPubkeyShape(pubkey33) || !isCanonicalSignature(signature64) || !(message instanceof Uint8Array)) return false;
  try {
    return ecdsaVerify(signature64, createHash("sha256").update(message).digest(), pubkey33);
  } catch {
    return false;
  }
}

/**
 * Verifies a signature of a 32-byte digest used as is (e.g. a Bitcoin BIP143 sighash), with
 * libsecp256k1 like `verifySignature`: 64-byte r||s, low-S only; false for anything malformed.
 */
export function verifyDigest(pubkey33: Uint8Array, signature64: Uint8Array, digest32: Uint8Array): boolean {
  if (!isCompressedPubkeyShape(pubkey33) || !isCanonicalSignature(signature64) || !(digest32 instanceof Uint8Array) || digest32.length !== 32) return false;
  try {
    return ecdsaVerify(signature64, digest32, pubkey33);
  } catch {
    return false;
  }
}

/**
 * Verifies a Cosmos secp256k1 signature: sha256(message), 64-byte r||s, low-S only.
 * Returns false (never throws) for malformed keys or signatures.
 */
export const verifySignature: Secp256k1Verifier = verifyNative;

/** The compressed (33-byte) public key of a 32-byte private key. */
export function publicKeyFromPrivate(privateKey32: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey32, true);
}

/**
 * Signs sha256(message) deterministically (RFC 6979), returning a low-S 64-byte r||s signature,
 * as Cosmos keyrings and CosmJS do.
 */
export function signSecp256k1(privateKey32: Uint8Array, message: Uint8Array): Uint8Array {
  return signDigest(privateKey32, sha256(message));
}

/** Signs a 32-byte digest deterministically (RFC 6979, no extra entropy): a low-S 64-byte r||s signature. */
export function signDigest(privateKey32: Uint8Array, digest32: Uint8Array): Uint8Array {
  if (privateKey32.length !== 32 || digest32.length !== 32) throw new Error("a private key and a digest are 32 bytes each");
  const sig = secp256k1.sign(digest32, privateKey32, { prehash: false, lowS: true, format: "compact", extraEntropy: false });
  if (!isCanonicalSignature(sig)) throw new Error("internal: produced a non-canonical signature");
  return sig;
}

function isZero(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + 32; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Compares bytes[offset..offset+32] with `ref` as big-endian numbers. */
function compare32(bytes: Uint8Array, offset: number, ref: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const a = bytes[offset + i]!;
    const b = ref[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function bigintTo32Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
