/**
 * Transaction results against `last_results_hash` (CometBFT `types/results.go`). CometBFT serves no
 * result proof, but header H+1 commits to block H's results: a simple Merkle tree whose leaves are
 * the protobuf bytes of `ExecTxResult` cut down to its deterministic fields {code, data, gas_wanted,
 * gas_used} (log, info, events and codespace are dropped before hashing). The relayer rebuilds the
 * leaves from `/block_results?height=H` (proof-results-build.ts) and sends one result and its path.
 * A tx is proven successful by its inclusion in H's data_hash AND a code-0 result at the SAME position
 * in H+1's last_results_hash (`verifyTxAndResult`): CometBFT keeps results in block order.
 */
import { ExecTxResult } from "cosmjs-types/tendermint/abci/types";
import { leafHash, merkleRoot, verifyMerkleProof } from "./merkle";
import { fail } from "./errors";
import { base64Bytes, field, int64, type Json, uint32 } from "./proof-json";
import { type TxInclusion, type TxProof, verifyTxProof } from "./proof-tx";

/** The deterministic part of an `ExecTxResult`: what last_results_hash commits to. */
export interface ExecResult {
  readonly code: number;
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
}

/** A result's place in last_results_hash; the leaf is recomputed from the result itself. */
export interface ResultProof {
  readonly total: number;
  readonly index: number;
  readonly aunts: readonly Uint8Array[];
}

/** The leaf bytes: proto3 with default values omitted, fields in number order (as gogoproto's Marshal). */
export function encodeExecResult(r: ExecResult): Uint8Array {
  return ExecTxResult.encode(ExecTxResult.fromPartial({ code: r.code, data: r.data, gasWanted: r.gasWanted, gasUsed: r.gasUsed })).finish();
}

/** `ABCIResults.Hash`: last_results_hash of the header after the block that produced `results`. */
export function resultsHash(results: readonly ExecResult[]): Uint8Array {
  return merkleRoot(results.map(encodeExecResult));
}

/** One entry of `/block_results` `txs_results` (extra fields are ignored: they are not hashed). */
export function decodeExecResultJson(json: Json): ExecResult {
  return {
    code: uint32(field(json, "code", "tx result"), "code"),
    data: base64Bytes(field(json, "data", "tx result") ?? null, "data"),
    gasWanted: int64(field(json, "gas_wanted", "tx result"), "gas_wanted"),
    gasUsed: int64(field(json, "gas_used", "tx result"), "gas_used"),
  };
}

/** Proves `result` is the index-th result under `lastResultsHash`; returns it for the caller's checks. */
export function verifyResultProof(result: ExecResult, proof: ResultProof, lastResultsHash: Uint8Array): ExecResult {
  verifyMerkleProof({ ...proof, leafHash: leafHash(encodeExecResult(result)) }, lastResultsHash);
  return { code: result.code, data: result.data, gasWanted: result.gasWanted, gasUsed: result.gasUsed };
}

/** A proven result is only a fact about what happened: code ≠ 0 means the tx failed (and still paid). */
export function requireSuccess(result: ExecResult): ExecResult {
  if (result.code !== 0) fail("tx-failed", `the tx failed with code ${result.code}`);
  return result;
}

export interface TxAndResult {
  readonly tx: Uint8Array;
  readonly txProof: TxProof;
  readonly result: ExecResult;
  readonly resultProof: ResultProof;
  /** data_hash of the verified header H that holds the tx. */
  readonly dataHash: Uint8Array;
  /** last_results_hash of the verified header H+1. */
  readonly lastResultsHash: Uint8Array;
}

/**
 * Both proofs, tied together, else a relayer could pair a tx with another tx's (successful) result.
 * The claimed (index, total) are not authenticated on their own (see `MerkleProof`), but equal claims
 * mean equal paths, and the two trees have the same size (CometBFT refuses a block whose result count
 * differs from its tx count), so equal paths are the same position. Returns the inclusion and the
 * result; the caller decides on the code (`requireSuccess`).
 */
export function verifyTxAndResult(a: TxAndResult): TxInclusion & { readonly result: ExecResult } {
  const inclusion = verifyTxProof(a.tx, a.txProof, a.dataHash);
  if (a.resultProof.index !== inclusion.index || a.resultProof.total !== inclusion.total) {
    fail(
      "index-mismatch",
      `tx ${inclusion.index} of ${inclusion.total}, result ${a.resultProof.index} of ${a.resultProof.total}`,
    );
  }
  const result = verifyResultProof(a.result, a.resultProof, a.lastResultsHash);
  return { ...inclusion, result };
}
