import { createHash, createPublicKey, verify as opensslVerify } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { verifyEd25519 } from "./ed25519";

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const mod = (x: bigint) => ((x % L) + L) % L;
const leBytesToBigint = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).reverse().toString("hex") || "0"}`);
const bigintTo32Le = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, "0"), "hex").reverse());
const secret = (label: string) => createHash("sha256").update(label).digest();

/** The torsion (small-order) component of a curve point: [L]P, computed as [L-1]P + P. */
function torsionPoint() {
  for (let y = 2n; ; y++) {
    try {
      const p = Point.fromBytes(bigintTo32Le(y));
      const t = p.multiplyUnsafe(L - 1n).add(p);
      if (!t.is0()) return t;
    } catch {
      // y is not on the curve
    }
  }
}

/**
 * A signature whose R carries a torsion component: [S]B = R - T + [k]A, so the cofactorless check
 * (OpenSSL) refuses it and the cofactored one (ZIP-215, as CometBFT) accepts it.
 */
function torsionSignature(message: Uint8Array) {
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(secret("zip215 key"));
  const r = mod(leBytesToBigint(secret("zip215 nonce")));
  const R = Point.BASE.multiply(r).add(torsionPoint());
  const Rb = R.toBytes();
  const Ab = A.toBytes();
  const k = mod(leBytesToBigint(createHash("sha512").update(Rb).update(Ab).update(message).digest()));
  const S = mod(r + k * a);
  return { signature: Uint8Array.from([...Rb, ...bigintTo32Le(S)]), publicKey: Ab };
}

describe("verifyEd25519: OpenSSL first, ZIP-215 when it refuses, always ZIP-215's answer", () => {
  const message = new TextEncoder().encode("vote sign bytes");

  test("a signature only the cofactored (ZIP-215) equation accepts is accepted, as by CometBFT", () => {
    const { signature, publicKey } = torsionSignature(message);
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey]);
    // OpenSSL's cofactorless equation refuses it: the fast path alone would not do.
    expect(opensslVerify(null, message, createPublicKey({ key: spki, format: "der", type: "spki" }), signature)).toBe(false);
    expect(ed25519.verify(signature, message, publicKey, { zip215: true })).toBe(true);
    expect(verifyEd25519(signature, message, publicKey)).toBe(true);
  });

  test("S at or above the group order is refused (ZIP-215 requires canonical S)", () => {
    const key = secret("key");
    const sig = ed25519.sign(message, key);
    const s = leBytesToBigint(sig.subarray(32));
    const forged = Uint8Array.from([...sig.subarray(0, 32), ...bigintTo32Le(s + L)]);
    expect(verifyEd25519(forged, message, ed25519.getPublicKey(key))).toBe(false);
  });

  test("wrong lengths are refused without throwing", () => {
    const key = secret("key");
    const sig = ed25519.sign(message, key);
    expect(verifyEd25519(sig.subarray(1), message, ed25519.getPublicKey(key))).toBe(false);
    expect(verifyEd25519(sig, message, ed25519.getPublicKey(key).subarray(1))).toBe(false);
  });

  test("property: the same answer as @noble/curves' ZIP-215 verification, for honest and tampered signatures", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), fc.nat(63), fc.boolean(), (key, msg, byte, tamper) => {
        const sig = ed25519.sign(msg, key);
        if (tamper) sig[byte] ^= 1;
        const pub = ed25519.getPublicKey(key);
        expect(verifyEd25519(sig, msg, pub)).toBe(ed25519.verify(sig, msg, pub, { zip215: true }));
      }),
      { numRuns: 300 },
    );
  });
});
