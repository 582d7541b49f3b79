/**
 * ICS23 state proofs. No Cosmos Hub proof vector is at hand and the real CometBFT kvstore app answers
 * abci_query without proof ops (its fixture is checked below), so the accepted proofs come from
 * pegzone's own SDK-compatible store (chain/store `CommitMultiStore.prove`: ics23:iavl then
 * ics23:simple, six Hub-like stores, bank-style keys), passed through the RPC JSON shape; then
 * forged ones, table-driven, and the shape checks @confio/ics23 0.6.8 lacks. A gaiad proof test
 * will replace the producer side later.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ics23 } from "@confio/ics23";
import { CommitMultiStore } from "../../chain/store/commit-multistore";
import { sha256 } from "../../chain/store/sha256";
import { reasonOfSync } from "../../test/support/tendermint";
import { rpcResult, testWithVectors } from "../../test/support/tendermint-vectors";
import { decodeProofOpsJson, type ProofOp, verifyStateMembership, verifyStateNonMembership } from "./proof-state";
import { checkExistenceShape } from "./proof-state-spec";

const STORES = ["acc", "bank", "distribution", "gov", "ibc", "staking"];

const reasonOf = (f: () => unknown) => reasonOfSync(f, "accepted");

const addr = (i: number): Uint8Array => sha256(Buffer.from(`addr-${i}`)).slice(0, 20);
/** x/bank balances key: 0x02 ‖ len(addr) ‖ addr ‖ denom; the value is the amount as a decimal string. */
const balanceKey = (i: number, denom: string): Uint8Array => Uint8Array.from([2, 20, ...addr(i), ...Buffer.from(denom)]);
const accountKey = (i: number): Uint8Array => Uint8Array.from([1, ...addr(i)]);
const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s));

/** The abci_query answer's proofOps as CometBFT's RPC writes them (bytes in base64). */
const toRpcJson = (ops: ProofOp[]) => ({
  ops: ops.map((o) => ({ type: o.type, key: Buffer.from(o.key).toString("base64"), data: Buffer.from(o.data).toString("base64") })),
});

testWithVectors(
  "the real kvstore abci_query answer carries no proof ops, and is refused",
  () => {
    const res = rpcResult("abci_query_with_existing_key.json").response;
    expect(res.proofOps).toBeNull();
    expect(reasonOf(() => decodeProofOpsJson(res.proofOps))).toBe("bad-proof-ops");
  },
  "rpc_v0_38_kvstore/abci_query_with_existing_key.json",
);

