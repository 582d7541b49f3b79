import fc from "fast-check";
import { Secp256k1 as CosmjsSecp256k1, sha256 as cosmjsSha256 } from "@cosmjs/crypto";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import {
  KeyObjectCache,
  SECP256K1_HALF_N,
  SECP256K1_N,
  compressedPubkeyToSpki,
  isCanonicalSignature,
  isValidCompressedPubkey,
  publicKeyFromPrivate,
  signSecp256k1,
  verifyNoble,
  verifyNative,
  verifyNodeCrypto,
  verifySignature,
  type Secp256k1Verifier,
} from "./secp256k1";

const candidates: Array<[string, Secp256k1Verifier]> = [
  ["noble", verifyNoble],
  ["node crypto", (p, s, m) => verifyNodeCrypto(p, s, m)],
  ["node crypto (no cache)", (p, s, m) => verifyNodeCrypto(p, s, m, new KeyObjectCache(1))],
  ["native addon", verifyNative],
  ["verifySignature (production)", verifySignature],
];

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"));
const toBytes32 = (v: bigint): Uint8Array => hex(v.toString(16).padStart(64, "0"));
const bytesToBig = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = Uint8Array.from(sig);
  out.set(toBytes32(s), 32);
  return out;
}
function withR(sig: Uint8Array, r: bigint): Uint8Array {
  const out = Uint8Array.from(sig);
  out.set(toBytes32(r), 0);
  return out;
}

// deterministic keys
const sk1 = hex("0101010101010101010101010101010101010101010101010101010101010101");
const sk2 = hex("c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00");
const pk1 = publicKeyFromPrivate(sk1);
const pk2 = publicKeyFromPrivate(sk2);
const msg = utf8('{"account_number":"0","chain_id":"peg-1"}');
const sig1 = signSecp256k1(sk1, msg);
const highS = withS(sig1, SECP256K1_N - bytesToBig(sig1.subarray(32)));

/** An x coordinate with no point on the curve: the compressed "key" is malformed. */
function offCurveKey(): Uint8Array {
  for (let x = 1n; ; x++) {
    const candidate = new Uint8Array(33);
    candidate[0] = 0x02;
    candidate.set(toBytes32(x), 1);
    if (!isValidCompressedPubkey(candidate)) return candidate;
  }
}

interface Vector {
  name: string;
  pubkey: Uint8Array;
  signature: Uint8Array;
  message: Uint8Array;
  valid: boolean;
}

const emptyMsgSig = signSecp256k1(sk2, new Uint8Array());
const uncompressed = noble.getPublicKey(sk1, false);

const vectors: Vector[] = [
  { name: "valid", pubkey: pk1, signature: sig1, message: msg, valid: true },
  { name: "valid, second key, empty message", pubkey: pk2, signature: emptyMsgSig, message: new Uint8Array(), valid: true },
  { name: "valid, 64 KiB message", pubkey: pk2, signature: signSecp256k1(sk2, new Uint8Array(65536).fill(7)), message: new Uint8Array(65536).fill(7), valid: true },
  { name: "high-S (n - s)", pubkey: pk1, signature: highS, message: msg, valid: false },
  { name: "tampered message", pubkey: pk1, signature: sig1, message: utf8('{"account_number":"1","chain_id":"peg-1"}'), valid: false },
  { name: "wrong key", pubkey: pk2, signature: sig1, message: msg, valid: false },
  { name: "tampered r", pubkey: pk1, signature: withR(sig1, bytesToBig(sig1.subarray(0, 32)) ^ 1n), message: msg, valid: false },
  { name: "r = 0", pubkey: pk1, signature: withR(sig1, 0n), message: msg, valid: false },
  { name: "s = 0", pubkey: pk1, signature: withS(sig1, 0n), message: msg, valid: false },
  { name: "r = n", pubkey: pk1, signature: withR(sig1, SECP256K1_N), message: msg, valid: false },
  { name: "r = r + n (overflow)", pubkey: pk1, signature: withR(sig1, (bytesToBig(sig1.subarray(0, 32)) + SECP256K1_N) % 2n ** 256n), message: msg, valid: false },
  { name: "s = n", pubkey: pk1, signature: withS(sig1, SECP256K1_N), message: msg, valid: false },
  { name: "s = 2^256 - 1", pubkey: pk1, signature: withS(sig1, 2n ** 256n - 1n), message: msg, valid: false },
  { name: "signature 63 bytes", pubkey: pk1, signature: sig1.subarray(0, 63), message: msg, valid: false },
  { name: "signature 65 bytes", pubkey: pk1, signature: Uint8Array.from([...sig1, 0]), message: msg, valid: false },
  { name: "signature empty", pubkey: pk1, signature: new Uint8Array(), message: msg, valid: false },
  { name: "DER signature", pubkey: pk1, signature: noble.Signature.fromBytes(sig1, "compact").toBytes("der"), message: msg, valid: false },
  { name: "pubkey 32 bytes", pubkey: pk1.subarray(1), signature: sig1, message: msg, valid: false },
  { name: "pubkey uncompressed (65 bytes)", pubkey: uncompressed, signature: sig1, message: msg, valid: false },
  { name: "pubkey prefix 0x04 with 33 bytes", pubkey: Uint8Array.from([0x04, ...pk1.subarray(1)]), signature: sig1, message: msg, valid: false },
  { name: "pubkey x not on curve", pubkey: offCurveKey(), signature: sig1, message: msg, valid: false },
  { name: "pubkey x >= p", pubkey: Uint8Array.from([0x02, ...new Uint8Array(32).fill(0xff)]), signature: sig1, message: msg, valid: false },
  { name: "pubkey all zero", pubkey: new Uint8Array(33), signature: sig1, message: msg, valid: false },
  { name: "pubkey with flipped parity", pubkey: Uint8Array.from([pk1[0] === 2 ? 3 : 2, ...pk1.subarray(1)]), signature: sig1, message: msg, valid: false },
];

