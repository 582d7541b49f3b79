import fc from "fast-check";
import { fromHex } from "./bytes";
import { decodeHeader, HEADER_SIZE, blockHash, encodeHeader } from "./header";
import { MAINNET, REGTEST, TESTNET3 } from "./params";
import { blockWork, checkProofOfWork, decodeCompact, encodeCompact, hashToBigInt, proofOfWorkFailure } from "./pow";
import { describeVectors, readmeBlocks, readVector } from "../../test/support/bitcoin";

const hex256 = (n: bigint) => n.toString(16).padStart(64, "0");

describe("compact targets (Bitcoin Core's arith_uint256_tests bignum_SetCompact cases)", () => {
  // [nBits, target hex, GetCompact(negative), negative, overflow]
  const cases: [number, string, number, boolean, boolean][] = [
    [0x00000000, "0", 0, false, false],
    [0x00123456, "0", 0, false, false],
    [0x01003456, "0", 0, false, false],
    [0x02000056, "0", 0, false, false],
    [0x03000000, "0", 0, false, false],
    [0x04000000, "0", 0, false, false],
    [0x00923456, "0", 0, false, false],
    [0x01803456, "0", 0, false, false],
    [0x02800056, "0", 0, false, false],
    [0x03800000, "0", 0, false, false],
    [0x04800000, "0", 0, false, false],
    [0x01123456, "12", 0x01120000, false, false],
    [0x01fedcba, "7e", 0x01fe0000, true, false],
    [0x02123456, "1234", 0x02123400, false, false],
    [0x03123456, "123456", 0x03123456, false, false],
    [0x04123456, "12345600", 0x04123456, false, false],
    [0x04923456, "12345600", 0x04923456, true, false],
    [0x05009234, "92340000", 0x05009234, false, false],
    [0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456, false, false],
  ];
  test.each(cases.map((c) => [c[0].toString(16).padStart(8, "0"), ...c] as const))("SetCompact(0x%s)", (_hex, bits, target, compact, negative, overflow) => {
    const d = decodeCompact(bits);
    expect(d).toEqual({ target: BigInt("0x" + target), negative, overflow });
    expect(encodeCompact(d.target, negative)).toBe(compact);
  });

  test("0xff123456 overflows and is not negative", () => {
    expect(decodeCompact(0xff123456)).toMatchObject({ negative: false, overflow: true });
  });

  test("GetCompact never sets the sign bit: 0x80 encodes as 0x02008000", () => {
    expect(encodeCompact(0x80n)).toBe(0x02008000);
  });

  test("the networks' powLimits encode as their well-known bits", () => {
    expect(MAINNET.powLimitBits).toBe(0x1d00ffff);
    expect(TESTNET3.powLimitBits).toBe(0x1d00ffff);
    expect(REGTEST.powLimitBits).toBe(0x207fffff);
  });

  test("encode then decode keeps the three most significant bytes of any target", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }), (t) => {
        const bits = encodeCompact(t);
        const d = decodeCompact(bits);
        expect(d.negative || d.overflow).toBe(false);
        const size = bits >>> 24;
        const unit = size > 3 ? 1n << BigInt(8 * (size - 3)) : 1n;
        expect(d.target <= t && t - d.target < unit).toBe(true);
        expect(encodeCompact(d.target)).toBe(bits); // canonical
      }),
      { numRuns: 500 },
    );
  });
});

describe("block work", () => {
  test("genesis work is 0x100010001 (Core's chainwork of block 0)", () => {
    expect(blockWork(0x1d00ffff)).toBe(0x100010001n);
  });

  test("equals Core's (~target / (target + 1)) + 1 and is 0 for invalid bits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const { target, negative, overflow } = decodeCompact(bits);
        const mask = (1n << 256n) - 1n;
        const core = negative || overflow || target === 0n ? 0n : (mask ^ target) / (target + 1n) + 1n;
        expect(blockWork(bits)).toBe(core);
      }),
      { numRuns: 500 },
    );
  });

  test("regtest's easiest target has work 2", () => {
    expect(blockWork(0x207fffff)).toBe(2n);
  });
});

