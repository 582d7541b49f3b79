/**
 * Result proofs: the LastResultsHash and its Merkle proof computed by CometBFT v0.38.26's own code
 * (derived vector file), the real kvstore node's `/block_results` and tx results, then forged
 * pairings of a tx with a result, table-driven, over a block assembled from the 9 fixture txs.
 */
import { sha256 } from "../../chain/store/sha256";
import { reasonOfSync } from "../../test/support/tendermint";
import { DERIVED_FILE, describeWithVectors, fromBase64, fromHex as hex, haveVectors, readVectorJson, rpcResult as load, toHex } from "../../test/support/tendermint-vectors";
import { buildMerkleProof, expectedAunts, merkleRoot } from "./merkle";
import { buildResultProof, decodeBlockResultsJson } from "./proof-results-build";
import {
  decodeExecResultJson,
  encodeExecResult,
  type ExecResult,
  requireSuccess,
  resultsHash,
  type TxAndResult,
  verifyResultProof,
  verifyTxAndResult,
} from "./proof-results";

const RPC_FILES = ["rpc_v0_38_kvstore/block_results_at_height_10.json", "rpc_v0_38_kvstore/tx_search_with_prove.json"];

const reasonOf = (f: () => unknown) => reasonOfSync(f, "accepted");

describeWithVectors("CometBFT v0.38.26 LastResultsHash vector", () => {
  const v = readVectorJson(DERIVED_FILE).last_results_hash;
  // The two results of the vector's note, as /block_results would show them: log, codespace and
  // events set, which CometBFT strips before hashing.
  const json = [
    { code: 0, data: "EgI=", log: "ok", info: "i", gas_wanted: "200000", gas_used: "61234", events: [{ type: "transfer", attributes: [] }], codespace: "" },
    { code: 5, data: null, log: "insufficient funds", info: "", gas_wanted: "100000", gas_used: "40000", events: [], codespace: "sdk" },
  ];
  const results = json.map(decodeExecResultJson);

  test("leaf bytes are ExecTxResult{code, data, gas_wanted, gas_used} only", () => {
    expect(results.map((r) => toHex(encodeExecResult(r)))).toEqual(v.leaf_bytes);
  });

  test("resultsHash is the vector's root", () => {
    expect(toHex(resultsHash(results))).toBe(v.root);
  });

  test("the builder makes CometBFT's proof of index 1, which verifies and shows the failure", () => {
    const { result, proof } = buildResultProof(results, 1);
    expect(proof.total).toBe(v.proof_index1.total);
    expect(proof.index).toBe(v.proof_index1.index);
    expect(proof.aunts.map(toHex)).toEqual(v.proof_index1.aunts);
    const got = verifyResultProof(result, { total: v.proof_index1.total, index: 1, aunts: v.proof_index1.aunts.map(hex) }, hex(v.root));
    expect(got).toEqual({ code: 5, data: new Uint8Array(0), gasWanted: 100000n, gasUsed: 40000n });
    expect(reasonOf(() => requireSuccess(got))).toBe("tx-failed");
    expect(requireSuccess(verifyResultProof(results[0]!, buildResultProof(results, 0).proof, hex(v.root))).code).toBe(0);
  });
}, DERIVED_FILE);

describeWithVectors("CometBFT v0.38 kvstore results", () => {
  test("block 10 had no txs: txs_results null, results hash sha256(\"\") (header 11 is not in the folder)", () => {
    const r = decodeBlockResultsJson(load("block_results_at_height_10.json"));
    expect(r).toEqual([]);
    expect(resultsHash(r)).toEqual(sha256(new Uint8Array(0)));
  });

  test("the real node's tx results decode (data null, gas as strings); broadcast_tx_commit agrees with tx_search", () => {
    const txs = load("tx_search_with_prove.json").txs as { hash: string; tx_result: unknown }[];
    const decoded = txs.map((t) => decodeExecResultJson(t.tx_result));
    expect(decoded.every((r) => r.code === 0 && r.data.length === 0 && r.gasWanted === 0n && r.gasUsed === 0n)).toBe(true);
    // All fields at their defaults: the leaf is the empty message, as gogoproto writes it.
    expect(encodeExecResult(decoded[0]!)).toEqual(new Uint8Array(0));
    const commit = load("broadcast_tx_commit.json");
    const same = txs.find((t) => t.hash === commit.hash)!;
    expect(decodeExecResultJson(commit.tx_result)).toEqual(decodeExecResultJson(same.tx_result));
  });
}, ...RPC_FILES);

describe("encoding", () => {
  test("negative int64 gas is a 10-byte varint, as gogoproto writes it", () => {
    expect(toHex(encodeExecResult({ code: 0, data: new Uint8Array(0), gasWanted: -1n, gasUsed: 0n }))).toBe("28ffffffffffffffffff01");
  });
  test.each([
    ["code not a uint32", { code: -1, gas_wanted: "0", gas_used: "0" }],
    ["gas not an int64 string", { code: 0, gas_wanted: "1e3", gas_used: "0" }],
    ["data not base64", { code: 0, data: "%%", gas_wanted: "0", gas_used: "0" }],
  ])("%s → bad-encoding", (_n, json) => {
    expect(reasonOf(() => decodeExecResultJson(json))).toBe("bad-encoding");
  });
});

