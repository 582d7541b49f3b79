/**
 * Tx proofs on a real CometBFT v0.38 node's answers (tendermint-rs kvstore fixtures): the 9 TxProofs
 * of `tx_search` with prove=true, in their JSON and protobuf forms, and the empty data_hash of the
 * blocks in the folder. Then forged proofs, table-driven, over a block assembled from those 9 txs.
 */
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { sha256 } from "../../chain/store/sha256";
import { reasonOfSync } from "../../test/support/tendermint";
import { describeWithVectors, fromBase64 as b64, fromHex as hex, rpcResult as load } from "../../test/support/tendermint-vectors";
import { buildMerkleProof, leafHash, merkleRoot } from "./merkle";
import { decodeTxProofJson, decodeTxProofProto, type TxProof, verifyTxProof } from "./proof-tx";

const reasonOf = (f: () => unknown) => reasonOfSync(f, "accepted");

interface SearchTx {
  hash: string;
  height: string;
  index: number;
  tx: string;
  proof: unknown;
}

describeWithVectors("CometBFT v0.38 kvstore RPC fixtures", () => {
  const txs: SearchTx[] = load("tx_search_with_prove.json").txs;
  const header10 = load("block_at_height_10.json").block.header;

  test("9 TxProofs, each a one-tx block at heights 223..253", () => {
    expect(txs).toHaveLength(9);
    expect(txs.map((t) => Number(t.height))).toEqual([223, 225, 227, 243, 245, 247, 249, 251, 253]);
  });

  test("each verifies against its root_hash, which is the full data_hash of a block holding just that tx", () => {
    for (const t of txs) {
      const tx = b64(t.tx);
      const p = decodeTxProofJson(t.proof);
      // No header at these heights is in the folder: the root is checked by recomputing data_hash
      // from the block's only tx (proof total 1), which is exactly what header(H).data_hash must be.
      expect(p.proof.total).toBe(1);
      expect(p.rootHash).toEqual(merkleRoot([sha256(tx)]));
      expect(verifyTxProof(tx, p, p.rootHash)).toEqual({ txHash: t.hash, index: t.index, total: 1 });
    }
  });

  test("leaves are leafHash(sha256(tx)), not leafHash(tx)", () => {
    for (const t of txs) {
      const p = decodeTxProofJson(t.proof);
      expect(p.proof.leafHash).toEqual(leafHash(sha256(b64(t.tx))));
      expect(p.proof.leafHash).not.toEqual(leafHash(b64(t.tx)));
    }
  });

  test("the protobuf TxProof form decodes to the same proof and verifies", () => {
    for (const t of txs) {
      const p = decodeTxProofJson(t.proof);
      const bytes = TxProofProto.encode(
        TxProofProto.fromPartial({
          rootHash: p.rootHash,
          data: p.data,
          proof: { total: BigInt(p.proof.total), index: BigInt(p.proof.index), leafHash: p.proof.leafHash, aunts: [...p.proof.aunts] },
        }),
      ).finish();
      const q = decodeTxProofProto(bytes);
      expect(q).toEqual(p);
      expect(verifyTxProof(b64(t.tx), q, p.rootHash).txHash).toBe(t.hash);
    }
  });

  test("blocks 1 and 10 hold no txs: their data_hash is the empty tree sha256(\"\")", () => {
    for (const f of ["block_at_height_1.json", "block_at_height_10.json"]) {
      const block = load(f).block;
      expect(block.data.txs).toEqual([]);
      expect(merkleRoot(block.data.txs.map((s: string) => sha256(b64(s))))).toEqual(hex(block.header.data_hash));
    }
  });

  test("a proof from height 223 is refused against header 10's data_hash", () => {
    const t = txs[0]!;
    expect(reasonOf(() => verifyTxProof(b64(t.tx), decodeTxProofJson(t.proof), hex(header10.data_hash)))).toBe("root-mismatch");
  });

  describe("forged proofs over a block made of the 9 fixture txs", () => {
    const all = txs.map((t) => b64(t.tx));
    const dataHash = merkleRoot(all.map((t) => sha256(t)));
    const index = 5;
    const tx = all[index]!;
    const proofOf = (i: number): TxProof => ({ rootHash: dataHash, data: all[i]!, proof: buildMerkleProof(all.map((t) => sha256(t)), i) });
    const otherRoot = hex(header10.data_hash);
    const cases: { name: string; malleate: (p: TxProof) => TxProof; expErr: string }[] = [
      { name: "genuine", malleate: (p) => p, expErr: "accepted" },
      { name: "against another header (root_hash rewritten to it)", malleate: (p) => ({ ...p, rootHash: otherRoot }), expErr: "root-mismatch" },
      { name: "wrong index", malleate: (p) => ({ ...p, proof: { ...p.proof, index: 4 } }), expErr: "merkle-mismatch" },
      { name: "index = total", malleate: (p) => ({ ...p, proof: { ...p.proof, index: 9 } }), expErr: "bad-merkle-proof" },
      { name: "truncated aunts", malleate: (p) => ({ ...p, proof: { ...p.proof, aunts: p.proof.aunts.slice(0, -1) } }), expErr: "bad-merkle-proof" },
      { name: "extra aunt", malleate: (p) => ({ ...p, proof: { ...p.proof, aunts: [...p.proof.aunts, dataHash] } }), expErr: "bad-merkle-proof" },
      { name: "leaf not the tx's", malleate: (p) => ({ ...p, proof: { ...p.proof, leafHash: leafHash(sha256(all[4]!)) } }), expErr: "leaf-mismatch" },
      { name: "leaf of the raw tx", malleate: (p) => ({ ...p, proof: { ...p.proof, leafHash: leafHash(tx) } }), expErr: "leaf-mismatch" },
      { name: "data is another tx", malleate: (p) => ({ ...p, data: all[4]! }), expErr: "tx-mismatch" },
      { name: "another tx's whole proof", malleate: () => proofOf(4), expErr: "tx-mismatch" },
      { name: "total 0", malleate: (p) => ({ ...p, proof: { ...p.proof, total: 0, index: 0 } }), expErr: "bad-merkle-proof" },
    ];
    test.each(cases)("$name → $expErr", ({ malleate, expErr }) => {
      expect(reasonOf(() => verifyTxProof(tx, malleate(proofOf(index)), dataHash))).toBe(expErr);
    });
  });
}, "rpc_v0_38_kvstore/tx_search_with_prove.json", "rpc_v0_38_kvstore/block_at_height_10.json");