describe("secp256k1 verifiers agree on the shared vectors", () => {
  const table = vectors.flatMap((v) => candidates.map(([cname, fn]) => ({ ...v, cname, fn })));
  it.each(table)("$cname: $name → $valid", ({ fn, pubkey, signature, message, valid }) => {
    expect(fn(pubkey, signature, message)).toBe(valid);
  });

  it("the high-S vector is the mirror of a valid signature (same r, s' = n - s > n/2)", () => {
    expect(highS.subarray(0, 32)).toEqual(sig1.subarray(0, 32));
    expect(bytesToBig(highS.subarray(32))).toBeGreaterThan(SECP256K1_HALF_N);
    // without the low-S rule the mirrored signature is mathematically valid: the rule is what rejects it
    expect(noble.verify(highS, msg, pk1, { lowS: false })).toBe(true);
  });

  it("never throws on inputs of the wrong type", () => {
    const junk = [undefined, null, 5, "abc", {}, [1, 2, 3]] as unknown as Uint8Array[];
    for (const [, fn] of candidates.filter(([n]) => n !== "native addon")) {
      for (const j of junk) {
        expect(fn(j, sig1, msg)).toBe(false);
        expect(fn(pk1, j, msg)).toBe(false);
        expect(fn(pk1, sig1, j)).toBe(false);
      }
    }
  });
});

describe("random keys and messages", () => {
  it("all candidates accept fresh signatures and reject their high-S mirror and a flipped message bit", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => noble.utils.isValidSecretKey(k)),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(),
        (sk, message, bit) => {
          const pk = publicKeyFromPrivate(sk);
          const sig = signSecp256k1(sk, message);
          const mirrored = withS(sig, SECP256K1_N - bytesToBig(sig.subarray(32)));
          const flipped = Uint8Array.from(message.length ? message : [0]);
          flipped[bit % flipped.length]! ^= 1 << bit % 8;
          for (const [, fn] of candidates) {
            expect(fn(pk, sig, message)).toBe(true);
            expect(fn(pk, mirrored, message)).toBe(false);
            if (message.length) expect(fn(pk, sig, flipped)).toBe(false);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("signing", () => {
  it("produces the same deterministic low-S signature as @cosmjs/crypto", async () => {
    for (const sk of [sk1, sk2]) {
      const ours = signSecp256k1(sk, msg);
      const theirs = await CosmjsSecp256k1.createSignature(cosmjsSha256(msg), sk);
      expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(theirs.toFixedLength().subarray(0, 64)).toString("hex"));
      expect(isCanonicalSignature(ours)).toBe(true);
      const cosmjsPub = CosmjsSecp256k1.compressPubkey((await CosmjsSecp256k1.makeKeypair(sk)).pubkey);
      expect(publicKeyFromPrivate(sk)).toEqual(cosmjsPub);
    }
  });
});

describe("KeyObjectCache", () => {
  it("builds one KeyObject per key, caches it, and evicts the least recently used beyond its bound", () => {
    const cache = new KeyObjectCache(2);
    const k3 = publicKeyFromPrivate(hex("03".repeat(32)));
    expect(cache.get(pk1)).not.toBeNull();
    expect(cache.get(pk2)).not.toBeNull();
    expect(cache.get(pk1)).not.toBeNull(); // hit, pk1 now most recent
    expect(cache.hits).toBe(1);
    cache.get(k3); // evicts pk2
    expect(cache.size).toBe(2);
    cache.get(pk1);
    expect(cache.hits).toBe(2);
    cache.get(pk2);
    expect(cache.misses).toBe(4);
  });

  it("caches invalid points as null", () => {
    const cache = new KeyObjectCache(4);
    const bad = offCurveKey();
    expect(cache.get(bad)).toBeNull();
    expect(cache.get(bad)).toBeNull();
    expect(cache.hits).toBe(1);
  });

  it("encodes the SPKI DER that node reads back as the same compressed key", () => {
    const der = compressedPubkeyToSpki(pk1);
    expect(der.length).toBe(56);
    const cache = new KeyObjectCache(1);
    const key = cache.get(pk1)!;
    const jwk = key.export({ format: "jwk" });
    expect(jwk.crv).toBe("secp256k1");
    const x = Buffer.from(jwk.x!, "base64url");
    expect(x.equals(Buffer.from(pk1.subarray(1)))).toBe(true);
  });
});