describe("tx and result together: forged pairings", () => {
  // Nine txs (the fixtures' when present), every third failing with code 5.
  const txs = haveVectors(...RPC_FILES)
    ? (load("tx_search_with_prove.json").txs as { tx: string }[]).map((t) => fromBase64(t.tx))
    : Array.from({ length: 9 }, (_, i) => Uint8Array.of(i));
  const results: ExecResult[] = txs.map((_, i) => ({
    code: i % 3 === 1 ? 5 : 0,
    data: Uint8Array.of(i),
    gasWanted: 100000n,
    gasUsed: 40000n + BigInt(i),
  }));
  const hashes = txs.map((t) => sha256(t));
  const dataHash = merkleRoot(hashes);
  const lastResultsHash = resultsHash(results);
  const pair = (i: number): TxAndResult => {
    const { result, proof } = buildResultProof(results, i);
    return { tx: txs[i]!, txProof: { rootHash: dataHash, data: txs[i]!, proof: buildMerkleProof(hashes, i) }, result, resultProof: proof, dataHash, lastResultsHash };
  };
  const ok = pair(3);
  const failed = pair(4);

  const cases: { name: string; malleate: () => TxAndResult; expErr: string }[] = [
    { name: "genuine, succeeded", malleate: () => ok, expErr: "accepted" },
    { name: "genuine, failed tx (code 5) refused by requireSuccess", malleate: () => failed, expErr: "tx-failed" },
    { name: "failed tx paired with another index's success", malleate: () => ({ ...failed, result: ok.result, resultProof: ok.resultProof }), expErr: "index-mismatch" },
    { name: "another index's result under this index", malleate: () => ({ ...failed, result: ok.result }), expErr: "merkle-mismatch" },
    { name: "code rewritten to 0", malleate: () => ({ ...failed, result: { ...failed.result, code: 0 } }), expErr: "merkle-mismatch" },
    { name: "gas rewritten", malleate: () => ({ ...ok, result: { ...ok.result, gasUsed: 1n } }), expErr: "merkle-mismatch" },
    { name: "result proof with another total", malleate: () => ({ ...ok, resultProof: { ...ok.resultProof, total: 10 } }), expErr: "index-mismatch" },
    { name: "truncated result aunts", malleate: () => ({ ...ok, resultProof: { ...ok.resultProof, aunts: ok.resultProof.aunts.slice(1) } }), expErr: "bad-merkle-proof" },
    { name: "results of another block (an empty one's last_results_hash)", malleate: () => ({ ...ok, lastResultsHash: sha256(new Uint8Array(0)) }), expErr: "merkle-mismatch" },
    { name: "tx proof against another data_hash", malleate: () => ({ ...ok, dataHash: lastResultsHash }), expErr: "root-mismatch" },
    // Leaf 8 of 9 has the path of leaf 1 of 2: claims may be restated, but only together.
    {
      name: "tx 8 restated as 1 of 2, result left as 8 of 9",
      malleate: () => ({ ...pair(8), txProof: { ...pair(8).txProof, proof: { ...pair(8).txProof.proof, index: 1, total: 2 } } }),
      expErr: "index-mismatch",
    },
    {
      name: "tx 8 and its result both restated as 1 of 2 (same position)",
      malleate: () => {
        const p = pair(8);
        return { ...p, txProof: { ...p.txProof, proof: { ...p.txProof.proof, index: 1, total: 2 } }, resultProof: { ...p.resultProof, index: 1, total: 2 } };
      },
      expErr: "accepted",
    },
  ];
  test.each(cases)("$name → $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(() => requireSuccess(verifyTxAndResult(malleate()).result))).toBe(expErr);
  });

  test("no restated (index, total) pairs a tx with another tx's result", () => {
    let tried = 0;
    const accepted: string[] = [];
    for (let i = 0; i < txs.length; i++) {
      for (let j = 0; j < txs.length; j++) {
        if (i === j) continue;
        const p = pair(i);
        const r = buildResultProof(results, j).proof;
        for (let total = 1; total <= 12; total++) {
          for (let index = 0; index < total; index++) {
            // Claims of another depth fail on the aunt count; try the ones that reach the hashing.
            if (expectedAunts(index, total) !== p.txProof.proof.aunts.length || expectedAunts(index, total) !== r.aunts.length) continue;
            tried++;
            const forged = { ...p, txProof: { ...p.txProof, proof: { ...p.txProof.proof, index, total } }, result: results[j]!, resultProof: { ...r, index, total } };
            if (reasonOf(() => verifyTxAndResult(forged)) === "accepted") accepted.push(`tx ${i} with result ${j} as ${index} of ${total}`);
          }
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(tried).toBeGreaterThan(1000);
  });

  test("every tx pairs with its own result only", () => {
    for (let i = 0; i < txs.length; i++) {
      for (let j = 0; j < txs.length; j++) {
        const got = reasonOf(() => verifyTxAndResult({ ...pair(i), result: results[j]!, resultProof: buildResultProof(results, j).proof }));
        expect(got).toBe(i === j ? "accepted" : "index-mismatch");
      }
    }
  });
});
