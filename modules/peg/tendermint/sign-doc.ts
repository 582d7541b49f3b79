/**
 * What the federation's members sign to move the Hub's coins: the legacy amino JSON sign doc
 * (SIGN_MODE_LEGACY_AMINO_JSON, the only mode the Cosmos SDK accepts from a multisig's members) of
 * a tx of one bank message from the federation's multisig account, and the tx body it stands for.
 *
 * Sign doc: `{account_number, chain_id, fee: {amount, gas}, memo, msgs: [msg], sequence,
 *   timeout_height}` with the multisig account's number and sequence, serialized as the SDK's
 *   StdSignBytes: keys sorted, no whitespace, `&`, `<`, `>` escaped as \u0026, \u003c, \u003e.
 *   @cosmjs/amino (`makeSignDoc`, `serializeSignDoc`) writes it; nothing here is hand-written JSON.
 * Message: one output → `cosmos-sdk/MsgSend {amount, from_address, to_address}`; several →
 *   `cosmos-sdk/MsgMultiSend {inputs: [{address: from, coins: their sum}], outputs}` (the SDK allows
 *   one input), outputs in the order given, none merged. Every coin list holds one coin of `denom`.
 * Fee: one coin of `denom` (none when the amount is 0) and the gas limit; no payer, no granter.
 * Timeout: `timeout_height` ≥ 1 always, so an unconfirmed release can be replaced safely once the
 *   Hub has passed it. Unordered txs and timeout timestamps are not used.
 * Text: the chain id and the memo are printable ASCII (where JavaScript's and Go's JSON escaping
 *   agree); addresses are lowercase bech32 of the `from` address's prefix, 20 or 32 bytes.
 *
 * `parseHubSignDoc` reads a payload back and refuses anything `hubSignBytes` would not write byte
 * for byte, so a payload names exactly one tx body, fee and sequence (multisig-tx.ts assembles it).
 */
import { type AminoMsg, makeSignDoc, serializeSignDoc, type StdFee } from "@cosmjs/amino";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { TxBody } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { bytesEqual } from "../../../chain/store/bytes";
import { MSG_MULTI_SEND, MSG_SEND } from "./transfer";

/** Every bad input of the Hub release code throws one, saying what is wrong. */
export class HubReleaseError extends Error {
  override readonly name = "HubReleaseError";
}

export function fail(message: string): never {
  throw new HubReleaseError(message);
}

export const AMINO_MSG_SEND = "cosmos-sdk/MsgSend";
export const AMINO_MSG_MULTI_SEND = "cosmos-sdk/MsgMultiSend";
/** The Hub's auth param max_memo_characters (the SDK default). */
export const MAX_MEMO_CHARACTERS = 256;
/** CometBFT's longest chain id. */
export const MAX_CHAIN_ID_LENGTH = 50;
/** An sdk.Int holds at most 256 bits. */
export const MAX_AMOUNT = (1n << 256n) - 1n;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_I64 = (1n << 63n) - 1n;
/** CosmJS' makeSignDoc keeps sequences as Uint53. */
const MAX_SEQUENCE = BigInt(Number.MAX_SAFE_INTEGER);

/** A Cosmos SDK base denom, as the tendermint kind validates it. */
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** One transfer out of the federation's account. */
export interface HubTransfer {
  /** Lowercase bech32 of the Hub. */
  readonly address: string;
  readonly amount: bigint;
}

/** Everything a Hub release's sign doc says, and so everything its tx body and fee are built from. */
export interface HubSignDocFields {
  readonly chainId: string;
  /** The federation multisig account's number and sequence. */
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  /** The last Hub height that may include the tx (≥ 1). */
  readonly timeoutHeight: bigint;
  readonly memo: string;
  /** The one denom every coin of the tx is in, the fee's included. */
  readonly denom: string;
  readonly fee: { readonly amount: bigint; readonly gasLimit: bigint };
  /** The federation's account the coins leave. */
  readonly from: string;
  /** In order: one is a MsgSend, several a MsgMultiSend. */
  readonly outputs: readonly HubTransfer[];
}

// ---- checks

/** The account bytes of a canonical (lowercase) bech32 account address with `prefix` (any prefix when undefined). */
export function hubAccountBytes(address: string, prefix: string | undefined, what: string): { prefix: string; bytes: Uint8Array } {
  if (typeof address !== "string" || address.length === 0) fail(`${what}: an address must be a non-empty string`);
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(address as `${string}1${string}`, 1023);
  } catch (e) {
    fail(`${what}: ${JSON.stringify(address)} is not a Hub account address: not bech32 (${(e as Error).message})`);
  }
  if (prefix !== undefined && decoded.prefix !== prefix)
    fail(`${what}: ${JSON.stringify(address)} is not a Hub account address: its prefix is ${JSON.stringify(decoded.prefix)}, the Hub's is ${JSON.stringify(prefix)}`);
  let bytes: Uint8Array;
  try {
    bytes = bech32.fromWords(decoded.words);
  } catch (e) {
    fail(`${what}: ${JSON.stringify(address)} is not a Hub account address: ${(e as Error).message}`);
  }
  if (bytes.length !== 20 && bytes.length !== 32) fail(`${what}: ${JSON.stringify(address)} is not a Hub account address: it holds ${bytes.length} bytes, not 20 or 32`);
  if (bech32.encode(decoded.prefix, bech32.toWords(bytes), 1023) !== address) fail(`${what}: ${JSON.stringify(address)} must be written in lowercase`);
  return { prefix: decoded.prefix, bytes };
}