describe("proofs from pegzone's SDK-compatible store", () => {
  let dir = "";
  let appHash1: Uint8Array = new Uint8Array(0);
  let appHash2: Uint8Array = new Uint8Array(0);
  const K = balanceKey(7, "uatom");
  const V = enc("125000000");
  const MISSING = balanceKey(7, "uosmo");
  let member: ProofOp[] = [];
  let memberV1: ProofOp[] = [];
  let absent: ProofOp[] = [];
  let other: ProofOp[] = [];
  const accounts: { store: string; key: Uint8Array; value: Uint8Array; ops: ProofOp[] }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tm-state-proof-"));
    const ms = await CommitMultiStore.open(dir, STORES, { keepRecent: 0, parallelHashThreshold: Infinity });
    try {
      for (let i = 0; i < 40; i++) {
        ms.working().store("bank").set(balanceKey(i, "uatom"), enc(String(1000 * (i + 1))));
        ms.working().store("acc").set(accountKey(i), enc(`account ${i}`));
        if (i % 4 === 0) ms.working().store("staking").set(Uint8Array.of(0x21, i), enc(`validator ${i}`));
      }
      appHash1 = (await ms.commit()).hash;
      memberV1 = (await ms.prove("bank", K, 1)).proof;
      ms.working().store("bank").set(K, V);
      appHash2 = (await ms.commit()).hash;
      const p = await ms.prove("bank", K, 2);
      expect(p.value).toEqual(V);
      member = decodeProofOpsJson(JSON.parse(JSON.stringify(toRpcJson(p.proof))));
      absent = (await ms.prove("bank", MISSING, 2)).proof;
      other = (await ms.prove("bank", balanceKey(8, "uatom"), 2)).proof;
      for (const [store, key] of [["acc", accountKey(0)], ["acc", accountKey(39)], ["staking", Uint8Array.of(0x21, 36)], ["bank", balanceKey(0, "uatom")]] as const) {
        const q = await ms.prove(store, key, 2);
        accounts.push({ store, key, value: q.value!, ops: q.proof });
      }
    } finally {
      await ms.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("membership in several stores (left and right children in the app-hash tree) verifies", () => {
    verifyStateMembership({ ops: member, storeName: "bank", key: K, value: V, appHash: appHash2 });
    for (const a of accounts) verifyStateMembership({ ops: a.ops, storeName: a.store, key: a.key, value: a.value, appHash: appHash2 });
    verifyStateMembership({ ops: memberV1, storeName: "bank", key: K, value: enc("8000"), appHash: appHash1 });
  });

  test("non-membership verifies", () => {
    verifyStateNonMembership({ ops: absent, storeName: "bank", key: MISSING, appHash: appHash2 });
  });

  const recode = (op: ProofOp, edit: (p: ics23.CommitmentProof) => void): ProofOp => {
    const p = ics23.CommitmentProof.decode(op.data);
    edit(p);
    return { ...op, data: ics23.CommitmentProof.encode(p).finish() };
  };
  type Query = { ops: ProofOp[]; storeName: string; key: Uint8Array; value: Uint8Array; appHash: Uint8Array };
  const cases: { name: string; malleate: (q: Query) => Query; expErr: string }[] = [
    { name: "genuine", malleate: (q) => q, expErr: "accepted" },
    { name: "another key", malleate: (q) => ({ ...q, key: balanceKey(8, "uatom") }), expErr: "key-mismatch" },
    { name: "another key, op key rewritten to it", malleate: (q) => ({ ...q, key: MISSING, ops: [{ ...q.ops[0]!, key: MISSING }, q.ops[1]!] }), expErr: "key-mismatch" },
    { name: "another value", malleate: (q) => ({ ...q, value: enc("999999999999") }), expErr: "value-mismatch" },
    { name: "another store", malleate: (q) => ({ ...q, storeName: "acc" }), expErr: "key-mismatch" },
    { name: "another store, op key rewritten to it", malleate: (q) => ({ ...q, storeName: "acc", ops: [q.ops[0]!, { ...q.ops[1]!, key: enc("acc") }] }), expErr: "key-mismatch" },
    { name: "wrong app hash (previous block's)", malleate: (q) => ({ ...q, appHash: appHash1 }), expErr: "root-mismatch" },
    { name: "proof from the previous block", malleate: (q) => ({ ...q, ops: memberV1 }), expErr: "value-mismatch" },
    { name: "previous block's store proof, this block's app hash", malleate: (q) => ({ ...q, value: enc("8000"), ops: [memberV1[0]!, q.ops[1]!] }), expErr: "root-mismatch" },
    { name: "value forged inside the proof", malleate: (q) => ({ ...q, value: enc("1"), ops: [recode(q.ops[0]!, (p) => (p.exist!.value = enc("1"))), q.ops[1]!] }), expErr: "root-mismatch" },
    { name: "another key's proof", malleate: (q) => ({ ...q, ops: [{ ...other[0]!, key: K }, other[1]!] }), expErr: "key-mismatch" },
    { name: "ops swapped", malleate: (q) => ({ ...q, ops: [q.ops[1]!, q.ops[0]!] }), expErr: "bad-proof-ops" },
    { name: "multistore op missing", malleate: (q) => ({ ...q, ops: [q.ops[0]!] }), expErr: "bad-proof-ops" },
    { name: "unknown op type", malleate: (q) => ({ ...q, ops: [{ ...q.ops[0]!, type: "ics23:smt" }, q.ops[1]!] }), expErr: "bad-proof-ops" },
    { name: "non-existence proof for a membership query", malleate: (q) => ({ ...q, key: MISSING, ops: absent }), expErr: "ics23-invalid" },
    { name: "garbage proof data", malleate: (q) => ({ ...q, ops: [{ ...q.ops[0]!, data: Uint8Array.of(0x0a, 0xff) }, q.ops[1]!] }), expErr: "bad-encoding" },
    {
      name: "malformed IAVL leaf prefix",
      malleate: (q) => ({ ...q, ops: [recode(q.ops[0]!, (p) => (p.exist!.leaf!.prefix = Uint8Array.from([...p.exist!.leaf!.prefix!, 0]))), q.ops[1]!] }),
      expErr: "ics23-invalid",
    },
  ];
  test.each(cases)("membership: $name → $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(() => verifyStateMembership(malleate({ ops: member, storeName: "bank", key: K, value: V, appHash: appHash2 })))).toBe(expErr);
  });

  test("non-membership refusals: a present key, another store, wrong app hash, an existence proof", () => {
    const q = { ops: absent, storeName: "bank", key: MISSING, appHash: appHash2 };
    expect(reasonOf(() => verifyStateNonMembership({ ...q, key: K }))).toBe("key-mismatch");
    expect(reasonOf(() => verifyStateNonMembership({ ...q, key: K, ops: [{ ...absent[0]!, key: K }, absent[1]!] }))).toBe("key-mismatch");
    expect(reasonOf(() => verifyStateNonMembership({ ...q, storeName: "acc", ops: [absent[0]!, { ...absent[1]!, key: enc("acc") }] }))).toBe("key-mismatch");
    expect(reasonOf(() => verifyStateNonMembership({ ...q, appHash: appHash1 }))).toBe("root-mismatch");
    expect(reasonOf(() => verifyStateNonMembership({ ...q, key: K, ops: member }))).toBe("ics23-invalid");
  });
});

