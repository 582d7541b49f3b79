import { SignedHeader as ProtoSignedHeader } from "cosmjs-types/tendermint/types/types";
import { ValidatorSet as ProtoValidatorSet } from "cosmjs-types/tendermint/types/validator";
import fc from "fast-check";
import { reasonOfSync } from "../../test/support/tendermint";
import { describeWithVectors as describeVectors, readVectorJson as readJson, singleStepBlocks } from "../../test/support/tendermint-vectors";
import {
  decodeCommit,
  decodeGenesisValidators,
  decodeHeader,
  decodeSignedHeader,
  decodeValidatorSet,
  parseTime,
  signedHeaderFromBytes,
  signedHeaderToBytes,
  signedHeaderToProto,
  validatorSetFromBytes,
  validatorSetToBytes,
  validatorSetToProto,
} from "./decode";
import { BLOCK_ID_FLAG_ABSENT, formatTime, MAX_TIME, MIN_TIME, parseRfc3339, ZERO_TIME } from "./types";

const reasonOf = (f: () => unknown) => reasonOfSync(f, undefined);

describeVectors("decoding the published RPC answers", () => {
  test("kvstore /commit at height 10 (PartSetHeader as `parts`)", () => {
    const { header, commit } = decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
    expect([header.chainId, header.height, header.version]).toEqual(["dockerchain", 10n, { block: 11n, app: 1n }]);
    expect(formatTime(header.time)).toBe("2023-05-17T14:12:53.088875124Z");
    expect(header.lastBlockId.partSetHeader.total).toBe(1);
    expect(header.appHash).toEqual(new Uint8Array(8));
    expect([commit.height, commit.round, commit.signatures.length]).toEqual([10n, 0, 1]);
    expect(formatTime(commit.signatures[0].timestamp)).toBe("2023-05-17T14:12:53.605374524Z");
  });

  test("kvstore genesis validators (`power`, not `voting_power`)", () => {
    const set = decodeGenesisValidators(readJson("rpc_v0_38_kvstore/genesis.json").result.genesis);
    expect(set.totalVotingPower).toBe(10n);
    expect(Buffer.from(set.validators[0].address).toString("hex").toUpperCase()).toBe("2DD9F44FD9067555C322243C3C913BA7B51D2BE0");
  });

  test("single-step files (PartSetHeader as `part_set_header`, null last_block_id, absent signatures at 1970): all decode", () => {
    let absent = 0;
    for (const [, b] of singleStepBlocks()) {
      const { commit, header } = decodeSignedHeader(b.signed_header);
      expect(header.lastBlockId.hash).toHaveLength(0);
      expect(commit.blockId.partSetHeader.total).toBe(1);
      for (const s of commit.signatures.filter((s) => s.blockIdFlag === BLOCK_ID_FLAG_ABSENT)) {
        expect(s.timestamp).toBe(ZERO_TIME);
        absent++;
      }
    }
    expect(absent).toBe(37);
  });

  test("protobuf round trip: every single-step signed header and non-empty validator set, and the kvstore ones", () => {
    const blocks = singleStepBlocks();
    for (const [file, b] of blocks) {
      const sh = decodeSignedHeader(b.signed_header);
      expect([file, signedHeaderFromBytes(signedHeaderToBytes(sh))]).toEqual([file, sh]);
      for (const key of ["validator_set", "next_validator_set"]) {
        const json = b[key] as { validators: unknown[] } | undefined;
        if (json === undefined || json.validators.length === 0) continue;
        const set = decodeValidatorSet(json);
        expect([file, validatorSetFromBytes(validatorSetToBytes(set))]).toEqual([file, set]);
      }
    }
    const kv = decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
    expect(signedHeaderFromBytes(signedHeaderToBytes(kv))).toEqual(kv);
  });

  test("an absent signature goes on the wire with Go's zero time, as CometBFT writes it", () => {
    const [, b] = singleStepBlocks().find(([, b]) => JSON.stringify(b).includes('"block_id_flag":1'))!;
    const proto = signedHeaderToProto(decodeSignedHeader(b.signed_header));
    const sig = proto.commit!.signatures.find((s) => s.blockIdFlag === 1)!;
    expect(sig.timestamp).toEqual({ seconds: -62_135_596_800n, nanos: 0 });
  });
});

