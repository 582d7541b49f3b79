/**
 * Transaction inclusion against a verified header's `data_hash` (CometBFT `types/tx.go` TxProof).
 * The data tree's leaves are the tx hashes sha256(tx), not the txs: a leaf is leafHash(sha256(tx)),
 * so the proof's `leaf_hash` must be exactly that and its `data` exactly the tx. Inclusion says
 * nothing about success — a failed tx is in `data_hash` too; see proof-results.ts for that.
 */
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { bytesEqual } from "../../chain/store/bytes";
import { sha256 } from "../../chain/store/sha256";
import { leafHash, type MerkleProof, verifyMerkleProof } from "./merkle";
import { fail } from "./errors";
import { array, base64Bytes, field, hexBytes, type Json, safeInt, toHexUpper } from "./proof-json";

export interface TxProof {
  /** The root the proof claims; must equal the verified header's data_hash. */
  readonly rootHash: Uint8Array;
  /** The proven tx itself. */
  readonly data: Uint8Array;
  readonly proof: MerkleProof;
}

export interface TxInclusion {
  /** sha256(tx), uppercase hex, as CometBFT displays tx hashes. */
  readonly txHash: string;
  /**
   * Position and block size as the proof claims them. Only the proof's path is authenticated (see
   * `MerkleProof`), so a relayer can restate them: never key anything on them — deduplicate by txHash.
   */
  readonly index: number;
  readonly total: number;
}

/** The TxProof of `/tx?prove=true` and `tx_search` (root_hash hex, data and hashes base64, ints as strings). */
export function decodeTxProofJson(json: Json): TxProof {
  const p = field(json, "proof", "tx proof");
  return {
    rootHash: hexBytes(field(json, "root_hash", "tx proof"), "root_hash"),
    data: base64Bytes(field(json, "data", "tx proof"), "data"),
    proof: {
      total: safeInt(field(p, "total", "proof"), "proof.total"),
      index: safeInt(field(p, "index", "proof"), "proof.index"),
      leafHash: base64Bytes(field(p, "leaf_hash", "proof"), "proof.leaf_hash"),
      // Go omits an empty aunt list (omitempty): a one-tx block has none.
      aunts: array(field(p, "aunts", "proof") ?? [], "proof.aunts").map((a, i) => base64Bytes(a, `proof.aunts[${i}]`)),
    },
  };
}

/** The protobuf `tendermint.types.TxProof`. */
export function decodeTxProofProto(bytes: Uint8Array): TxProof {
  let msg: TxProofProto;
  try {
    msg = TxProofProto.decode(bytes);
  } catch (e) {
    fail("bad-encoding", `TxProof protobuf: ${(e as Error).message}`);
  }
  if (msg.proof === undefined) fail("bad-encoding", "TxProof without a proof");
  return {
    rootHash: msg.rootHash,
    data: msg.data,
    proof: {
      total: safeInt(msg.proof.total, "proof.total"),
      index: safeInt(msg.proof.index, "proof.index"),
      leafHash: msg.proof.leafHash,
      aunts: msg.proof.aunts,
    },
  };
}

/**
 * `TxProof.Validate(dataHash)` plus the check that it proves `tx`: the header's hash first (the
 * cheapest refusal for a proof from another block), then the tx bytes, the leaf, the Merkle path.
 */
export function verifyTxProof(tx: Uint8Array, txProof: TxProof, dataHash: Uint8Array): TxInclusion {
  if (!bytesEqual(txProof.rootHash, dataHash)) fail("root-mismatch", "the tx proof is for another data_hash");
  if (!bytesEqual(txProof.data, tx)) fail("tx-mismatch", "the tx proof proves another tx");
  const hash = sha256(tx);
  if (!bytesEqual(txProof.proof.leafHash, leafHash(hash))) fail("leaf-mismatch", "leaf_hash is not leafHash(sha256(tx))");
  verifyMerkleProof(txProof.proof, dataHash);
  return { txHash: toHexUpper(hash), index: txProof.proof.index, total: txProof.proof.total };
}

/** The protobuf `tendermint.types.TxProof` the client takes (a relayer re-encodes /tx's JSON proof into). */
export function txProofToBytes(p: TxProof): Uint8Array {
  const { total, index, leafHash, aunts } = p.proof;
  return TxProofProto.encode({ rootHash: p.rootHash, data: p.data, proof: { total: BigInt(total), index: BigInt(index), leafHash, aunts: [...aunts] } }).finish();
}