describe("decoding at the edge", () => {
  const good = { root_hash: "00".repeat(32), data: "AA==", proof: { total: "1", index: "0", leaf_hash: "AA==", aunts: [] } };
  test.each([
    ["root_hash not hex", { ...good, root_hash: "zz" }],
    ["data not base64", { ...good, data: "A!==" }],
    ["data non-canonical base64", { ...good, data: "AB==" }],
    ["total not an int64 string", { ...good, proof: { ...good.proof, total: "1.0" } }],
    ["index beyond int64", { ...good, proof: { ...good.proof, index: "9223372036854775808" } }],
    ["aunts not a list", { ...good, proof: { ...good.proof, aunts: "AA==" } }],
    ["no proof", { ...good, proof: null }],
  ])("%s → bad-encoding", (_name, json) => {
    expect(reasonOf(() => decodeTxProofJson(json))).toBe("bad-encoding");
  });

  test("protobuf garbage and a TxProof without its proof are refused", () => {
    expect(reasonOf(() => decodeTxProofProto(Uint8Array.of(0x0a, 0x05, 1)))).toBe("bad-encoding");
    expect(reasonOf(() => decodeTxProofProto(TxProofProto.encode(TxProofProto.fromPartial({ data: Uint8Array.of(1) })).finish()))).toBe("bad-encoding");
  });
});
