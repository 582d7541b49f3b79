/**
 * Proofs through the stateful client on a synthetic chain: block 4 holds six txs (one failed, code
 * 5) whose results header 5 commits to; headers 2 and 3 carry the app hashes of pegzone's own
 * SDK-compatible store (chain/store CommitMultiStore, as proof-state.test.ts uses it) at versions 1
 * and 2. Accepted and forged tx + result claims (table-driven), failed txs reported, pruned and
 * unknown heights refused, then ICS23 state proofs (membership and absence) against H+1's app_hash.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ProofOps as ProofOpsProto } from "cosmjs-types/tendermint/crypto/proof";
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { CommitMultiStore, type ProofOp } from "../../chain/store/commit-multistore";
import { sha256 } from "../../chain/store/sha256";
import { type ChainSpec, headerBytes, heightAt, initializedClient, lightBlock, reasonOf, SECOND, testChain } from "../../test/support/tendermint";
import { proveState, proveTransaction, updateClient } from "./client";
import { headerHash } from "./header-hash";
import { buildMerkleProof } from "./merkle";
import { buildResultProof } from "./proof-results-build";
import type { ExecResult } from "./proof-results";
import { requireTxSuccess, type TxClaim } from "./prove";

const enc = (s: string) => Uint8Array.from(Buffer.from(s));
const TXS = Array.from({ length: 6 }, (_, i) => enc(`tx ${i}: send ${i * 100}uatom`));
const RESULTS: ExecResult[] = TXS.map((_, i) => ({ code: i === 3 ? 5 : 0, data: i === 3 ? new Uint8Array(0) : enc(`ok ${i}`), gasWanted: 200000n, gasUsed: 50000n + BigInt(i) }));
const appHashes: Uint8Array[] = [];
const base = testChain();
const chain: ChainSpec = {
  ...base,
  txsAt: (h) => (h === 4n ? TXS : []),
  resultsAt: (h) => (h === 4n ? RESULTS : []),
  appHashAt: (h) => appHashes[Number(h) - 2] ?? sha256(enc(`app ${h}`)),
};
const A = base.valsAt(1n);
const H1 = heightAt(1n, 1n);
const NOW = chain.timeAt(100n);

const STORES = ["acc", "bank"];
const K = Uint8Array.from([2, 20, ...sha256(enc("addr 7")).subarray(0, 20), ...enc("uatom")]);
const MISSING = Uint8Array.from([...K.subarray(0, 22), ...enc("uosmo")]);
let dir = "";
let member: ProofOp[] = [];
let memberV1: ProofOp[] = [];
let absent: ProofOp[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tm-client-prove-"));
  const ms = await CommitMultiStore.open(dir, STORES, { keepRecent: 0, parallelHashThreshold: Infinity });
  try {
    for (let i = 0; i < 20; i++) ms.working().store("bank").set(Uint8Array.from([2, 20, ...sha256(enc(`addr ${i}`)).subarray(0, 20), ...enc("uatom")]), enc(String(1000 * i + 1)));
    appHashes.push((await ms.commit()).hash); // version 1 → app_hash of header 2
    memberV1 = (await ms.prove("bank", K, 1)).proof;
    ms.working().store("bank").set(K, enc("125000000"));
    appHashes.push((await ms.commit()).hash); // version 2 → app_hash of header 3
    member = (await ms.prove("bank", K, 2)).proof;
    absent = (await ms.prove("bank", MISSING, 2)).proof;
  } finally {
    await ms.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = (heights: readonly bigint[] = [2n, 3n, 4n, 5n]) => initializedClient(chain, heights);

function claim(i: number, height = 4n): TxClaim {
  const p = buildMerkleProof(TXS.map((t) => sha256(t)), i);
  const rootHash = lightBlock(chain, 4n).signedHeader.header.dataHash;
  const txProof = TxProofProto.encode({ rootHash, data: TXS[i]!, proof: { total: BigInt(p.total), index: BigInt(p.index), leafHash: p.leafHash, aunts: [...p.aunts] } }).finish();
  const r = buildResultProof(RESULTS, i);
  return { height, tx: TXS[i]!, txProof, result: r.result, resultProof: r.proof };
}

describe("proveTransaction", () => {
  test("every tx of block 4 with its result; the failed one is reported, not refused", async () => {
    const store = await client();
    const blockHash = Buffer.from(headerHash(lightBlock(chain, 4n).signedHeader.header)).toString("hex").toUpperCase();
    for (let i = 0; i < TXS.length; i++) {
      const p = await proveTransaction(store, claim(i), NOW);
      expect(p).toEqual({
        txHash: Buffer.from(sha256(TXS[i]!)).toString("hex").toUpperCase(),
        height: heightAt(1n, 4n),
        blockHash,
        index: i,
        total: 6,
        code: RESULTS[i]!.code,
        data: RESULTS[i]!.data,
        gasWanted: 200000n,
        gasUsed: 50000n + BigInt(i),
      });
      expect(await reasonOf(() => requireTxSuccess(p))).toBe(i === 3 ? "tx-failed" : "accepted");
    }
  });

  const cases: { name: string; malleate: () => TxClaim; expErr: string }[] = [
    { name: "genuine (as a Height)", malleate: () => ({ ...claim(2), height: heightAt(1n, 4n) }), expErr: "accepted" },
    { name: "the failed tx with code rewritten to 0", malleate: () => ({ ...claim(3), result: { ...RESULTS[3]!, code: 0 } }), expErr: "merkle-mismatch" },
    { name: "a tx with another tx's result", malleate: () => ({ ...claim(2), result: RESULTS[1]!, resultProof: buildResultProof(RESULTS, 1).proof }), expErr: "index-mismatch" },
    { name: "another tx's bytes", malleate: () => ({ ...claim(2), tx: TXS[1]! }), expErr: "tx-mismatch" },
    { name: "claimed at height 3 (an empty block)", malleate: () => claim(2, 3n), expErr: "root-mismatch" },
    { name: "claimed at height 5 (header 6 is not stored)", malleate: () => claim(2, 5n), expErr: "unknown-height" },
    { name: "claimed at a height never stored", malleate: () => claim(2, 40n), expErr: "unknown-height" },
    { name: "claimed at revision 0", malleate: () => ({ ...claim(2), height: heightAt(0n, 4n) }), expErr: "unknown-height" },
    { name: "claimed at height 0", malleate: () => claim(2, 0n), expErr: "bad-height" },
    { name: "a TxProof with an unknown field", malleate: () => ({ ...claim(2), txProof: Uint8Array.from([...claim(2).txProof, 0x20, 0x01]) }), expErr: "bad-encoding" },
    { name: "a TxProof that is not protobuf", malleate: () => ({ ...claim(2), txProof: Uint8Array.of(0x0a, 0x09) }), expErr: "bad-encoding" },
    { name: "a result without gas as bigint", malleate: () => ({ ...claim(2), result: { ...RESULTS[2]!, gasUsed: 1 as never } }), expErr: "bad-encoding" },
  ];
  test.each(cases)("$name → $expErr", async ({ malleate, expErr }) => {
    const store = await client();
    expect(await reasonOf(() => proveTransaction(store, malleate(), NOW))).toBe(expErr);
  });

  test("needs headers 4 and 5: refused until 5 is relayed, and once 4 is pruned", async () => {
    const store = await client([2n, 3n, 4n, 100n]);
    expect(await reasonOf(() => proveTransaction(store, claim(0), NOW))).toBe("unknown-height");
    await updateClient(store, headerBytes(lightBlock(chain, 5n), H1, A), NOW);
    expect((await proveTransaction(store, claim(0), NOW)).code).toBe(0);
    // 101 from 100 when 1..5 are past the window: they go, 100 and 101 stay
    const late = chain.timeAt(5n) + 3600n * SECOND + 1n;
    expect((await updateClient(store, headerBytes(lightBlock(chain, 101n), heightAt(1n, 100n), A), late)).pruned).toBe(5);
    expect(await reasonOf(() => proveTransaction(store, claim(0), late))).toBe("unknown-height");
  });

  test("refused by an Expired client", async () => {
    const store = await client();
    expect(await reasonOf(() => proveTransaction(store, claim(0), chain.timeAt(5n) + 3600n * SECOND))).toBe("client-expired");
  });
});

describe("proveState", () => {
  const V = enc("125000000");
  test("membership and absence at query height 2 (header 3's app_hash), ops decoded or as ProofOps bytes", async () => {
    const store = await client();
    expect(await proveState(store, { height: 2n, storeName: "bank", key: K, value: V, proofOps: member }, NOW)).toEqual({ height: heightAt(1n, 2n), storeName: "bank", key: K, value: V });
    const bytes = ProofOpsProto.encode({ ops: member }).finish();
    expect((await proveState(store, { height: 2n, storeName: "bank", key: K, value: V, proofOps: bytes }, NOW)).value).toEqual(V);
    expect((await proveState(store, { height: 2n, storeName: "bank", key: MISSING, proofOps: absent }, NOW)).value).toBeUndefined();
    expect((await proveState(store, { height: 1n, storeName: "bank", key: K, value: enc("7001"), proofOps: memberV1 }, NOW)).height).toEqual(heightAt(1n, 1n));
  });

  test.each<{ name: string; claim: () => Parameters<typeof proveState>[1]; expErr: string }>([
    { name: "the previous version's app hash (query height 1)", claim: () => ({ height: 1n, storeName: "bank", key: K, value: V, proofOps: member }), expErr: "root-mismatch" },
    { name: "another value", claim: () => ({ height: 2n, storeName: "bank", key: K, value: enc("1"), proofOps: member }), expErr: "value-mismatch" },
    { name: "another store", claim: () => ({ height: 2n, storeName: "acc", key: K, value: V, proofOps: member }), expErr: "key-mismatch" },
    { name: "absence of a present key", claim: () => ({ height: 2n, storeName: "bank", key: K, proofOps: member }), expErr: "ics23-invalid" },
    { name: "query height 5 (header 6 not stored)", claim: () => ({ height: 5n, storeName: "bank", key: K, value: V, proofOps: member }), expErr: "unknown-height" },
    { name: "ProofOps bytes with garbage", claim: () => ({ height: 2n, storeName: "bank", key: K, value: V, proofOps: Uint8Array.of(0x0a, 0x7f) }), expErr: "bad-encoding" },
    { name: "ops of the wrong shape", claim: () => ({ height: 2n, storeName: "bank", key: K, value: V, proofOps: [{ type: "ics23:iavl" }] as never }), expErr: "bad-proof-ops" },
  ])("$name → $expErr", async ({ claim: c, expErr }) => {
    const store = await client();
    expect(await reasonOf(() => proveState(store, c(), NOW))).toBe(expErr);
  });
});
