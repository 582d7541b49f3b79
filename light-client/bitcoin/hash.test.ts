import { createHash } from "node:crypto";
import { hashPair, sha256, sha256d, sha256dInto, sha256dParts } from "./hash";

const nodeSha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const nodeSha256d = (b: Uint8Array) => nodeSha256(nodeSha256(b));

/** Deterministic pseudo-random bytes (xorshift32). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("SHA-256 in JavaScript agrees with node:crypto", () => {
  test("FIPS 180-4 vectors", () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(new TextEncoder().encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  test("every length from 0 to 400 bytes (both the JavaScript and the node:crypto paths), sha256 and sha256d", () => {
    for (let n = 0; n <= 400; n++) {
      const b = bytes(n, n + 7);
      expect(sha256(b)).toEqual(nodeSha256(b));
      expect(sha256d(b)).toEqual(nodeSha256d(b));
    }
  });

  test("sha256dInto writes 32 bytes at the offset and nothing else; inputs may be subarrays and Buffers", () => {
    const src = bytes(300, 3);
    const out = new Uint8Array(100).fill(0xee);
    sha256dInto(src.subarray(17, 97), out, 40);
    expect(out.subarray(40, 72)).toEqual(nodeSha256d(src.subarray(17, 97)));
    expect(out.subarray(0, 40).every((x) => x === 0xee)).toBe(true);
    expect(out.subarray(72).every((x) => x === 0xee)).toBe(true);
    expect(sha256d(Buffer.from(src.subarray(0, 80)))).toEqual(nodeSha256d(src.subarray(0, 80)));
  });

  test("hashPair and sha256dParts hash the concatenation", () => {
    const l = bytes(32, 1);
    const r = bytes(32, 2);
    const both = new Uint8Array([...l, ...r]);
    expect(hashPair(l, r)).toEqual(nodeSha256d(both));
    expect(sha256dParts(l, r)).toEqual(nodeSha256d(both));
    expect(sha256dParts(bytes(150, 4), bytes(150, 5), new Uint8Array(0))).toEqual(nodeSha256d(new Uint8Array([...bytes(150, 4), ...bytes(150, 5)])));
    expect(hashPair(bytes(10, 6), bytes(20, 7))).toEqual(nodeSha256d(new Uint8Array([...bytes(10, 6), ...bytes(20, 7)])));
  });
});
