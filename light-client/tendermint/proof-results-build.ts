/**
 * The relayer's side of result proofs: decode `/block_results?height=H` and build the Merkle path of
 * one tx's result under H+1's last_results_hash (CometBFT's `ABCIResults.ProveResult`, which the RPC
 * does not expose). Nothing here is trusted by the verifier: it recomputes everything.
 */
import { buildMerkleProof } from "./merkle";
import { array, field, type Json } from "./proof-json";
import { decodeExecResultJson, encodeExecResult, type ExecResult, type ResultProof } from "./proof-results";

/** `txs_results` of a `/block_results` answer (`result` object); a block without txs has null. */
export function decodeBlockResultsJson(json: Json): ExecResult[] {
  const list = field(json, "txs_results", "block results");
  if (list === null || list === undefined) return [];
  return array(list, "txs_results").map(decodeExecResultJson);
}

export function buildResultProof(allResults: readonly ExecResult[], index: number): { result: ExecResult; proof: ResultProof } {
  const p = buildMerkleProof(allResults.map(encodeExecResult), index);
  return { result: allResults[index]!, proof: { total: p.total, index: p.index, aunts: p.aunts } };
}
