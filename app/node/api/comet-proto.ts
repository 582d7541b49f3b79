/**
 * CometBFT RPC answers (JSON: hex hashes and addresses, `parts`, numeric flags, trimmed times)
 * decoded into the protobuf messages of the SDK's cosmos.base.tendermint.v1beta1 service: what its
 * gRPC methods answer and its REST routes render as jsonpb. Consensus addresses of the SDK's own
 * types are bech32 (`<prefix>valcons`), keys are Any.
 */
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
import { PubKey as Secp256k1PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import type { Block as SdkBlock, Header as SdkHeader } from "cosmjs-types/cosmos/base/tendermint/v1beta1/types";
import type { Validator as SdkValidator } from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import type { DefaultNodeInfo } from "cosmjs-types/tendermint/p2p/types";
import type { Block } from "cosmjs-types/tendermint/types/block";
import type { Evidence } from "cosmjs-types/tendermint/types/evidence";
import type { BlockID, Commit, Header, Vote } from "cosmjs-types/tendermint/types/types";
import type { Validator } from "cosmjs-types/tendermint/types/validator";
import { ADDRESS_PREFIX, toBech32 } from "../../../chain/crypto/address";

export const VALCONS_PREFIX = `${ADDRESS_PREFIX}valcons`;

export interface CometBlockId {
  hash: string;
  parts: { total: number; hash: string };
}

export interface CometHeader {
  version: { block: string; app?: string };
  chain_id: string;
  height: string;
  time: string;
  last_block_id: CometBlockId;
  last_commit_hash: string;
  data_hash: string;
  validators_hash: string;
  next_validators_hash: string;
  consensus_hash: string;
  app_hash: string;
  last_results_hash: string;
  evidence_hash: string;
  proposer_address: string;
}

export interface CometCommit {
  height: string;
  round: number;
  block_id: CometBlockId;
  signatures: Array<{ block_id_flag: number; validator_address: string; timestamp: string; signature: string | null }> | null;
}

export interface CometBlock {
  header: CometHeader;
  data: { txs: string[] | null };
  evidence: { evidence: CometEvidence[] | null };
  last_commit: CometCommit | null;
}

export interface CometPubKey {
  type: string;
  value: string;
}

export interface CometValidator {
  address: string;
  pub_key: CometPubKey;
  voting_power: string;
  proposer_priority: string;
}

interface CometVote {
  type: number;
  height: string;
  round: number;
  block_id: CometBlockId;
  timestamp: string;
  validator_address: string;
  validator_index: number;
  signature: string | null;
  extension?: string | null;
  extension_signature?: string | null;
}

export type CometEvidence =
  | { type: "tendermint/DuplicateVoteEvidence"; value: { vote_a: CometVote; vote_b: CometVote; total_voting_power: string; validator_power: string; timestamp: string } }
  | {
      type: "tendermint/LightClientAttackEvidence";
      value: {
        conflicting_block: { signed_header: { header: CometHeader; commit: CometCommit }; validator_set: { validators: CometValidator[] | null; proposer: CometValidator | null } };
        common_height: string;
        byzantine_validators: CometValidator[] | null;
        total_voting_power: string;
        timestamp: string;
      };
    };

export interface CometNodeInfo {
  protocol_version: { p2p: string; block: string; app: string };
  id: string;
  listen_addr: string;
  network: string;
  version: string;
  channels: string;
  moniker: string;
  other: { tx_index: string; rpc_address: string };
}

const hex = (text: string | null | undefined): Uint8Array => Buffer.from(text ?? "", "hex");
const base64 = (text: string | null | undefined): Uint8Array => Buffer.from(text ?? "", "base64");

/** An RFC 3339 time (CometBFT trims its fraction) as a Timestamp, to the nanosecond. */
export function timestamp(text: string): Timestamp {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) throw new Error(`CometBFT gave an unreadable time ${JSON.stringify(text)}`);
  return { seconds: BigInt(Date.parse(`${m[1]}Z`) / 1000), nanos: Number((m[2] ?? "").padEnd(9, "0")) };
}

export function blockIdProto(id: CometBlockId): BlockID {
  return { hash: hex(id.hash), partSetHeader: { total: id.parts.total, hash: hex(id.parts.hash) } };
}

function headerProto(h: CometHeader): Header {
  return {
    version: { block: BigInt(h.version.block), app: BigInt(h.version.app ?? 0) },
    chainId: h.chain_id,
    height: BigInt(h.height),
    time: timestamp(h.time),
    lastBlockId: blockIdProto(h.last_block_id),
    lastCommitHash: hex(h.last_commit_hash),
    dataHash: hex(h.data_hash),
    validatorsHash: hex(h.validators_hash),
    nextValidatorsHash: hex(h.next_validators_hash),
    consensusHash: hex(h.consensus_hash),
    appHash: hex(h.app_hash),
    lastResultsHash: hex(h.last_results_hash),
    evidenceHash: hex(h.evidence_hash),
    proposerAddress: hex(h.proposer_address),
  };
}

