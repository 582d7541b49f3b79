import { ed25519 } from "@noble/curves/ed25519.js";
import { describeWithVectors as describeVectors, fromHex as unhex, readVectorJson as readJson, toHex as hex } from "../../test/support/tendermint-vectors";
import { decodeCommit, decodeSignedHeader } from "./decode";
import { commitSignBytes, PRECOMMIT_TYPE, voteSignBytes } from "./sign-bytes";
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_NIL, type Commit, ZERO_TIME } from "./types";

describeVectors("vote sign bytes from CometBFT v0.38.26 (cometbft-v0.38.26-derived.json)", () => {
  const derived = readJson("cometbft-v0.38.26-derived.json");
  const key = Object.keys(derived).find((k) => k.startsWith("vote_sign_bytes"))!;
  const cases: { chain_id: string; type: number; height: number; round: number; sign_bytes: string }[] = derived[key] ?? [];

  test.each(cases.map((c) => [`type ${c.type}, height ${c.height}, round ${c.round}, chain "${c.chain_id}"`, c] as const))(
    "TestVoteSignBytesTestVectors: %s (zero time, no block id)",
    (_, c) => {
      const bytes = voteSignBytes({ type: c.type, height: BigInt(c.height), round: BigInt(c.round), timestamp: ZERO_TIME, chainId: c.chain_id });
      expect(hex(bytes)).toBe(c.sign_bytes);
    },
  );

  test("the kvstore commit at height 10: its signature's sign bytes, and the signature verifies over them", () => {
    const v = derived.kvstore_v0_38_commit_h10;
    const sh = decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
    const bytes = commitSignBytes(v.chain_id, sh.commit, 0);
    expect(hex(bytes)).toBe(v.vote_sign_bytes);
    expect(hex(sh.commit.signatures[0].signature)).toBe(v.signature);
    expect(ed25519.verify(unhex(v.signature), bytes, unhex(v.validator_pubkey), { zip215: true })).toBe(true);
    expect(ed25519.verify(unhex(v.signature), commitSignBytes("otherchain", sh.commit, 0), unhex(v.validator_pubkey))).toBe(false);
  });

  test("block 10's last commit (height 9) verifies too: a second real signature", () => {
    const v = derived.kvstore_v0_38_commit_h10;
    const commit = decodeCommit(readJson("rpc_v0_38_kvstore/block_at_height_10.json").result.block.last_commit);
    expect(commit.height).toBe(9n);
    expect(ed25519.verify(commit.signatures[0].signature, commitSignBytes(v.chain_id, commit, 0), unhex(v.validator_pubkey))).toBe(true);
  });
});

describe("voteSignBytes layout", () => {
  const blockId = { hash: new Uint8Array(32).fill(0xaa), partSetHeader: { total: 3, hash: new Uint8Array(32).fill(0xbb) } };
  const base = { type: PRECOMMIT_TYPE, height: 5n, round: 2n, timestamp: 1_000_000_001n, chainId: "c" };

  test("a uvarint length prefix, then the CanonicalVote fields in order with sfixed64 height and round", () => {
    const b = voteSignBytes({ ...base, blockId });
    expect(b[0]).toBe(b.length - 1);
    expect(hex(b.subarray(1, 21))).toBe("0802" + "110500000000000000" + "190200000000000000");
    // block_id (4): hash (1), part_set_header (2) {total (1), hash (2)}
    expect(hex(b.subarray(21, 25))).toBe("22480a20");
    // timestamp (5): 1 s and 1 ns; chain_id (6)
    expect(hex(b.subarray(b.length - 9))).toBe("2a0408011001" + "3201" + hex(Buffer.from("c")));
  });

  test("a nil vote, an undefined or a zero block id all omit block_id", () => {
    const zero = { hash: new Uint8Array(0), partSetHeader: { total: 0, hash: new Uint8Array(0) } };
    const none = voteSignBytes(base);
    expect(voteSignBytes({ ...base, blockId: zero })).toEqual(none);
    expect(hex(none)).not.toContain("2248");
  });

  test("a block id with a hash but an empty part set header still writes the (non-nullable) part set header", () => {
    const b = voteSignBytes({ ...base, blockId: { hash: blockId.hash, partSetHeader: { total: 0, hash: new Uint8Array(0) } } });
    expect(hex(b)).toContain("22240a20" + "aa".repeat(32) + "1200");
  });

  test("a 128-byte vote gets a two-byte length prefix", () => {
    const b = voteSignBytes({ ...base, blockId, chainId: "x".repeat(60) });
    expect(b.length - 2).toBeGreaterThanOrEqual(128);
    expect((b[0] & 0x7f) + b[1] * 128).toBe(b.length - 2);
  });

  test("a commit signature signs the commit's block id only with flag COMMIT", () => {
    const commit = (flag: 1 | 2 | 3): Commit => ({
      height: 5n,
      round: 2,
      blockId,
      signatures: [{ blockIdFlag: flag, validatorAddress: new Uint8Array(20), timestamp: flag === BLOCK_ID_FLAG_ABSENT ? ZERO_TIME : 1_000_000_001n, signature: new Uint8Array(64) }],
    });
    expect(commitSignBytes("c", commit(2), 0)).toEqual(voteSignBytes({ ...base, blockId }));
    expect(commitSignBytes("c", commit(BLOCK_ID_FLAG_NIL), 0)).toEqual(voteSignBytes(base));
    expect(commitSignBytes("c", commit(BLOCK_ID_FLAG_ABSENT), 0)).toEqual(voteSignBytes({ ...base, timestamp: ZERO_TIME }));
  });
});
