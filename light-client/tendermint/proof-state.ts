/**
 * Cosmos SDK state proofs (ICS23) against a verified header's app_hash, as rootmulti verifies them:
 * `abci_query` with prove=true returns two proof ops, applied in order — `ics23:iavl` proves key →
 * value (or absence) under the module store's root (iavlSpec), `ics23:simple` proves store name →
 * that root under the app hash (tendermintSpec). A query at height H is answered from the state
 * committed by block H, whose hash is the app_hash of header H+1: pass that header's app_hash.
 */
import { calculateExistenceRoot, iavlSpec, ics23, tendermintSpec, verifyMembership, verifyNonMembership } from "@confio/ics23";
import { bytesEqual } from "../../chain/store/bytes";
import { fail } from "./errors";
import { array, base64Bytes, field, type Json } from "./proof-json";
import { checkExistenceShape } from "./proof-state-spec";

export interface ProofOp {
  readonly type: string;
  readonly key: Uint8Array;
  readonly data: Uint8Array;
}

export interface StateQuery {
  /** Proof ops of the abci_query answer, in the order the node sent them. */
  readonly ops: readonly ProofOp[];
  /** The module store, e.g. "bank" for a query on path /store/bank/key. */
  readonly storeName: string;
  readonly key: Uint8Array;
  /** app_hash of the verified header at the query height + 1. */
  readonly appHash: Uint8Array;
}

/** The `proofOps` of an abci_query `response` ({ops: [{type, key, data}]}, key and data base64). */
export function decodeProofOpsJson(json: Json): ProofOp[] {
  if (json === null || json === undefined) fail("bad-proof-ops", "the answer carries no proof (query without prove=true?)");
  return array(field(json, "ops", "proofOps"), "proofOps.ops").map((op, i) => {
    const type = field(op, "type", `ops[${i}]`);
    if (typeof type !== "string") fail("bad-encoding", `ops[${i}].type is not a string`);
    return { type, key: base64Bytes(field(op, "key", `ops[${i}]`), `ops[${i}].key`), data: base64Bytes(field(op, "data", `ops[${i}]`), `ops[${i}].data`) };
  });
}

/** Proves that `key` holds exactly `value` in store `storeName` under `appHash`. */
export function verifyStateMembership(q: StateQuery & { readonly value: Uint8Array }): void {
  const { store, multi, name } = splitOps(q);
  const exist = store.exist;
  if (!exist) fail("ics23-invalid", "the store proof is not an existence proof");
  if (!bytesEqual(exist.key ?? new Uint8Array(0), q.key)) fail("key-mismatch", "the store proof is for another key");
  if (!bytesEqual(exist.value ?? new Uint8Array(0), q.value)) fail("value-mismatch", "the store proof is for another value");
  checkExistenceShape(exist, "iavl", "store proof");
  const storeRoot = rootOf(exist, "store proof");
  if (!verifyMembership(store, iavlSpec, storeRoot, q.key, q.value)) fail("ics23-invalid", "the store proof does not verify");
  verifyStoreRoot(multi, name, storeRoot, q.appHash);
}

/** Proves that `key` is absent from store `storeName` under `appHash` (neighbour existence proofs). */
export function verifyStateNonMembership(q: StateQuery): void {
  const { store, multi, name } = splitOps(q);
  const nonexist = store.nonexist;
  if (!nonexist) fail("ics23-invalid", "the store proof is not a non-existence proof");
  if (!bytesEqual(nonexist.key ?? new Uint8Array(0), q.key)) fail("key-mismatch", "the store proof is for another key");
  if (nonexist.left) checkExistenceShape(nonexist.left, "iavl", "left neighbour");
  if (nonexist.right) checkExistenceShape(nonexist.right, "iavl", "right neighbour");
  const neighbour = nonexist.left ?? nonexist.right;
  if (!neighbour) fail("ics23-invalid", "a non-existence proof without neighbours");
  const storeRoot = rootOf(neighbour, "store proof");
  if (!verifyNonMembership(store, iavlSpec, storeRoot, q.key)) fail("ics23-invalid", "the store proof does not verify");
  verifyStoreRoot(multi, name, storeRoot, q.appHash);
}

/** Op count, types, order and keys, as the SDK's ProofRuntime consumes the key path /storeName/key. */
function splitOps(q: StateQuery): { store: ics23.CommitmentProof; multi: ics23.CommitmentProof; name: Uint8Array } {
  if (q.key.length === 0) fail("key-mismatch", "an empty key cannot be proven");
  const name = Buffer.from(q.storeName, "utf8");
  if (q.ops.length !== 2) fail("bad-proof-ops", `${q.ops.length} proof ops, expected ics23:iavl then ics23:simple`);
  const [storeOp, multiOp] = q.ops as [ProofOp, ProofOp];
  if (storeOp.type !== "ics23:iavl" || multiOp.type !== "ics23:simple") {
    fail("bad-proof-ops", `proof ops ${storeOp.type}, ${multiOp.type}; expected ics23:iavl, ics23:simple`);
  }
  if (!bytesEqual(storeOp.key, q.key)) fail("key-mismatch", "the ics23:iavl op is for another key");
  if (!bytesEqual(multiOp.key, name)) fail("key-mismatch", "the ics23:simple op is for another store");
  return { store: decode(storeOp.data, "ics23:iavl"), multi: decode(multiOp.data, "ics23:simple"), name };
}

/** The second op: store name → the store root the first op computed, under the app hash. */
function verifyStoreRoot(multi: ics23.CommitmentProof, name: Uint8Array, storeRoot: Uint8Array, appHash: Uint8Array): void {
  const exist = multi.exist;
  if (!exist) fail("ics23-invalid", "the multistore proof is not an existence proof");
  if (!bytesEqual(exist.key ?? new Uint8Array(0), name)) fail("key-mismatch", "the multistore proof is for another store");
  if (!bytesEqual(exist.value ?? new Uint8Array(0), storeRoot)) fail("root-mismatch", "the store root is not the one committed in the app hash");
  checkExistenceShape(exist, "tendermint", "multistore proof");
  if (!bytesEqual(rootOf(exist, "multistore proof"), appHash)) fail("root-mismatch", "the proof leads to another app hash");
  if (!verifyMembership(multi, tendermintSpec, appHash, name, storeRoot)) fail("ics23-invalid", "the multistore proof does not verify");
}

function decode(data: Uint8Array, where: string): ics23.CommitmentProof {
  try {
    return ics23.CommitmentProof.decode(data);
  } catch (e) {
    fail("bad-encoding", `${where}: ${(e as Error).message}`);
  }
}

function rootOf(p: ics23.IExistenceProof, where: string): Uint8Array {
  try {
    return calculateExistenceRoot(p);
  } catch (e) {
    fail("ics23-invalid", `${where}: ${(e as Error).message}`);
  }
}
