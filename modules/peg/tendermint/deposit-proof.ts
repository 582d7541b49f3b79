/**
 * The tendermint kind's encodings of what the peg keeps opaque (kinds.ts, `DepositFlow`): deposit
 * ids, the deposit proof and the reserve data.
 *
 * - Ids: a deposit is one message of one Hub tx; its id is sha256(tx) (32 bytes) ‖ the message
 *   index as a big-endian u32 (36 bytes), its display id "TXHASH:index" (TXHASH uppercase hex, as
 *   the Hub shows tx hashes). A successful tx executes once (its signers' sequences), so the tx hash
 *   names one execution; the tx's position in its block is not part of the id (not authenticated).
 * - Proofs: MsgClaimDeposit.proof is a pegzone.peg.tendermint.v1.DepositProof.
 * - Reserve data: ReserveEntry.data is a ReserveAccount (the federation account holding the coins).
 *
 * A refused proof throws a `TendermintDepositError` (with a `reason`, as the light client's
 * TendermintErrors, so the peg maps it to ErrInvalidProof); a malformed id throws a plain Error.
 */
import { google, pegzone } from "../../../proto";

const tmV1 = pegzone.peg.tendermint.v1;

export const DEPOSIT_PROOF_TYPE = "/pegzone.peg.tendermint.v1.DepositProof";
export const RESERVE_ACCOUNT_TYPE = "/pegzone.peg.tendermint.v1.ReserveAccount";

/** Why the tendermint kind refuses a deposit proof before or after the light client saw it. */
export type TendermintDepositReason =
  | "malformed-proof" // a DepositProof that does not decode or lacks a field
  | "bad-tx" // tx bytes that are no canonical TxRaw / TxBody / bank message
  | "no-such-message" // msg_index beyond the tx's messages
  | "not-a-transfer" // the message is not a MsgSend or MsgMultiSend
  | "bad-amount" // a coin amount that is not a decimal integer
  | "wrong-denom"; // the message pays the federation none of the chain's denom

