/**
 * The bitcoin kind's encodings of what the peg keeps opaque (kinds.ts, `PegFlow`): ids, proofs and
 * reserve data, and the conversion between the peg's generic releases and the bitcoin ones the
 * builders and signing code work on (types.ts).
 *
 * - Ids: a deposit or reserve entry is an outpoint; its id is the 32 txid bytes in display order ‖
 *   vout as a big-endian u32 (36 bytes), its display id "txid:vout" (lowercase display hex).
 * - Proofs: MsgClaimDeposit.proof is a pegzone.peg.bitcoin.v1.DepositProof, MsgConfirmRelease.proof
 *   a TxProof (the raw transaction, its block's display hash, the light client's inclusion proof).
 * - Reserve data: ReserveEntry.data is a ReserveOutput (the output's P2WSH script and its witness script).
 *
 * A malformed proof throws a `BitcoinProofError` (with a `reason`, as the light client's errors, so
 * the peg maps it to ErrInvalidProof); malformed ids or reserve data throw a plain Error / ReleaseError.
 */
import { fromHex, toHex } from "../../../light-client/bitcoin/bytes";
import type { InclusionProof } from "../../../light-client/bitcoin/types";
import { google, pegzone } from "../../../proto";
import type { BuiltRelease, ReserveEntryView } from "../kinds";
import { fail } from "./errors";
import type { ReleaseTx } from "./sign";
import type { ReleaseUtxo } from "./types";

const btcV1 = pegzone.peg.bitcoin.v1;

export const DEPOSIT_PROOF_TYPE = "/pegzone.peg.bitcoin.v1.DepositProof";
export const TX_PROOF_TYPE = "/pegzone.peg.bitcoin.v1.TxProof";
export const RESERVE_OUTPUT_TYPE = "/pegzone.peg.bitcoin.v1.ReserveOutput";

const TXID_RE = /^[0-9a-f]{64}$/;
const DISPLAY_ID_RE = /^([0-9a-fA-F]{64}):(0|[1-9][0-9]{0,9})$/;

/** Why a bitcoin proof is refused before the light client sees it. */
export type BitcoinProofReason = "malformed-proof" | "no-such-output";