describe("checkProofOfWork (Core's pow_tests CheckProofOfWork cases)", () => {
  const zeroHash = new Uint8Array(32);
  test.each([
    { name: "negative target", bits: 0x01fedcba, hash: zeroHash, want: /negative/ },
    { name: "overflowing target", bits: 0xff123456, hash: zeroHash, want: /overflows/ },
    { name: "zero target", bits: 0x00000000, hash: zeroHash, want: /zero/ },
    { name: "target easier than powLimit", bits: encodeCompact(MAINNET.powLimit * 2n), hash: zeroHash, want: /powLimit/ },
    { name: "hash above target", bits: 0x1d00ffff, hash: fromHex("ff".repeat(32)), want: /above the target/ },
  ])("rejects $name", ({ bits, hash, want }) => {
    expect(proofOfWorkFailure(hash, bits, MAINNET.powLimit)).toMatch(want);
    expect(checkProofOfWork(hash, bits, MAINNET.powLimit)).toBe(false);
  });

  test("hash equal to the target passes, one more fails", () => {
    const target = decodeCompact(0x1d00ffff).target;
    const le = (n: bigint) => fromHex(hex256(n)).reverse();
    expect(hashToBigInt(le(target))).toBe(target);
    expect(checkProofOfWork(le(target), 0x1d00ffff, MAINNET.powLimit)).toBe(true);
    expect(checkProofOfWork(le(target + 1n), 0x1d00ffff, MAINNET.powLimit)).toBe(false);
  });
});

describeVectors("proof of work of the real headers", () => {
  const cases = readmeBlocks().map((r) => [r.file, r.network.startsWith("testnet3") ? TESTNET3 : MAINNET] as const);

  test.each(cases)("%s passes with its network's powLimit", (file, net) => {
    const raw = readVector(file).subarray(0, HEADER_SIZE);
    const h = decodeHeader(raw);
    expect(proofOfWorkFailure(blockHash(raw), h.bits, net.powLimit)).toBeUndefined();
  });

  test.each(cases)("%s fails with a harder target in its bits", (file, net) => {
    const raw = readVector(file).subarray(0, HEADER_SIZE);
    const h = decodeHeader(raw);
    // 256 times harder: same mantissa, exponent one less. The real hash is (with overwhelming odds) above it.
    const harder = h.bits - 0x01000000;
    expect(proofOfWorkFailure(blockHash(raw), harder, net.powLimit)).toMatch(/above the target/);
    // and rewriting bits into the header changes the hash, which then misses even the real target
    const tampered = encodeHeader({ ...h, bits: harder });
    expect(checkProofOfWork(blockHash(tampered), h.bits, net.powLimit)).toBe(false);
  });

  test.each(cases)("%s fails once its hash is tampered (nonce + 1, or one bit of the hash flipped)", (file, net) => {
    const raw = readVector(file).subarray(0, HEADER_SIZE);
    const h = decodeHeader(raw);
    expect(checkProofOfWork(blockHash(encodeHeader({ ...h, nonce: (h.nonce + 1) >>> 0 })), h.bits, net.powLimit)).toBe(false);
    const hash = blockHash(raw);
    hash[31] ^= 0x80; // the most significant byte of the little-endian number
    expect(checkProofOfWork(hash, h.bits, net.powLimit)).toBe(false);
  });

  test("the network's powLimit bounds the target: block 300025 passes under regtest's, not under 2^100", () => {
    const raw = readVector("block300025.raw").subarray(0, HEADER_SIZE);
    const h = decodeHeader(raw);
    expect(checkProofOfWork(blockHash(raw), h.bits, REGTEST.powLimit)).toBe(true);
    expect(proofOfWorkFailure(blockHash(raw), h.bits, 1n << 100n)).toMatch(/powLimit/);
  });
});
