/**
 * ed25519 verification with CometBFT's rules (ZIP-215), fast. OpenSSL (node:crypto) is tried first
 * and @noble/curves' ZIP-215 verification only when OpenSSL says no: whatever OpenSSL accepts, ZIP-215
 * accepts too (it requires S < L like OpenSSL, allows every point encoding OpenSSL allows, and its
 * cofactored equation holds wherever OpenSSL's cofactorless one does), so the answer is always
 * exactly ZIP-215's, and honest signatures cost an OpenSSL verification (bench/tendermint.ts).
 */
import { createPublicKey, verify as opensslVerify, type KeyObject } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";

/** DER SubjectPublicKeyInfo prefix of an ed25519 key (RFC 8410); the 32 key bytes follow. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** Validator keys repeat header after header: their parsed keys are kept, up to this many. */
const KEY_CACHE_SIZE = 4096;
const keys = new Map<string, KeyObject | null>();

function opensslKey(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey).toString("hex");
  let key = keys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    } catch {
      key = null; // an encoding OpenSSL refuses may still be a ZIP-215 point
    }
    if (keys.size >= KEY_CACHE_SIZE) keys.clear();
    keys.set(id, key);
  }
  return key;
}

export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const key = opensslKey(publicKey);
  if (key !== null && opensslVerify(null, message, key, signature)) return true;
  return ed25519.verify(signature, message, publicKey, { zip215: true });
}
