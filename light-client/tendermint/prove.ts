/**
 * Proofs against stored consensus states, for an Active client only (not Frozen, not Expired):
 *  - proveTransaction: a tx of block H, with its TxProof (protobuf `tendermint.types.TxProof` bytes)
 *    against H's data_hash and its result (the deterministic ExecTxResult fields) with its Merkle path
 *    against H+1's last_results_hash, tied to the same position (proof-results.ts verifyTxAndResult).
 *    Both headers must have been verified and still be stored. It reports the result's code and does
 *    not require 0: a failed tx is a fact too (it paid fees). A caller that needs success uses
 *    requireTxSuccess ("tx-failed"). Deduplicate by txHash: the claimed index is not authenticated.
 *  - proveState: that `key` holds `value` (or, with no value, is absent) in module store `storeName`
 *    in the state after block H, against H+1's app_hash (two ICS23 proof ops, proof-state.ts), the
 *    ops given as protobuf `tendermint.crypto.ProofOps` bytes or already decoded (decodeProofOpsJson).
 * A height is a bare block height of the client's chain id, or a Height.
 */
import { ProofOps as ProofOpsProto } from "cosmjs-types/tendermint/crypto/proof";
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import type { KVStore } from "../../chain/store/types";
import type { ClientState, ConsensusState, Height } from "./client-state";
import { formatHeight, hexUpper, toHeight } from "./client-state";
import { fail } from "./errors";
import { decodeCanonical } from "./message";
import { type ExecResult, type ResultProof, verifyTxAndResult } from "./proof-results";
import { type ProofOp, verifyStateMembership, verifyStateNonMembership } from "./proof-state";
import { decodeTxProofProto } from "./proof-tx";
import { requireActive } from "./status";
import { getConsensusState } from "./store";
import type { Time } from "./types";

export interface TxClaim {
  readonly height: bigint | Height;
  readonly tx: Uint8Array;
  /** Protobuf `tendermint.types.TxProof` (what `/tx?prove=true` returns, re-encoded by the relayer). */
  readonly txProof: Uint8Array;
  readonly result: ExecResult;
  readonly resultProof: ResultProof;
}

export interface ProvenTx {
  /** sha256(tx), uppercase hex. */
  readonly txHash: string;
  readonly height: Height;
  /** Header hash of block H, uppercase hex. */
  readonly blockHash: string;
  /** As the proofs claim them (see MerkleProof): not for keys. */
  readonly index: number;
  readonly total: number;
  /** 0 for success. */
  readonly code: number;
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
}

export interface StateClaim {
  /** The query height H: the state after block H, committed in header H+1's app_hash. */
  readonly height: bigint | Height;
  readonly storeName: string;
  readonly key: Uint8Array;
  /** Undefined to prove absence. */
  readonly value?: Uint8Array;
  readonly proofOps: Uint8Array | readonly ProofOp[];
}

export interface ProvenState {
  readonly height: Height;
  readonly storeName: string;
  readonly key: Uint8Array;
  /** Undefined when absence was proven. */
  readonly value: Uint8Array | undefined;
}

const isBytes = (x: unknown): x is Uint8Array => x instanceof Uint8Array;

/** The bytes, once decodeCanonical accepted them (unknown fields refused as for every message). */
function decodeCanonicalBytes<T>(bytes: Uint8Array, codec: { decode(b: Uint8Array): T; encode(m: T): { finish(): Uint8Array } }, what: string): Uint8Array {
  decodeCanonical(bytes, codec, what);
  return bytes;
}

async function stored(store: KVStore, h: Height, why: string): Promise<ConsensusState> {
  const c = await getConsensusState(store, h);
  if (c === undefined) fail("unknown-height", `no consensus state at ${formatHeight(h)} (${why}): never verified, or pruned`);
  return c;
}

const nextHeight = (h: Height): Height => ({ revisionNumber: h.revisionNumber, revisionHeight: h.revisionHeight + 1n });

function checkTxClaim(c: TxClaim): void {
  if (typeof c !== "object" || c === null || !isBytes(c.tx) || !isBytes(c.txProof)) fail("bad-encoding", "a tx claim is { height, tx: bytes, txProof: bytes, result, resultProof }");
  const r = c.result;
  if (typeof r !== "object" || r === null || !Number.isSafeInteger(r.code) || r.code < 0 || r.code > 0xffffffff || !isBytes(r.data))
    fail("bad-encoding", "result is { code: uint32, data: bytes, gasWanted: bigint, gasUsed: bigint }");
  if (typeof r.gasWanted !== "bigint" || typeof r.gasUsed !== "bigint") fail("bad-encoding", "result gasWanted and gasUsed are bigints");
  const p = c.resultProof;
  if (typeof p !== "object" || p === null || !Array.isArray(p.aunts) || !p.aunts.every(isBytes)) fail("bad-encoding", "resultProof is { total, index, aunts: bytes[] }");
}

export async function proveTransaction(store: KVStore, claim: TxClaim, now: Time): Promise<ProvenTx> {
  const state: ClientState = await requireActive(store, now);
  checkTxClaim(claim);
  const h = toHeight(state, claim.height);
  const block = await stored(store, h, "the block holding the tx");
  const next = await stored(store, nextHeight(h), "the header committing to the block's results");
  const proven = verifyTxAndResult({
    tx: claim.tx,
    txProof: decodeTxProofProto(decodeCanonicalBytes(claim.txProof, TxProofProto, "TxProof")),
    result: claim.result,
    resultProof: claim.resultProof,
    dataHash: block.dataHash,
    lastResultsHash: next.lastResultsHash,
  });
  const { result } = proven;
  return {
    txHash: proven.txHash,
    height: h,
    blockHash: hexUpper(block.headerHash),
    index: proven.index,
    total: proven.total,
    code: result.code,
    data: result.data,
    gasWanted: result.gasWanted,
    gasUsed: result.gasUsed,
  };
}

/** A proven tx that succeeded (code 0), else "tx-failed". */
export function requireTxSuccess(p: ProvenTx): ProvenTx {
  if (p.code !== 0) fail("tx-failed", `tx ${p.txHash} at ${formatHeight(p.height)} failed with code ${p.code}`);
  return p;
}

function proofOpsOf(x: StateClaim["proofOps"]): ProofOp[] {
  if (isBytes(x)) return decodeCanonical(x, ProofOpsProto, "ProofOps").ops.map((o) => ({ type: o.type, key: o.key, data: o.data }));
  if (!Array.isArray(x) || !x.every((o) => typeof o === "object" && o !== null && typeof o.type === "string" && isBytes(o.key) && isBytes(o.data)))
    fail("bad-proof-ops", "proofOps is ProofOps bytes or [{ type, key: bytes, data: bytes }]");
  return [...x];
}

export async function proveState(store: KVStore, claim: StateClaim, now: Time): Promise<ProvenState> {
  const state = await requireActive(store, now);
  if (typeof claim !== "object" || claim === null || typeof claim.storeName !== "string" || !isBytes(claim.key) || (claim.value !== undefined && !isBytes(claim.value)))
    fail("bad-encoding", "a state claim is { height, storeName: string, key: bytes, value?: bytes, proofOps }");
  const h = toHeight(state, claim.height);
  const committed = await stored(store, nextHeight(h), "the header whose app_hash commits to the state after the query height");
  const query = { ops: proofOpsOf(claim.proofOps), storeName: claim.storeName, key: claim.key, appHash: committed.root };
  if (claim.value === undefined) verifyStateNonMembership(query);
  else verifyStateMembership({ ...query, value: claim.value });
  return { height: h, storeName: claim.storeName, key: claim.key, value: claim.value };
}