describe("shape checks @confio/ics23 0.6.8 does not make (go ics23 does)", () => {
  const { HashOp, LengthOp } = ics23;
  const leaf = { hash: HashOp.SHA256, prehashKey: HashOp.NO_HASH, prehashValue: HashOp.SHA256, length: LengthOp.VAR_PROTO };
  const h = new Uint8Array(32).fill(7);
  const bytes = (...parts: (number | Uint8Array)[]): Uint8Array => Uint8Array.from(parts.flatMap((x) => (typeof x === "number" ? [x] : [...x])));
  const proof = (leafPrefix: Uint8Array, path: ics23.IInnerOp[]): ics23.IExistenceProof => ({
    key: Uint8Array.of(1),
    value: Uint8Array.of(1),
    leaf: { ...leaf, prefix: leafPrefix },
    path,
  });
  const sha = (prefix: Uint8Array, suffix: Uint8Array = new Uint8Array(0)): ics23.IInnerOp => ({ hash: HashOp.SHA256, prefix, suffix });
  // IAVL prefixes are zigzag varints: height 1, size 2, version 1 = 02 04 02; height 2, size 3 = 04 06.
  const LEAF = bytes(0, 2, 2);
  const left1 = sha(bytes(2, 4, 2, 0x20), bytes(0x20, h)); // layer 1, the proven child on the left
  const right2 = sha(bytes(4, 6, 2, 0x20, h, 0x20)); // layer 2, the proven child on the right
  const iavl = (leafPrefix: Uint8Array, path: ics23.IInnerOp[] = []) => () => checkExistenceShape(proof(leafPrefix, path), "iavl", "t");
  const simple = (path: ics23.IInnerOp[]) => () => checkExistenceShape(proof(Uint8Array.of(0), path), "tendermint", "t");

  test.each([
    ["IAVL leaf and both inner layouts", "accepted", iavl(LEAF, [left1, right2])],
    ["IAVL leaf with bytes after the varints", "ics23-invalid", iavl(bytes(0, 2, 2, 0))],
    ["IAVL leaf of size 2", "ics23-invalid", iavl(bytes(0, 4, 2))],
    ["IAVL leaf prefix cut inside a varint", "ics23-invalid", iavl(bytes(0, 0x82))],
    ["IAVL negative version", "ics23-invalid", iavl(bytes(0, 2, 1))],
    ["IAVL inner op below its layer (height 0)", "ics23-invalid", iavl(LEAF, [sha(bytes(0, 4, 2, 0x20), bytes(0x20, h))])],
    ["IAVL inner prefix remainder of 2 bytes", "ics23-invalid", iavl(LEAF, [sha(bytes(2, 4, 2, 0x20, 0), bytes(0x20, h))])],
    ["IAVL inner suffix not whole children", "ics23-invalid", iavl(LEAF, [sha(bytes(2, 4, 2, 0x20), h)])],
    ["more than 128 inner ops", "ics23-invalid", simple(Array(129).fill(sha(bytes(1), h)))],
    ["simple tree, both sibling positions", "accepted", simple([sha(bytes(1), h), sha(bytes(1, h))])],
    ["simple tree inner prefix 0x02", "ics23-invalid", simple([sha(bytes(2), h)])],
    ["simple tree, siblings on both sides", "ics23-invalid", simple([sha(bytes(1, h), h)])],
    ["simple tree, SHA-512 inner op", "ics23-invalid", simple([{ hash: HashOp.SHA512, prefix: bytes(1), suffix: h }])],
  ] as const)("%s → %s", (_name, expErr, run) => {
    expect(reasonOf(run)).toBe(expErr);
  });
});
