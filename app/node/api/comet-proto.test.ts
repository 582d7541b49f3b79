/**
 * CometBFT's RPC JSON decoded into the SDK's tendermint service messages, checked against a real
 * gaiad's answers: each recorded block, validator set and node info is turned back into the form
 * CometBFT's RPC gives (hex, `parts`, numeric flags, no zero app version), decoded here, encoded
 * as protobuf and rendered as jsonpb, and must give the recording's JSON text exactly, with
 * pegzone's own bech32 prefix for consensus addresses.
 */
import { bech32 } from "@scure/base";
import * as tm from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import { DefaultNodeInfo } from "cosmjs-types/tendermint/p2p/types";
import { Block } from "cosmjs-types/tendermint/types/block";
import { describeWithRestVectors, restVector } from "../../../test/support/rest-vectors";
import { blockIdProto, blockProto, nodeInfoProto, sdkBlockProto, timestamp, validatorProto, VALCONS_PREFIX, type CometBlock, type CometNodeInfo } from "./comet-proto";
import { cosmjsType, protoJson, rfc3339 } from "./proto-json";
import { pegzoneTypes } from "./type-registry";

const types = pegzoneTypes();
const render = <T extends object>(codec: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T; toJSON(m: T): unknown }, message: T) => protoJson(cosmjsType(codec), codec.encode(message).finish(), types);

type Json = any;
const hex = (b64: string | null) => (b64 === null ? "" : Buffer.from(b64, "base64").toString("hex").toUpperCase());
const cometBlockId = (id: Json) => ({ hash: hex(id.hash), parts: { total: id.part_set_header.total, hash: hex(id.part_set_header.hash) } });
const FLAGS = ["BLOCK_ID_FLAG_UNKNOWN", "BLOCK_ID_FLAG_ABSENT", "BLOCK_ID_FLAG_COMMIT", "BLOCK_ID_FLAG_NIL"];

/** The SDK's block JSON as CometBFT's /block writes the same block. */
function asComet(block: Json): CometBlock {
  const h = block.header;
  const hashes = ["last_commit_hash", "data_hash", "validators_hash", "next_validators_hash", "consensus_hash", "app_hash", "last_results_hash", "evidence_hash", "proposer_address"];
  return {
    header: {
      ...h,
      version: h.version.app === "0" ? { block: h.version.block } : h.version,
      last_block_id: cometBlockId(h.last_block_id),
      ...Object.fromEntries(hashes.map((k) => [k, hex(h[k])])),
    },
    data: block.data,
    evidence: block.evidence,
    last_commit: {
      height: block.last_commit.height,
      round: block.last_commit.round,
      block_id: cometBlockId(block.last_commit.block_id),
      signatures: block.last_commit.signatures.map((s: Json) => ({ block_id_flag: FLAGS.indexOf(s.block_id_flag), validator_address: hex(s.validator_address), timestamp: s.timestamp, signature: s.signature })),
    },
  };
}

/** A recorded cosmosvalcons address with pegzone's prefix. */
const ourValcons = (address: string) => bech32.encode(VALCONS_PREFIX, bech32.decode(address as `${string}1${string}`).words);

describeWithRestVectors("CometBFT answers reshaped as gaiad's REST server wrote them", () => {
  test.each(["tm_block_2", "tm_block_latest"])("%s: block_id, block, and sdk_block with the proposer in bech32", (name) => {
    const recorded = restVector(name);
    const comet = asComet(recorded.block);
    const ours = render(tm.GetBlockByHeightResponse, { blockId: blockIdProto(cometBlockId(recorded.block_id)), block: blockProto(comet), sdkBlock: sdkBlockProto(comet) });
    const expected = structuredClone(recorded);
    expected.sdk_block.header.proposer_address = ourValcons(recorded.sdk_block.header.proposer_address);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(expected));
    // the SDK's bech32 proposer is the same 20 bytes as the block's
    expect(Buffer.from(bech32.fromWords(bech32.decode(recorded.sdk_block.header.proposer_address).words)).toString("base64")).toBe(recorded.block.header.proposer_address);
  });

  test("tm_validatorsets_latest: consensus addresses in bech32, keys as Any", () => {
    const recorded = restVector("tm_validatorsets_latest");
    const v = recorded.validators[0];
    const address = Buffer.from(bech32.fromWords(bech32.decode(v.address).words)).toString("hex").toUpperCase();
    const validator = validatorProto({ address, pub_key: { type: "tendermint/PubKeyEd25519", value: v.pub_key.key }, voting_power: v.voting_power, proposer_priority: v.proposer_priority });
    const ours = render(tm.GetLatestValidatorSetResponse, { blockHeight: BigInt(recorded.block_height), validators: [validator], pagination: { nextKey: new Uint8Array(), total: 1n } });
    expect(JSON.stringify(ours.validators)).toBe(JSON.stringify([{ ...v, address: ourValcons(v.address) }]));
  });

  test("tm_node_info: default_node_info (channels from hex to base64)", () => {
    const recorded = restVector("tm_node_info").default_node_info;
    const comet: CometNodeInfo = { ...recorded, id: recorded.default_node_id, channels: hex(recorded.channels) };
    expect(JSON.stringify(render(DefaultNodeInfo, nodeInfoProto(comet)))).toBe(JSON.stringify(recorded));
  });
});