/** A proof refused by the bitcoin kind itself; the light client's own refusals are LightClientErrors. */
export class BitcoinProofError extends Error {
  override readonly name = "BitcoinProofError";
  constructor(
    readonly reason: BitcoinProofReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

// ---- ids

/** The id of outpoint `txid:vout` (txid: display hex): 32 bytes of the txid as displayed ‖ vout u32 big-endian. */
export function outpointId(txid: string, vout: number): Uint8Array {
  if (typeof txid !== "string" || !TXID_RE.test(txid)) throw new Error(`txid must be 64 lowercase hex characters, got ${JSON.stringify(txid)}`);
  if (!Number.isInteger(vout) || vout < 0 || vout > 0xffffffff) throw new Error(`vout must be an integer from 0 to 2^32-1, got ${vout}`);
  const id = new Uint8Array(36);
  id.set(fromHex(txid), 0);
  new DataView(id.buffer).setUint32(32, vout, false);
  return id;
}

/** The outpoint of an id made by `outpointId`; throws for one that is not 36 bytes. */
export function parseOutpointId(id: Uint8Array): { txid: string; vout: number } {
  if (!(id instanceof Uint8Array) || id.length !== 36) throw new Error(`a bitcoin outpoint id is 36 bytes, got ${id instanceof Uint8Array ? id.length : typeof id}`);
  return { txid: toHex(id.subarray(0, 32)), vout: new DataView(id.buffer, id.byteOffset, id.byteLength).getUint32(32, false) };
}

/** How users write an outpoint: "txid:vout". */
export function outpointDisplayId(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** The display id of an id made by `outpointId`. */
export function displayIdOf(id: Uint8Array): string {
  const { txid, vout } = parseOutpointId(id);
  return outpointDisplayId(txid, vout);
}

/** The outpoint "txid:vout" (txid: 64 hex digits, display order; vout: decimal up to 2^32-1); throws a clear Error for a malformed one. */
export function parseOutpointDisplayId(displayId: string): { txid: string; vout: number } {
  const m = typeof displayId === "string" ? DISPLAY_ID_RE.exec(displayId) : null;
  const vout = m ? Number(m[2]) : NaN;
  if (!m || vout > 0xffffffff) throw new Error(`a bitcoin deposit id is "txid:vout" (64 hex digits, a colon, an output index up to 4294967295), got ${JSON.stringify(displayId)}`);
  return { txid: m[1].toLowerCase(), vout };
}

/** `PegFlow.parseDepositId`: the id of the outpoint "txid:vout". */
export function parseDepositId(displayId: string): Uint8Array {
  const { txid, vout } = parseOutpointDisplayId(displayId);
  return outpointId(txid, vout);
}

// ---- proofs

/** What a TxProof carries: a transaction and the light client's proof that a stored block includes it. */
export interface BitcoinTxProofFields {
  /** The raw transaction (witness serialization accepted). */
  readonly tx: Uint8Array;
  /** Display hex of the block that includes it. */
  readonly blockHash: string;
  /** The light client's inclusion proof (relayer/tx-proof.ts: buildInclusionProof). */
  readonly merkleProof: Uint8Array;
}

/** MsgConfirmRelease.proof: `tx` is in block `blockHash`. */
export function bitcoinTxProof(fields: BitcoinTxProofFields): google.protobuf.IAny {
  return { type_url: TX_PROOF_TYPE, value: btcV1.TxProof.encode(txProofMessage(fields)).finish() };
}

/** MsgClaimDeposit.proof: output `vout` of `tx`, in block `blockHash`. */
export function bitcoinDepositProof(fields: BitcoinTxProofFields & { readonly vout: number }): google.protobuf.IAny {
  return { type_url: DEPOSIT_PROOF_TYPE, value: btcV1.DepositProof.encode({ tx: txProofMessage(fields), vout: fields.vout }).finish() };
}

function txProofMessage({ tx, blockHash, merkleProof }: BitcoinTxProofFields): pegzone.peg.bitcoin.v1.ITxProof {
  return { tx, blockHash, merkleProof };
}

function malformed(detail: string): never {
  throw new BitcoinProofError("malformed-proof", detail);
}

function checkedTxProof(p: pegzone.peg.bitcoin.v1.ITxProof | null | undefined, what: string): InclusionProof {
  if (!p) malformed(`${what} has no transaction proof`);
  const tx = p.tx ?? new Uint8Array();
  const proof = p.merkleProof ?? new Uint8Array();
  const blockHash = p.blockHash ?? "";
  if (tx.length === 0) malformed(`${what}: empty transaction`);
  if (proof.length === 0) malformed(`${what}: empty merkle proof`);
  if (!TXID_RE.test(blockHash)) malformed(`${what}: block hash must be 64 lowercase hex digits, got ${JSON.stringify(blockHash)}`);
  return { tx, blockHash, proof };
}

/** The inclusion proof a TxProof (MsgConfirmRelease.proof's value) carries; throws a BitcoinProofError for a malformed one. */
export function decodeTxProof(value: Uint8Array): InclusionProof {
  let p: pegzone.peg.bitcoin.v1.TxProof;
  try {
    p = btcV1.TxProof.decode(value);
  } catch (e) {
    malformed(`TxProof does not decode: ${(e as Error).message}`);
  }
  return checkedTxProof(p, "TxProof");
}

/** The inclusion proof and output index a DepositProof (MsgClaimDeposit.proof's value) carries; throws a BitcoinProofError for a malformed one. */
export function decodeDepositProof(value: Uint8Array): InclusionProof & { readonly vout: number } {
  let p: pegzone.peg.bitcoin.v1.DepositProof;
  try {
    p = btcV1.DepositProof.decode(value);
  } catch (e) {
    malformed(`DepositProof does not decode: ${(e as Error).message}`);
  }
  return { ...checkedTxProof(p.tx, "DepositProof"), vout: p.vout };
}

// ---- reserve data

/** ReserveEntry.data's value: the output's script and the witness script it hashes. */
export function reserveOutputData(script: Uint8Array, witnessScript: Uint8Array): Uint8Array {
  return btcV1.ReserveOutput.encode({ script, witnessScript }).finish();
}

/** A ReserveOutput's fields; throws a ReleaseError for data that does not decode. */
export function decodeReserveOutput(data: Uint8Array): { script: Uint8Array; witnessScript: Uint8Array } {
  try {
    const r = btcV1.ReserveOutput.decode(data);
    return { script: r.script, witnessScript: r.witnessScript };
  } catch (e) {
    fail(`reserve entry data is not a ReserveOutput: ${(e as Error).message}`);
  }
}

// ---- releases

/** The reserve output a generic entry stands for (its outpoint from the id, its witness script from the data). */
export function entryUtxo(entry: ReserveEntryView): ReleaseUtxo {
  let outpoint: { txid: string; vout: number };
  try {
    outpoint = parseOutpointId(entry.id);
  } catch (e) {
    fail(`reserve entry ${entry.displayId}: ${(e as Error).message}`);
  }
  const { txid, vout } = outpoint;
  if (entry.displayId !== outpointDisplayId(txid, vout)) fail(`reserve entry ${entry.displayId}: its id is the outpoint ${txid}:${vout}`);
  return { txid, vout, value: entry.value, witnessScript: decodeReserveOutput(entry.data).witnessScript };
}

/** The reserve entry a bitcoin reserve output is. */
export function utxoEntry(utxo: ReleaseUtxo, script: Uint8Array): ReserveEntryView {
  return { id: outpointId(utxo.txid, utxo.vout), displayId: outpointDisplayId(utxo.txid, utxo.vout), value: utxo.value, data: reserveOutputData(script, utxo.witnessScript) };
}

/** What the signing code needs of a generic release: its payload is the unsigned transaction, its inputs are outpoints. */
export function releaseTxOf(release: BuiltRelease): ReleaseTx {
  return { tx: release.payload, txid: release.txid, inputs: release.inputs.map(entryUtxo) };
}
