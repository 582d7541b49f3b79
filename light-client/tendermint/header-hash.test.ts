import { describeWithVectors as describeVectors, readVectorJson as readJson, singleStepBlocks, toHexUpper as HEX } from "../../test/support/tendermint-vectors";
import { decodeHeader, decodeSignedHeader } from "./decode";
import { headerHash, headerLeaves } from "./header-hash";
import { merkleRoot } from "./merkle";
import { type Header, ZERO_TIME } from "./types";

describeVectors("header hashes of published headers", () => {
  const derived = readJson("cometbft-v0.38.26-derived.json");

  test("types/block_test.go TestHeaderHash (every field set)", () => {
    const entry = Object.entries(derived).find(([k]) => k.startsWith("header_hash"))![1] as { hash: string; header_json: unknown };
    expect(HEX(headerHash(decodeHeader(entry.header_json)))).toBe(entry.hash);
  });

  test("kvstore height 10: the hash the commit signs, and the version and last_block_id leaves CometBFT encodes", () => {
    const v = derived.kvstore_v0_38_commit_h10;
    const { header, commit } = decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
    expect(HEX(headerHash(header))).toBe(v.header_hash);
    expect(HEX(commit.blockId.hash)).toBe(v.header_hash);
    const leaves = headerLeaves(header);
    expect(Buffer.from(leaves[0]).toString("hex")).toBe(v.version_proto);
    expect(Buffer.from(leaves[4]).toString("hex")).toBe(v.last_block_id_proto);
  });

  test.each(["block_at_height_1.json", "block_at_height_10.json"])("kvstore %s: the header hashes to the block id", (file) => {
    const { block, block_id } = readJson(`rpc_v0_38_kvstore/${file}`).result;
    expect(HEX(headerHash(decodeHeader(block.header)))).toBe(block_id.hash);
  });

  test("every header of the single-step files hashes to the block id its commit signs", () => {
    let n = 0;
    for (const [file, b] of singleStepBlocks()) {
      const sh = decodeSignedHeader(b.signed_header);
      expect([file, HEX(headerHash(sh.header))]).toEqual([file, HEX(sh.commit.blockId.hash)]);
      n++;
    }
    expect(n).toBe(105);
  });
});

describe("headerLeaves", () => {
  const h32 = (x: number) => new Uint8Array(32).fill(x);
  const header: Header = {
    version: { block: 11n, app: 0n },
    chainId: "",
    height: 0n,
    time: 0n,
    lastBlockId: { hash: new Uint8Array(0), partSetHeader: { total: 0, hash: new Uint8Array(0) } },
    lastCommitHash: new Uint8Array(0),
    dataHash: new Uint8Array(0),
    validatorsHash: h32(1),
    nextValidatorsHash: new Uint8Array(0),
    consensusHash: new Uint8Array(0),
    appHash: new Uint8Array(0),
    lastResultsHash: new Uint8Array(0),
    evidenceHash: new Uint8Array(0),
    proposerAddress: new Uint8Array(0),
  };

  test("zero and empty fields are empty leaves; an empty BlockID still carries its part set header; version app 0 is omitted", () => {
    const leaves = headerLeaves(header).map((l) => Buffer.from(l).toString("hex"));
    expect(leaves).toEqual(["080b", "", "", "", "1200", "", "", "0a20" + "01".repeat(32), "", "", "", "", "", ""]);
    expect(headerHash(header)).toEqual(merkleRoot(headerLeaves(header)));
  });

  test("a time before 1970 has negative seconds (ten-byte varint) and positive nanos", () => {
    const leaf = headerLeaves({ ...header, time: ZERO_TIME + 5n })[3];
    expect(Buffer.from(leaf).toString("hex")).toBe("088092b8c398feffffff01" + "1005");
  });

  test("changing any one of the 14 fields changes the hash", () => {
    const base = headerHash(header);
    const variants: Header[] = [
      { ...header, version: { block: 11n, app: 1n } },
      { ...header, chainId: "a" },
      { ...header, height: 1n },
      { ...header, time: 1n },
      { ...header, lastBlockId: { ...header.lastBlockId, partSetHeader: { total: 1, hash: new Uint8Array(0) } } },
      { ...header, lastCommitHash: h32(2) },
      { ...header, dataHash: h32(2) },
      { ...header, validatorsHash: h32(2) },
      { ...header, nextValidatorsHash: h32(2) },
      { ...header, consensusHash: h32(2) },
      { ...header, appHash: Uint8Array.of(0) },
      { ...header, lastResultsHash: h32(2) },
      { ...header, evidenceHash: h32(2) },
      { ...header, proposerAddress: new Uint8Array(20) },
    ];
    const hashes = new Set(variants.map((v) => HEX(headerHash(v))));
    expect(hashes.size).toBe(14);
    expect(hashes.has(HEX(base))).toBe(false);
  });
});
