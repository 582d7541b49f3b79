/**
 * CometBFT RPC answers reshaped into the SDK's cosmos.base.tendermint.v1beta1 JSON: hashes and
 * addresses from hex to base64 (empty ones null), `parts` as `part_set_header`, block id flags by
 * enum name, times as jsonpb writes Timestamps, validator keys as Any, consensus addresses in
 * bech32 (`<prefix>valcons`), every field present as EmitDefaults writes it.
 */
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

export interface CometBlock {
  header: CometHeader;
  data: { txs: string[] | null };
  evidence: { evidence: Array<{ type: string; value: unknown }> | null };
  last_commit: {
    height: string;
    round: number;
    block_id: CometBlockId;
    signatures: Array<{ block_id_flag: number; validator_address: string; timestamp: string; signature: string | null }> | null;
  } | null;
}

export interface CometValidator {
  address: string;
  pub_key: { type: string; value: string };
  voting_power: string;
  proposer_priority: string;
}

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

/** Hex (CometBFT's bytes in JSON) as base64; empty as null, as Go's nil bytes. */
export function hexToBase64(hex: string | null | undefined): string | null {
  return hex ? Buffer.from(hex, "hex").toString("base64") : null;
}

/** RFC 3339 with the fraction jsonpb writes (0, 3, 6 or 9 digits) instead of CometBFT's trimmed one. */
export function jsonpbTime(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) return time;
  const fraction = (m[2] ?? "").padEnd(9, "0").replace(/(000)+$/, "");
  return `${m[1]}${fraction === "" ? "" : `.${fraction}`}Z`;
}

export function blockId(id: CometBlockId): object {
  return { hash: hexToBase64(id.hash), part_set_header: { total: id.parts.total, hash: hexToBase64(id.parts.hash) } };
}

const BLOCK_ID_FLAGS = ["BLOCK_ID_FLAG_UNKNOWN", "BLOCK_ID_FLAG_ABSENT", "BLOCK_ID_FLAG_COMMIT", "BLOCK_ID_FLAG_NIL"];
/** CometBFT's evidence types in JSON and the fields of tendermint.types.Evidence's oneof. */
const EVIDENCE_FIELDS: Record<string, string> = {
  "tendermint/DuplicateVoteEvidence": "duplicate_vote_evidence",
  "tendermint/LightClientAttackEvidence": "light_client_attack_evidence",
};

/**
 * A block as tendermint.types.Block's JSON (`block`), or as the SDK's own Block (`sdk_block`), whose
 * only difference is the proposer's address in bech32.
 */
export function blockJson(block: CometBlock, proposer: "bytes" | "bech32"): object {
  const h = block.header;
  const c = block.last_commit;
  return {
    header: {
      version: { block: h.version.block, app: h.version.app ?? "0" },
      chain_id: h.chain_id,
      height: h.height,
      time: jsonpbTime(h.time),
      last_block_id: blockId(h.last_block_id),
      last_commit_hash: hexToBase64(h.last_commit_hash),
      data_hash: hexToBase64(h.data_hash),
      validators_hash: hexToBase64(h.validators_hash),
      next_validators_hash: hexToBase64(h.next_validators_hash),
      consensus_hash: hexToBase64(h.consensus_hash),
      app_hash: hexToBase64(h.app_hash),
      last_results_hash: hexToBase64(h.last_results_hash),
      evidence_hash: hexToBase64(h.evidence_hash),
      proposer_address: proposer === "bech32" ? consensusAddress(h.proposer_address) : hexToBase64(h.proposer_address),
    },
    data: { txs: block.data.txs ?? [] },
    // The evidence's own fields stay as CometBFT writes them.
    evidence: { evidence: (block.evidence.evidence ?? []).map((e) => ({ [EVIDENCE_FIELDS[e.type] ?? e.type]: e.value })) },
    last_commit:
      c === null
        ? null
        : {
            height: c.height,
            round: c.round,
            block_id: blockId(c.block_id),
            signatures: (c.signatures ?? []).map((s) => ({
              block_id_flag: BLOCK_ID_FLAGS[s.block_id_flag] ?? String(s.block_id_flag),
              validator_address: hexToBase64(s.validator_address),
              timestamp: jsonpbTime(s.timestamp),
              signature: s.signature || null,
            })),
          },
  };
}

/** A consensus address (hex) in bech32, or null when empty. */
export function consensusAddress(hex: string): string | null {
  return hex ? toBech32(VALCONS_PREFIX, Buffer.from(hex, "hex")) : null;
}

const PUBKEY_TYPES: Record<string, string> = {
  "tendermint/PubKeyEd25519": "/cosmos.crypto.ed25519.PubKey",
  "tendermint/PubKeySecp256k1": "/cosmos.crypto.secp256k1.PubKey",
};

export function validatorJson(v: CometValidator): object {
  return {
    address: consensusAddress(v.address),
    pub_key: { "@type": PUBKEY_TYPES[v.pub_key.type] ?? v.pub_key.type, key: v.pub_key.value },
    voting_power: v.voting_power,
    proposer_priority: v.proposer_priority,
  };
}

export function defaultNodeInfoJson(n: CometNodeInfo): object {
  return {
    protocol_version: { p2p: n.protocol_version.p2p, block: n.protocol_version.block, app: n.protocol_version.app },
    default_node_id: n.id,
    listen_addr: n.listen_addr,
    network: n.network,
    version: n.version,
    channels: hexToBase64(n.channels),
    moniker: n.moniker,
    other: { tx_index: n.other.tx_index, rpc_address: n.other.rpc_address },
  };
}