describe("decoding details", () => {
  test.each([
    ["2026-12-07T05:34:21.286Z", "2026-12-07T05:34:21.286Z"],
    ["2026-12-07T05:34:23.1543Z", "2026-12-07T05:34:23.154300Z"],
    ["2026-12-07T05:34:23.154350692Z", "2026-12-07T05:34:23.154350692Z"],
    ["2026-12-07T05:34:23.5Z", "2026-12-07T05:34:23.500Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
  ])("CometBFT's time %s is %s in jsonpb", (comet, sdk) => {
    const t = timestamp(comet);
    expect(rfc3339(t.seconds, t.nanos)).toBe(sdk);
  });

  test("an unreadable time is refused", () => expect(() => timestamp("yesterday")).toThrow(/unreadable time/));

  test("the first block: empty hashes are null, an absent commit's flag and signature too", () => {
    const json = render(
      Block,
      blockProto({
        header: { version: { block: "11" }, chain_id: "c", height: "1", time: "2026-01-01T00:00:00Z", last_block_id: { hash: "", parts: { total: 0, hash: "" } }, last_commit_hash: "", data_hash: "", validators_hash: "AA", next_validators_hash: "AA", consensus_hash: "AA", app_hash: "", last_results_hash: "", evidence_hash: "", proposer_address: "0102" },
        data: { txs: null },
        evidence: { evidence: null },
        last_commit: { height: "0", round: 0, block_id: { hash: "", parts: { total: 0, hash: "" } }, signatures: [{ block_id_flag: 1, validator_address: "", timestamp: "0001-01-01T00:00:00Z", signature: null }] },
      }),
    ) as Json;
    expect(json.header.last_block_id).toEqual({ hash: null, part_set_header: { total: 0, hash: null } });
    expect(json.header.app_hash).toBeNull();
    expect(json.header.version).toEqual({ block: "11", app: "0" });
    expect(json.data).toEqual({ txs: [] });
    expect(json.evidence).toEqual({ evidence: [] });
    expect(json.last_commit.signatures).toEqual([{ block_id_flag: "BLOCK_ID_FLAG_ABSENT", validator_address: null, timestamp: "0001-01-01T00:00:00Z", signature: null }]);
  });

  test("evidence of a double sign: the oneof member that is set, the votes with their fields", () => {
    const vote = (hash: string) => ({ type: 2, height: "7", round: 0, block_id: { hash, parts: { total: 1, hash: "CD" } }, timestamp: "2026-01-01T00:00:01Z", validator_address: "0102", validator_index: 0, signature: "c2ln" });
    const block: CometBlock = {
      header: { version: { block: "11" }, chain_id: "c", height: "8", time: "2026-01-01T00:00:02Z", last_block_id: { hash: "", parts: { total: 0, hash: "" } }, last_commit_hash: "", data_hash: "", validators_hash: "AA", next_validators_hash: "AA", consensus_hash: "AA", app_hash: "", last_results_hash: "", evidence_hash: "EE", proposer_address: "0102" },
      data: { txs: null },
      evidence: { evidence: [{ type: "tendermint/DuplicateVoteEvidence", value: { vote_a: vote("AA"), vote_b: vote("BB"), total_voting_power: "30", validator_power: "10", timestamp: "2026-01-01T00:00:01Z" } }] },
      last_commit: null,
    };
    const json = render(Block, blockProto(block)) as Json;
    expect(json.evidence.evidence).toHaveLength(1);
    expect(Object.keys(json.evidence.evidence[0])).toEqual(["duplicate_vote_evidence"]);
    expect(json.evidence.evidence[0].duplicate_vote_evidence).toMatchObject({ total_voting_power: "30", validator_power: "10", vote_a: { type: "SIGNED_MSG_TYPE_PRECOMMIT", height: "7", block_id: { hash: "qg==" }, validator_address: "AQI=", signature: "c2ln" } });
    expect(json.last_commit).toBeNull();
  });
});