describe("refusals at the edge", () => {
  const kvHeader = {
    version: { block: "11", app: "1" },
    chain_id: "c",
    height: "10",
    time: "2023-05-17T14:12:53.088875124Z",
    last_block_id: { hash: "", parts: { total: 0, hash: "" } },
    last_commit_hash: "",
    data_hash: "",
    validators_hash: "AA".repeat(32),
    next_validators_hash: "",
    consensus_hash: "",
    app_hash: "",
    last_results_hash: "",
    evidence_hash: "",
    proposer_address: "BB".repeat(20),
  };
  const sig = { block_id_flag: 2, validator_address: "BB".repeat(20), timestamp: "2023-05-17T14:12:53Z", signature: Buffer.alloc(64, 1).toString("base64") };
  const commit = { height: "10", round: 0, block_id: { hash: "CC".repeat(32), parts: { total: 1, hash: "DD".repeat(32) } }, signatures: [sig] };
  const pubKey = { type: "tendermint/PubKeyEd25519", value: "bNNlGls5R25wC3Sd8720F/3+7IZBhXcD22MNFtPk/v0=" };
  const val = { address: "2DD9F44FD9067555C322243C3C913BA7B51D2BE0", pub_key: pubKey, voting_power: "10", proposer_priority: "0" };

  test.each([
    { name: "the well-formed base", malleate: () => decodeHeader(kvHeader), expErr: undefined },
    { name: "odd-length hex", malleate: () => decodeHeader({ ...kvHeader, data_hash: "ABC" }), expErr: "bad-encoding" },
    { name: "non-hex characters", malleate: () => decodeHeader({ ...kvHeader, data_hash: "ZZ" }), expErr: "bad-encoding" },
    { name: "a hash that is a number", malleate: () => decodeHeader({ ...kvHeader, data_hash: 12 }), expErr: "bad-encoding" },
    { name: "height above int64", malleate: () => decodeHeader({ ...kvHeader, height: "9223372036854775808" }), expErr: "bad-encoding" },
    { name: "height with a leading zero", malleate: () => decodeHeader({ ...kvHeader, height: "010" }), expErr: "bad-encoding" },
    { name: "height as an unsafe JSON number", malleate: () => decodeHeader({ ...kvHeader, height: 2 ** 53 }), expErr: "bad-encoding" },
    { name: "version block negative", malleate: () => decodeHeader({ ...kvHeader, version: { block: "-1", app: "0" } }), expErr: "bad-encoding" },
    { name: "time without a zone", malleate: () => decodeHeader({ ...kvHeader, time: "2023-05-17T14:12:53" }), expErr: "bad-encoding" },
    { name: "time with ten fractional digits", malleate: () => decodeHeader({ ...kvHeader, time: "2023-05-17T14:12:53.0123456789Z" }), expErr: "bad-encoding" },
    { name: "February 29 of a common year", malleate: () => decodeHeader({ ...kvHeader, time: "2023-02-29T00:00:00Z" }), expErr: "bad-encoding" },
    { name: "year 0", malleate: () => decodeHeader({ ...kvHeader, time: "0000-12-31T23:59:59Z" }), expErr: "bad-encoding" },
    { name: "part set total above uint32", malleate: () => decodeHeader({ ...kvHeader, last_block_id: { hash: "", parts: { total: 2 ** 32, hash: "" } } }), expErr: "bad-encoding" },
    { name: "a block id without part set header", malleate: () => decodeHeader({ ...kvHeader, last_block_id: { hash: "" } }), expErr: "bad-encoding" },
    { name: "commit: the base", malleate: () => decodeCommit(commit), expErr: undefined },
    { name: "commit: round above int32", malleate: () => decodeCommit({ ...commit, round: 2 ** 31 }), expErr: "bad-encoding" },
    { name: "commit: block_id_flag 0", malleate: () => decodeCommit({ ...commit, signatures: [{ ...sig, block_id_flag: 0 }] }), expErr: "bad-encoding" },
    { name: "commit: block_id_flag 4", malleate: () => decodeCommit({ ...commit, signatures: [{ ...sig, block_id_flag: 4 }] }), expErr: "bad-encoding" },
    { name: "commit: base64 without padding", malleate: () => decodeCommit({ ...commit, signatures: [{ ...sig, signature: sig.signature.replace(/=+$/, "") }] }), expErr: "bad-encoding" },
    { name: "commit: url-safe base64", malleate: () => decodeCommit({ ...commit, signatures: [{ ...sig, signature: "_-" + sig.signature.slice(2) }] }), expErr: "bad-encoding" },
    { name: "commit: signatures not a list", malleate: () => decodeCommit({ ...commit, signatures: {} }), expErr: "bad-encoding" },
    { name: "commit: null signatures (CometBFT's empty list)", malleate: () => decodeCommit({ ...commit, signatures: null }), expErr: undefined },
    { name: "set: the base", malleate: () => decodeValidatorSet({ validators: [val], proposer: val, total_voting_power: "10" }), expErr: undefined },
    { name: "set: a secp256k1 key", malleate: () => decodeValidatorSet({ validators: [{ ...val, pub_key: { ...pubKey, type: "tendermint/PubKeySecp256k1" } }] }), expErr: "invalid-validator-set" },
    { name: "set: an address of another key", malleate: () => decodeValidatorSet({ validators: [{ ...val, address: "BB".repeat(20) }] }), expErr: "invalid-validator-set" },
    { name: "set: a total that is not the members' sum", malleate: () => decodeValidatorSet({ validators: [val], total_voting_power: "11" }), expErr: "bad-encoding" },
    { name: "set: empty", malleate: () => decodeValidatorSet({ validators: [] }), expErr: "invalid-validator-set" },
  ])("$name → $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(malleate)).toBe(expErr);
  });

  test("protobuf: truncated bytes, a missing commit, a bad flag, nanos out of range, a secp256k1 key", () => {
    const sh = decodeSignedHeader({ header: kvHeader, commit });
    const bytes = signedHeaderToBytes(sh);
    expect(reasonOf(() => signedHeaderFromBytes(bytes.subarray(0, bytes.length - 3)))).toBe("bad-encoding");
    const proto = signedHeaderToProto(sh);
    expect(reasonOf(() => signedHeaderFromBytes(ProtoSignedHeader.encode({ header: proto.header }).finish()))).toBe("bad-encoding");
    const badFlag = { ...proto, commit: { ...proto.commit!, signatures: [{ ...proto.commit!.signatures[0], blockIdFlag: 0 }] } };
    expect(reasonOf(() => signedHeaderFromBytes(ProtoSignedHeader.encode(badFlag).finish()))).toBe("bad-encoding");
    const badNanos = { ...proto, header: { ...proto.header!, time: { seconds: 1n, nanos: 1_000_000_000 } } };
    expect(reasonOf(() => signedHeaderFromBytes(ProtoSignedHeader.encode(badNanos).finish()))).toBe("bad-encoding");
    const set = validatorSetToProto(decodeValidatorSet({ validators: [val] }));
    const secp = { ...set, validators: [{ ...set.validators[0], pubKey: { secp256k1: new Uint8Array(33) } }] };
    expect(reasonOf(() => validatorSetFromBytes(ProtoValidatorSet.encode(secp).finish()))).toBe("invalid-validator-set");
    expect(reasonOf(() => validatorSetFromBytes(ProtoValidatorSet.encode({ ...set, totalVotingPower: 9n }).finish()))).toBe("bad-encoding");
  });
});

describe("times", () => {
  test.each([
    ["0001-01-01T00:00:00Z", ZERO_TIME],
    ["1970-01-01T00:00:00Z", 0n],
    ["1969-12-31T23:59:59.999999999Z", -1n],
    ["2000-02-29T12:00:00.5Z", 951_825_600_500_000_000n],
    ["2000-02-29T13:30:00.5+01:30", 951_825_600_500_000_000n],
    ["9999-12-31T23:59:59.999999999Z", MAX_TIME],
  ])("%s is %s ns", (s, t) => {
    expect(parseTime(s, "t")).toBe(t);
  });

  test("property: formatTime and parseRfc3339 are inverse over the whole Timestamp range", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_TIME, max: MAX_TIME }), (t) => {
        expect(parseRfc3339(formatTime(t))).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });
});