function checkUint(v: bigint, min: bigint, max: bigint, what: string): void {
  if (typeof v !== "bigint" || v < min || v > max) fail(`${what} must be a bigint from ${min} to ${max}, got ${String(v)}`);
}

/** Throws a HubReleaseError naming the first field `hubSignBytes` would not write. */
export function checkHubSignDocFields(f: HubSignDocFields): void {
  if (typeof f.chainId !== "string" || f.chainId.length === 0 || f.chainId.length > MAX_CHAIN_ID_LENGTH || !PRINTABLE.test(f.chainId) || f.chainId.trim() !== f.chainId)
    fail(`chain id ${JSON.stringify(f.chainId)} must be 1 to ${MAX_CHAIN_ID_LENGTH} printable ASCII characters without surrounding spaces`);
  checkUint(f.accountNumber, 0n, MAX_U64, "accountNumber");
  checkUint(f.sequence, 0n, MAX_SEQUENCE, "sequence");
  checkUint(f.timeoutHeight, 1n, MAX_I64, "timeoutHeight");
  if (typeof f.memo !== "string" || f.memo.length > MAX_MEMO_CHARACTERS || !PRINTABLE.test(f.memo)) fail(`the memo must be at most ${MAX_MEMO_CHARACTERS} printable ASCII characters`);
  if (typeof f.denom !== "string" || !DENOM.test(f.denom)) fail(`denom ${JSON.stringify(f.denom)} is not a Cosmos SDK denom`);
  checkUint(f.fee?.amount, 0n, MAX_AMOUNT, "fee.amount");
  checkUint(f.fee?.gasLimit, 1n, MAX_I64, "fee.gasLimit");
  const { prefix } = hubAccountBytes(f.from, undefined, "from");
  if (!Array.isArray(f.outputs) || f.outputs.length === 0) fail("a release sends to at least one output");
  let total = 0n;
  f.outputs.forEach((o, i) => {
    hubAccountBytes(o.address, prefix, `output ${i}`);
    checkUint(o.amount, 1n, MAX_AMOUNT, `output ${i} amount`);
    total += o.amount;
  });
  if (total > MAX_AMOUNT) fail(`the outputs total ${total}, more than an sdk.Int holds`);
}

// ---- the sign doc

const coins = (denom: string, amount: bigint): Coin[] => (amount === 0n ? [] : [{ denom, amount: amount.toString() }]);
const total = (outputs: readonly HubTransfer[]) => outputs.reduce((sum, o) => sum + o.amount, 0n);

/** The one amino message of the release. */
function aminoMsg(f: HubSignDocFields): AminoMsg {
  if (f.outputs.length === 1)
    return { type: AMINO_MSG_SEND, value: { from_address: f.from, to_address: f.outputs[0].address, amount: coins(f.denom, f.outputs[0].amount) } };
  return {
    type: AMINO_MSG_MULTI_SEND,
    value: {
      inputs: [{ address: f.from, coins: coins(f.denom, total(f.outputs)) }],
      outputs: f.outputs.map((o) => ({ address: o.address, coins: coins(f.denom, o.amount) })),
    },
  };
}

function stdFee(f: HubSignDocFields): StdFee {
  return { amount: coins(f.denom, f.fee.amount), gas: f.fee.gasLimit.toString() };
}

/** The sign bytes members sign (StdSignBytes): CosmJS `serializeSignDoc(makeSignDoc(...))` of the fields. */
export function hubSignBytes(f: HubSignDocFields): Uint8Array {
  checkHubSignDocFields(f);
  return serializeSignDoc(makeSignDoc([aminoMsg(f)], stdFee(f), f.chainId, f.memo, f.accountNumber, f.sequence.toString(), f.timeoutHeight));
}

/** What each member signs: sha256 of the sign bytes (the SDK's secp256k1 keys sign sha256(msg)). */
export function hubReleaseDigest(signBytes: Uint8Array): Uint8Array {
  if (!(signBytes instanceof Uint8Array) || signBytes.length === 0) fail("the sign doc must be non-empty bytes");
  return sha256(signBytes);
}

/** A release's id: sha256 of its sign bytes, uppercase hex (what Release.txid holds for this kind; not the Hub's tx hash). */
export function hubReleaseId(signBytes: Uint8Array): string {
  return Buffer.from(hubReleaseDigest(signBytes)).toString("hex").toUpperCase();
}