function commitProto(c: CometCommit): Commit {
  return {
    height: BigInt(c.height),
    round: c.round,
    blockId: blockIdProto(c.block_id),
    signatures: (c.signatures ?? []).map((s) => ({ blockIdFlag: s.block_id_flag, validatorAddress: hex(s.validator_address), timestamp: timestamp(s.timestamp), signature: base64(s.signature) })),
  };
}

function voteProto(v: CometVote): Vote {
  return {
    type: v.type,
    height: BigInt(v.height),
    round: v.round,
    blockId: blockIdProto(v.block_id),
    timestamp: timestamp(v.timestamp),
    validatorAddress: hex(v.validator_address),
    validatorIndex: v.validator_index,
    signature: base64(v.signature),
    extension: base64(v.extension),
    extensionSignature: base64(v.extension_signature),
  };
}

/** A validator as tendermint.types.Validator (in light-client evidence). */
function cometValidatorProto(v: CometValidator): Validator {
  const key = base64(v.pub_key.value);
  return {
    address: hex(v.address),
    pubKey: v.pub_key.type === "tendermint/PubKeySecp256k1" ? { secp256k1: key } : { ed25519: key },
    votingPower: BigInt(v.voting_power),
    proposerPriority: BigInt(v.proposer_priority),
  };
}

function evidenceProto(e: CometEvidence): Evidence {
  if (e.type === "tendermint/DuplicateVoteEvidence") {
    const d = e.value;
    return {
      duplicateVoteEvidence: { voteA: voteProto(d.vote_a), voteB: voteProto(d.vote_b), totalVotingPower: BigInt(d.total_voting_power), validatorPower: BigInt(d.validator_power), timestamp: timestamp(d.timestamp) },
    };
  }
  const l = e.value;
  const validators = (l.conflicting_block.validator_set.validators ?? []).map(cometValidatorProto);
  return {
    lightClientAttackEvidence: {
      conflictingBlock: {
        signedHeader: { header: headerProto(l.conflicting_block.signed_header.header), commit: commitProto(l.conflicting_block.signed_header.commit) },
        validatorSet: {
          validators,
          proposer: l.conflicting_block.validator_set.proposer === null ? undefined : cometValidatorProto(l.conflicting_block.validator_set.proposer),
          totalVotingPower: validators.reduce((sum, v) => sum + v.votingPower, 0n),
        },
      },
      commonHeight: BigInt(l.common_height),
      byzantineValidators: (l.byzantine_validators ?? []).map(cometValidatorProto),
      totalVotingPower: BigInt(l.total_voting_power),
      timestamp: timestamp(l.timestamp),
    },
  };
}

export function blockProto(block: CometBlock): Block {
  return {
    header: headerProto(block.header),
    data: { txs: (block.data.txs ?? []).map(base64) },
    evidence: { evidence: (block.evidence.evidence ?? []).map(evidenceProto) },
    lastCommit: block.last_commit === null ? undefined : commitProto(block.last_commit),
  };
}

/** The SDK's own Block: the same, with the proposer's consensus address in bech32. */
export function sdkBlockProto(block: CometBlock): SdkBlock {
  const { header, ...rest } = blockProto(block);
  const sdkHeader: SdkHeader = { ...(header as Header), proposerAddress: consensusAddress(block.header.proposer_address) };
  return { header: sdkHeader, ...rest };
}

/** A consensus address (hex) in bech32, or "" when empty. */
export function consensusAddress(hexAddress: string): string {
  return hexAddress ? toBech32(VALCONS_PREFIX, hex(hexAddress)) : "";
}

const PUBKEYS: Record<string, (key: Uint8Array) => Any> = {
  "tendermint/PubKeyEd25519": (key) => ({ typeUrl: Ed25519PubKey.typeUrl, value: Ed25519PubKey.encode({ key }).finish() }),
  "tendermint/PubKeySecp256k1": (key) => ({ typeUrl: Secp256k1PubKey.typeUrl, value: Secp256k1PubKey.encode({ key }).finish() }),
};

export function validatorProto(v: CometValidator): SdkValidator {
  const key = base64(v.pub_key.value);
  return {
    address: consensusAddress(v.address),
    pubKey: PUBKEYS[v.pub_key.type]?.(key) ?? { typeUrl: v.pub_key.type, value: key },
    votingPower: BigInt(v.voting_power),
    proposerPriority: BigInt(v.proposer_priority),
  };
}

export function nodeInfoProto(n: CometNodeInfo): DefaultNodeInfo {
  return {
    protocolVersion: { p2p: BigInt(n.protocol_version.p2p), block: BigInt(n.protocol_version.block), app: BigInt(n.protocol_version.app) },
    defaultNodeId: n.id,
    listenAddr: n.listen_addr,
    network: n.network,
    version: n.version,
    channels: hex(n.channels),
    moniker: n.moniker,
    other: { txIndex: n.other.tx_index, rpcAddress: n.other.rpc_address },
  };
}