export class TendermintDepositError extends Error {
  override readonly name = "TendermintDepositError";
  constructor(
    readonly reason: TendermintDepositReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function refuse(reason: TendermintDepositReason, detail: string): never {
  throw new TendermintDepositError(reason, detail);
}

// ---- ids

const DISPLAY_ID_RE = /^([0-9a-fA-F]{64}):(0|[1-9][0-9]{0,9})$/;
const MAX_U32 = 0xffffffff;

function checkIndex(msgIndex: number): void {
  if (!Number.isInteger(msgIndex) || msgIndex < 0 || msgIndex > MAX_U32) throw new Error(`a message index is an integer from 0 to 2^32-1, got ${msgIndex}`);
}

/** "TXHASH:msgIndex" (TXHASH: 64 hex digits, shown uppercase as the Hub shows tx hashes). */
export function tendermintDepositDisplayId(txHashHex: string, msgIndex: number): string {
  if (typeof txHashHex !== "string" || !/^[0-9a-fA-F]{64}$/.test(txHashHex)) throw new Error(`a tx hash is 64 hex digits, got ${JSON.stringify(txHashHex)}`);
  checkIndex(msgIndex);
  return `${txHashHex.toUpperCase()}:${msgIndex}`;
}

/** The id of message `msgIndex` of the tx hashing to `txHash` (32 bytes): txHash ‖ u32be(msgIndex). */
export function tendermintDepositId(txHash: Uint8Array, msgIndex: number): Uint8Array {
  if (!(txHash instanceof Uint8Array) || txHash.length !== 32) throw new Error("a tx hash is 32 bytes");
  checkIndex(msgIndex);
  const id = new Uint8Array(36);
  id.set(txHash, 0);
  new DataView(id.buffer).setUint32(32, msgIndex, false);
  return id;
}

/** `DepositFlow.parseDepositId`: the id of "TXHASH:msgIndex" (either case of hex); a clear Error for a malformed one. */
export function parseTendermintDepositId(displayId: string): Uint8Array {
  const m = typeof displayId === "string" ? DISPLAY_ID_RE.exec(displayId) : null;
  const index = m ? Number(m[2]) : NaN;
  if (!m || index > MAX_U32)
    throw new Error(`a tendermint deposit id is "TXHASH:index" (64 hex digits, a colon, a message index up to 4294967295), got ${JSON.stringify(displayId)}`);
  return tendermintDepositId(Uint8Array.from(Buffer.from(m[1], "hex")), index);
}

// ---- proofs

/** What a relayer proves: a tx of block `height`, its result, their proofs, and which message is the deposit. */
export interface TendermintDepositProofFields {
  readonly height: bigint;
  /** The raw tx (TxRaw bytes) as in the block. */
  readonly tx: Uint8Array;
  /** tendermint.types.TxProof bytes against header `height`'s data_hash. */
  readonly txProof: Uint8Array;
  /** The ExecTxResult fields header height+1's last_results_hash commits to. */
  readonly result: { readonly code: number; readonly data: Uint8Array; readonly gasWanted: bigint; readonly gasUsed: bigint };
  readonly resultProof: { readonly total: number; readonly index: number; readonly aunts: readonly Uint8Array[] };
  readonly msgIndex: number;
}

/** A bigint that the generated code (64-bit fields as JS numbers) carries exactly. */
function safeNumber(v: bigint, what: string): number {
  if (typeof v !== "bigint" || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error(`${what} must be a bigint within ±2^53, got ${String(v)}`);
  return Number(v);
}

/** MsgClaimDeposit.proof for a Tendermint main chain. */
export function tendermintDepositProof(fields: TendermintDepositProofFields): google.protobuf.IAny {
  const { height, tx, txProof, result, resultProof, msgIndex } = fields;
  if (safeNumber(height, "height") < 1) throw new Error("height must be at least 1");
  checkIndex(msgIndex);
  const value = tmV1.DepositProof.encode({
    height: safeNumber(height, "height"),
    tx,
    txProof,
    result: { code: result.code, data: result.data, gasWanted: safeNumber(result.gasWanted, "gas_wanted"), gasUsed: safeNumber(result.gasUsed, "gas_used") },
    resultProof: { total: resultProof.total, index: resultProof.index, aunts: [...resultProof.aunts] },
    msgIndex,
  }).finish();
  return { type_url: DEPOSIT_PROOF_TYPE, value };
}

/** A DepositProof's fields as the light client takes them; throws a TendermintDepositError for a malformed one. */
export function decodeTendermintDepositProof(value: Uint8Array): TendermintDepositProofFields {
  let p: pegzone.peg.tendermint.v1.DepositProof;
  try {
    p = tmV1.DepositProof.decode(value);
  } catch (e) {
    refuse("malformed-proof", `DepositProof does not decode: ${(e as Error).message}`);
  }
  if (!Number.isSafeInteger(p.height) || p.height < 1) refuse("malformed-proof", `height must be at least 1, got ${p.height}`);
  if (p.tx.length === 0) refuse("malformed-proof", "empty tx");
  if (p.txProof.length === 0) refuse("malformed-proof", "empty tx_proof");
  if (p.result == null) refuse("malformed-proof", "no result");
  if (p.resultProof == null) refuse("malformed-proof", "no result_proof");
  // Decoded messages carry every field (defaults included), whatever their declared interface says.
  const r = p.result as pegzone.peg.tendermint.v1.ExecResult;
  const rp = p.resultProof as pegzone.peg.tendermint.v1.ResultProof;
  if (!Number.isSafeInteger(r.gasWanted) || !Number.isSafeInteger(r.gasUsed)) refuse("malformed-proof", "result gas_wanted and gas_used must be within ±2^53");
  return {
    height: BigInt(p.height),
    tx: p.tx,
    txProof: p.txProof,
    result: { code: r.code, data: r.data, gasWanted: BigInt(r.gasWanted), gasUsed: BigInt(r.gasUsed) },
    resultProof: { total: rp.total, index: rp.index, aunts: rp.aunts },
    msgIndex: p.msgIndex,
  };
}

// ---- reserve data

/** ReserveEntry.data's value: the federation account (bech32) that holds the deposit. */
export function reserveAccountData(address: string): Uint8Array {
  return tmV1.ReserveAccount.encode({ address }).finish();
}

/** A ReserveAccount's address; throws an Error for data that does not decode. */
export function decodeReserveAccount(data: Uint8Array): string {
  try {
    return tmV1.ReserveAccount.decode(data).address;
  } catch (e) {
    throw new Error(`reserve entry data is not a ReserveAccount: ${(e as Error).message}`);
  }
}
