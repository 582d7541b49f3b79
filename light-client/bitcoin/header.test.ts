import fc from "fast-check";
import { fromDisplayHex, fromHex, toDisplayHex, toHex } from "./bytes";
import { blockHash, blockHashHex, decodeHeader, encodeHeader, HEADER_SIZE } from "./header";
import { NETWORKS } from "./params";
import { describeVectors, readmeBlocks, readVector, reasonOf } from "../../test/support/bitcoin";

describeVectors("headers of the real blocks in shared/vectors/bitcoin", () => {
  const rows = readmeBlocks();

  test("the README lists every block file", () => {
    expect(rows.map((r) => r.file).sort()).toEqual([
      "block1.raw",
      "block300025.raw",
      "block426884.raw",
      "block482683.raw",
      "testnet3-block1087400.raw",
      "testnet3-block928816.raw",
    ]);
  });

  test.each(readmeBlocks().map((r) => [r.file, r] as const))("%s: size, hash and merkle root as in the README", (_file, row) => {
    const raw = readVector(row.file);
    expect(raw.length).toBe(row.bytes);
    const header = decodeHeader(raw.subarray(0, HEADER_SIZE));
    expect(blockHashHex(raw.subarray(0, HEADER_SIZE))).toBe(row.hash);
    expect(toDisplayHex(blockHash(header))).toBe(row.hash);
    expect(toDisplayHex(header.merkleRoot)).toBe(row.merkleRoot);
    // the codec is exact: re-encoding gives the bytes back
    expect(encodeHeader(header)).toEqual(raw.subarray(0, HEADER_SIZE));
  });

  test("block 1 links to the mainnet genesis and decodes its fields", () => {
    const h = decodeHeader(readVector("block1.raw").subarray(0, 80));
    expect(toDisplayHex(h.prevBlock)).toBe(NETWORKS[0].genesisHash);
    expect(h).toMatchObject({ version: 1, time: 1231469665, bits: 0x1d00ffff, nonce: 2573394689 });
  });

  test("merkle300025.raw carries block 300025's header", () => {
    const mb = readVector("merkle300025.raw");
    expect(blockHashHex(mb.subarray(0, 80))).toBe(rows.find((r) => r.file === "block300025.raw")!.hash);
  });
});

describe("header codec", () => {
  test("genesis headers of every network hash to the published genesis hashes", () => {
    for (const net of NETWORKS) expect([net.name, blockHashHex(net.genesis)]).toEqual([net.name, net.genesisHash]);
  });

  test("round-trips any 80 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 80, maxLength: 80 }), (raw) => {
        expect(encodeHeader(decodeHeader(raw))).toEqual(raw);
        expect(blockHash(decodeHeader(raw))).toEqual(blockHash(raw));
      }),
    );
  });

  test("version is a signed int32", () => {
    const raw = encodeHeader({ ...NETWORKS[0].genesis, version: -1 });
    expect(toHex(raw.subarray(0, 4))).toBe("ffffffff");
    expect(decodeHeader(raw).version).toBe(-1);
  });

  const genesis = NETWORKS[0].genesis;
  test.each([
    { name: "79-byte header", run: () => decodeHeader(new Uint8Array(79)), expErr: "bad-length" },
    { name: "81-byte header", run: () => decodeHeader(new Uint8Array(81)), expErr: "bad-length" },
    { name: "empty header", run: () => decodeHeader(new Uint8Array(0)), expErr: "bad-length" },
    { name: "hash of 81 bytes", run: () => blockHash(new Uint8Array(81)), expErr: "bad-length" },
    { name: "31-byte prevBlock", run: () => encodeHeader({ ...genesis, prevBlock: new Uint8Array(31) }), expErr: "bad-length" },
    { name: "33-byte merkleRoot", run: () => encodeHeader({ ...genesis, merkleRoot: new Uint8Array(33) }), expErr: "bad-length" },
    { name: "time above uint32", run: () => encodeHeader({ ...genesis, time: 2 ** 32 }), expErr: "bad-field" },
    { name: "negative bits", run: () => encodeHeader({ ...genesis, bits: -1 }), expErr: "bad-field" },
    { name: "fractional nonce", run: () => encodeHeader({ ...genesis, nonce: 1.5 }), expErr: "bad-field" },
    { name: "version above int32", run: () => encodeHeader({ ...genesis, version: 2 ** 31 }), expErr: "bad-field" },
    { name: "display hash of 63 chars", run: () => fromDisplayHex("0".repeat(63)), expErr: "bad-length" },
  ])("rejects $name", ({ run, expErr }) => {
    expect(reasonOf(run)).toBe(expErr);
  });

  test("display hex is the byte-reversed internal order", () => {
    const internal = fromHex("6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
    expect(toDisplayHex(internal)).toBe("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    expect(fromDisplayHex(toDisplayHex(internal))).toEqual(internal);
  });
});
