/**
 * secp256k1 signature verification throughput, one core (everything runs on the main thread).
 *
 * Workload: `keyCount` distinct keys, each with one signature over a distinct ~250-byte message
 * (the size of a small bank send's sign bytes); the set is verified round after round until the
 * time budget is used. Candidates:
 *  - @noble/curves (pure JS), lowS enforced;
 *  - Node crypto (OpenSSL) with a cold KeyObject cache: a KeyObject is built for every verification;
 *  - Node crypto with a warm KeyObject cache (every key already cached, as for repeat senders);
 *  - the native `secp256k1` addon (libsecp256k1; the production verifier), sha256 by node:crypto.
 *
 * Run directly: `npx tsc -p tsconfig.bench.json && node .bench-build/bench/secp256k1.js` (or via ts-node/swc-node).
 */
import { createHash } from "node:crypto";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import type { BenchResult } from "./result";
import { opsPerSecond, printResults } from "./result";
import { KeyObjectCache, signSecp256k1, verifyNoble, verifyNodeCrypto } from "../chain/crypto/secp256k1";

interface Vector {
  pubkey: Uint8Array;
  signature: Uint8Array;
  message: Uint8Array;
}

export interface BenchSecp256k1Options {
  /** Distinct keys (and signatures) in the working set. Default 1,000. */
  keyCount?: number;
  /** Time spent measuring each candidate, in milliseconds. Default 2,000. */
  durationMs?: number;
}

type Verify = (v: Vector) => boolean;

/** Loads the native addon if it is installed and built; undefined otherwise. */
function loadNative(): { ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pub: Uint8Array): boolean } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("secp256k1/bindings") as { ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pub: Uint8Array): boolean };
    return mod;
  } catch {
    return undefined;
  }
}

function makeVectors(count: number): Vector[] {
  const vectors: Vector[] = [];
  for (let i = 0; i < count; i++) {
    const { secretKey } = noble.keygen();
    const pubkey = noble.getPublicKey(secretKey, true);
    const message = new Uint8Array(250);
    crypto.getRandomValues(message);
    vectors.push({ pubkey, signature: signSecp256k1(secretKey, message), message });
  }
  return vectors;
}

function measure(vectors: Vector[], verify: Verify, durationMs: number): number {
  // also checks every vector verifies
  for (const v of vectors) if (!verify(v)) throw new Error("bench: a valid signature did not verify");
  return vectors.length * opsPerSecond(() => vectors.forEach(verify), durationMs);
}

export async function benchSecp256k1(options: BenchSecp256k1Options = {}): Promise<BenchResult[]> {
  const keyCount = options.keyCount ?? 1_000;
  const durationMs = options.durationMs ?? 2_000;
  const vectors = makeVectors(keyCount);
  const note = `${keyCount} distinct keys, 250-byte messages, 1 core`;
  const results: BenchResult[] = [];
  const round = (x: number): number => Math.round(x);

  results.push({
    name: "secp256k1 verify: @noble/curves (lowS)",
    value: round(measure(vectors, (v) => verifyNoble(v.pubkey, v.signature, v.message), durationMs)),
    unit: "verifications/s",
    note,
  });

  // Cold: a cache of one entry that the keys keep evicting, so every call builds a KeyObject.
  const cold = new KeyObjectCache(1);
  results.push({
    name: "secp256k1 verify: node crypto, KeyObject built per call",
    value: round(measure(vectors, (v) => verifyNodeCrypto(v.pubkey, v.signature, v.message, cold), durationMs)),
    unit: "verifications/s",
    note,
  });

  const warm = new KeyObjectCache(keyCount * 2);
  for (const v of vectors) warm.get(v.pubkey);
  results.push({
    name: "secp256k1 verify: node crypto, warm KeyObject cache",
    value: round(measure(vectors, (v) => verifyNodeCrypto(v.pubkey, v.signature, v.message, warm), durationMs)),
    unit: "verifications/s",
    note,
  });

  const native = loadNative();
  if (native) {
    const verifyNative: Verify = (v) => {
      const digest = createHash("sha256").update(v.message).digest();
      try {
        return native.ecdsaVerify(v.signature, digest, v.pubkey);
      } catch {
        return false;
      }
    };
    results.push({
      name: "secp256k1 verify: native secp256k1 addon (production)",
      value: round(measure(vectors, verifyNative, durationMs)),
      unit: "verifications/s",
      note,
    });
  }
  return results;
}

if (require.main === module) {
  benchSecp256k1()
    .then((results) => printResults("secp256k1 signature verification", results))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