// ---- reading a payload back

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Json;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") fail(`${what} is not a string`);
  return v;
}

function uint(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(v)) fail(`${what} is not a decimal integer string`);
  return BigInt(v);
}

/** The amount of a one-coin list (0 for an empty list, the fee's case). */
function oneCoin(v: unknown, what: string, denom: { value?: string }): bigint {
  if (!Array.isArray(v) || v.length > 1) fail(`${what} must hold at most one coin`);
  if (v.length === 0) return 0n;
  const c = obj(v[0], what);
  const d = str(c.denom, `${what} denom`);
  if (denom.value !== undefined && d !== denom.value) fail(`${what} is in ${d}, the release's coins are in ${denom.value}`);
  denom.value = d;
  return uint(c.amount, `${what} amount`);
}

/**
 * The fields of a release's sign bytes; throws a HubReleaseError for bytes that are not exactly
 * what `hubSignBytes` writes for some fields (another message, several coins or denoms, another
 * serialization).
 */
export function parseHubSignDoc(signBytes: Uint8Array): HubSignDocFields {
  if (!(signBytes instanceof Uint8Array)) fail("the sign doc must be bytes");
  let doc: Json;
  try {
    doc = obj(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(signBytes)), "the sign doc");
  } catch (e) {
    fail(`the payload is not a Hub release sign doc: ${(e as Error).message}`);
  }
  const msgs = doc.msgs;
  if (!Array.isArray(msgs) || msgs.length !== 1) fail("the sign doc must hold exactly one message");
  const msg = obj(msgs[0], "the message");
  const value = obj(msg.value, "the message's value");
  const denom: { value?: string } = {};
  let from: string;
  let outputs: HubTransfer[];
  if (msg.type === AMINO_MSG_SEND) {
    from = str(value.from_address, "from_address");
    outputs = [{ address: str(value.to_address, "to_address"), amount: oneCoin(value.amount, "the MsgSend amount", denom) }];
  } else if (msg.type === AMINO_MSG_MULTI_SEND) {
    const inputs = value.inputs;
    if (!Array.isArray(inputs) || inputs.length !== 1) fail("a MsgMultiSend release has exactly one input");
    const input = obj(inputs[0], "the input");
    from = str(input.address, "the input's address");
    oneCoin(input.coins, "the input's coins", denom);
    if (!Array.isArray(value.outputs) || value.outputs.length < 2) fail("a MsgMultiSend release has at least two outputs");
    outputs = value.outputs.map((o: unknown, i: number) => {
      const out = obj(o, `output ${i}`);
      return { address: str(out.address, `output ${i} address`), amount: oneCoin(out.coins, `output ${i} coins`, denom) };
    });
  } else fail(`the message is a ${JSON.stringify(msg.type)}, not a ${AMINO_MSG_SEND} or ${AMINO_MSG_MULTI_SEND}`);
  const fee = obj(doc.fee, "the fee");
  const feeAmount = oneCoin(fee.amount, "the fee", denom);
  if (denom.value === undefined) fail("the sign doc moves no coins");
  const fields: HubSignDocFields = {
    chainId: str(doc.chain_id, "chain_id"),
    accountNumber: uint(doc.account_number, "account_number"),
    sequence: uint(doc.sequence, "sequence"),
    timeoutHeight: uint(doc.timeout_height, "timeout_height"),
    memo: str(doc.memo, "memo"),
    denom: denom.value,
    fee: { amount: feeAmount, gasLimit: uint(fee.gas, "the fee's gas") },
    from,
    outputs,
  };
  if (!bytesEqual(hubSignBytes(fields), signBytes)) fail("the payload is not the canonical sign doc of the release it describes");
  return fields;
}

// ---- the tx body

/** The release's one message as the tx body carries it. */
export function hubMessage(f: HubSignDocFields): Any {
  const amount = coins(f.denom, f.outputs.length === 1 ? f.outputs[0].amount : total(f.outputs));
  if (f.outputs.length === 1)
    return { typeUrl: MSG_SEND, value: MsgSend.encode(MsgSend.fromPartial({ fromAddress: f.from, toAddress: f.outputs[0].address, amount })).finish() };
  const multi = MsgMultiSend.fromPartial({ inputs: [{ address: f.from, coins: amount }], outputs: f.outputs.map((o) => ({ address: o.address, coins: coins(f.denom, o.amount) })) });
  return { typeUrl: MSG_MULTI_SEND, value: MsgMultiSend.encode(multi).finish() };
}

/** TxBody{messages: [the message], memo, timeout_height}: the body the sign doc stands for. */
export function hubTxBodyBytes(f: HubSignDocFields): Uint8Array {
  checkHubSignDocFields(f);
  return TxBody.encode(TxBody.fromPartial({ messages: [hubMessage(f)], memo: f.memo, timeoutHeight: f.timeoutHeight })).finish();
}
