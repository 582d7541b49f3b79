/**
 * Tx decoding: TxRaw bytes → a checked domain object. Mirrors the Cosmos SDK v0.50 decoder
 * (x/auth/tx DefaultTxDecoder): ADR-027 checks on TxRaw, unknown fields rejected (TxBody may
 * carry unknown non-critical fields), then protobuf decoding. Every failure is an SdkError,
 * ErrTxDecode (sdk/2) unless noted.
 *
 * Beyond decoding, the checks that only need the tx itself are made here so that later stages can
 * rely on the shape: the only usable public key type is a 33-byte compressed secp256k1 key
 * (other registered key types → ErrInvalidPubKey, sdk/8); signer modes are SIGN_MODE_DIRECT or
 * SIGN_MODE_LEGACY_AMINO_JSON single signers (anything else → ErrUnauthorized, sdk/4, which is how
 * the SDK's signature check reports a mode it cannot verify); fee amounts are non-negative
 * integers (negative → ErrInsufficientFee, sdk/13); the gas limit is at most 2^63-1
 * (ErrInvalidRequest, sdk/18); payer and granter, when set, are valid `peg` addresses
 * (ErrInvalidAddress, sdk/7).
 */
import { createHash } from "node:crypto";
import { BinaryReader } from "cosmjs-types/binary";
import { AuthInfo, TxBody, TxRaw, type SignerInfo } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { PubKey as Secp256k1PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode, signModeToJSON } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { ADDRESS_PREFIX, fromBech32 } from "../crypto/address";
import { isCompressedPubkeyShape } from "../crypto/secp256k1";
import { SdkError, sdkErrors } from "./errors";
import type { MsgRegistry } from "./registry";
import {
  AuthInfoSchema,
  PUBKEY_SCHEMAS,
  SECP256K1_PUBKEY_TYPE_URL,
  TxBodySchema,
  TxRawSchema,
  WireError,
  checkMessage,
  checkTxRawAdr027,
  type AnyResolver,
} from "./wire";

export { SignMode };

/** Largest gas limit a tx may ask for (the SDK's MaxGasWanted = 2^63 - 1). */
export const MAX_GAS_WANTED = (1n << 63n) - 1n;
/** math.Int is limited to 256 bits. */
const MAX_INT_BITS = 256n;

export interface DecodedCoin {
  denom: string;
  amount: bigint;
}

export interface DecodedFee {
  amount: DecodedCoin[];
  gasLimit: bigint;
  /** bech32, "" when not set */
  payer: string;
  /** bech32, "" when not set */
  granter: string;
}

/** The sign modes a signer may use on pegzone. */
export type SupportedSignMode = SignMode.SIGN_MODE_DIRECT | SignMode.SIGN_MODE_LEGACY_AMINO_JSON | SignMode.SIGN_MODE_UNSPECIFIED;

export interface DecodedSignerInfo {
  /** 33-byte compressed secp256k1 key, or null when the tx relies on the key stored on the account. */
  pubkey: Uint8Array | null;
  mode: SupportedSignMode;
  sequence: bigint;
}

export interface DecodedMsg {
  typeUrl: string;
  /** The Any's value: the message's protobuf bytes. */
  value: Uint8Array;
  /** The message decoded by the registry's codec; undefined when decodeTx was called without a registry. */
  msg?: unknown;
}

export interface DecodedTx {
  /** The tx bytes as received. */
  txBytes: Uint8Array;
  /** sha256(txBytes), uppercase hex: the tx hash CometBFT and explorers show. */
  hash: string;
  /** TxRaw.body_bytes, exactly as signed in SIGN_MODE_DIRECT. */
  bodyBytes: Uint8Array;
  /** TxRaw.auth_info_bytes, exactly as signed in SIGN_MODE_DIRECT. */
  authInfoBytes: Uint8Array;
  messages: DecodedMsg[];
  memo: string;
  /** 0n = no timeout */
  timeoutHeight: bigint;
  signerInfos: DecodedSignerInfo[];
  fee: DecodedFee;
  signatures: Uint8Array[];
  /** TxBody carried unknown non-critical fields (tolerated for DIRECT, refused by LEGACY_AMINO_JSON). */
  hasUnknownNonCriticals: boolean;
}

/** sha256 of the tx bytes as uppercase hex. */
export function txHash(txBytes: Uint8Array): string {
  return createHash("sha256").update(txBytes).digest("hex").toUpperCase();
}

const decodeError = (msg: string, cause?: unknown): SdkError => sdkErrors.ErrTxDecode.wrap(msg, cause);

/**
 * Decodes and checks a tx. With a registry, every message's type URL must be registered (else
 * ErrTxDecode, as in the SDK), messages are decoded (`msg`) and checked for unknown fields (by the
 * codec's schema, or by the registry for protobufjs-generated types). Without a registry, messages
 * are left as type URL + bytes.
 */
export function decodeTx(bytes: Uint8Array, registry?: MsgRegistry): DecodedTx {
  if (!(bytes instanceof Uint8Array)) throw decodeError("tx bytes must be a Uint8Array");
  if (bytes.length === 0) throw decodeError("empty tx");

  const resolveAny = (allowMessages: boolean): AnyResolver => (typeUrl) => {
    const pk = PUBKEY_SCHEMAS.get(typeUrl);
    if (pk) return pk;
    if (!allowMessages) return undefined;
    if (!registry) return "unchecked";
    const codec = registry.lookup(typeUrl);
    if (!codec) return undefined;
    return codec.schema ?? "unchecked";
  };

  // TxRaw: ADR-027 and strictly no unknown fields
  let raw: TxRaw;
  try {
    checkTxRawAdr027(bytes);
    checkMessage(bytes, TxRawSchema, { allowNonCritical: false, resolveAny: resolveAny(false) });
    raw = TxRaw.decode(readerOver(bytes));
  } catch (e) {
    throw decodeError(errText(e), e);
  }

  // TxBody: unknown non-critical fields tolerated
  let body: TxBody;
  let hasUnknownNonCriticals: boolean;
  try {
    ({ hasUnknownNonCriticals } = checkMessage(raw.bodyBytes, TxBodySchema, { allowNonCritical: true, resolveAny: resolveAny(true) }));
    body = TxBody.decode(readerOver(raw.bodyBytes));
  } catch (e) {
    throw decodeError(errText(e), e);
  }
  // No extension option types are registered, so like the SDK's interface registry we cannot resolve any.
  const extension = body.extensionOptions[0] ?? body.nonCriticalExtensionOptions[0];
  if (extension) throw decodeError(`unable to resolve type URL ${extension.typeUrl}`);

  // AuthInfo: strictly no unknown fields
  let authInfo: AuthInfo;
  try {
    checkMessage(raw.authInfoBytes, AuthInfoSchema, { allowNonCritical: false, resolveAny: resolveAny(false) });
    authInfo = AuthInfo.decode(readerOver(raw.authInfoBytes));
  } catch (e) {
    throw decodeError(errText(e), e);
  }

  const messages: DecodedMsg[] = body.messages.map((m) => {
    const decoded = decodeMsg(m, registry);
    hasUnknownNonCriticals ||= decoded.hasUnknownNonCriticals;
    return decoded.msg;
  });
  const signerInfos = authInfo.signerInfos.map((si, i) => decodeSignerInfo(si, i));

  if (!authInfo.fee) throw sdkErrors.ErrInvalidRequest.wrap("missing fee");
  if (authInfo.tip) throw sdkErrors.ErrInvalidRequest.wrap("tips are not supported");
  const fee: DecodedFee = {
    amount: authInfo.fee.amount.map((c) => decodeCoin(c.denom, c.amount)),
    gasLimit: authInfo.fee.gasLimit,
    payer: authInfo.fee.payer,
    granter: authInfo.fee.granter,
  };
  if (fee.gasLimit > MAX_GAS_WANTED) {
    throw sdkErrors.ErrInvalidRequest.wrap(`invalid gas supplied; ${fee.gasLimit} > ${MAX_GAS_WANTED}`);
  }
  if (fee.payer !== "") checkAddress(fee.payer, "fee payer");
  if (fee.granter !== "") checkAddress(fee.granter, "fee granter");

  return {
    txBytes: bytes,
    hash: txHash(bytes),
    bodyBytes: raw.bodyBytes,
    authInfoBytes: raw.authInfoBytes,
    messages,
    memo: body.memo,
    timeoutHeight: body.timeoutHeight,
    signerInfos,
    fee,
    signatures: raw.signatures,
    hasUnknownNonCriticals,
  };
}

/**
 * A reader over `bytes` themselves. cosmjs-types' BinaryReader copies its input, so decoding TxRaw
 * and then TxBody from bytes would leave a decoded tx holding two more copies of itself.
 */
function readerOver(bytes: Uint8Array): BinaryReader {
  const reader = new BinaryReader();
  reader.buf = bytes;
  reader.len = bytes.length;
  return reader;
}

function decodeMsg(any: Any, registry: MsgRegistry | undefined): { msg: DecodedMsg; hasUnknownNonCriticals: boolean } {
  if (any.typeUrl === "") throw decodeError("message with an empty type URL");
  if (!registry) return { msg: { typeUrl: any.typeUrl, value: any.value }, hasUnknownNonCriticals: false };
  const { msg, hasUnknownNonCriticals } = registry.decodeBodyMessage(any.typeUrl, any.value);
  return { msg: { typeUrl: any.typeUrl, value: any.value, msg }, hasUnknownNonCriticals };
}

function decodeSignerInfo(si: SignerInfo, index: number): DecodedSignerInfo {
  let pubkey: Uint8Array | null = null;
  if (si.publicKey) {
    const { typeUrl, value } = si.publicKey;
    if (typeUrl !== SECP256K1_PUBKEY_TYPE_URL) {
      throw sdkErrors.ErrInvalidPubKey.wrap(`signer ${index}: unsupported public key type ${typeUrl}; only ${SECP256K1_PUBKEY_TYPE_URL} can sign`);
    }
    let key: Uint8Array;
    try {
      key = Secp256k1PubKey.decode(value).key;
    } catch (e) {
      throw decodeError(`signer ${index}: ${errText(e)}`, e);
    }
    if (!isCompressedPubkeyShape(key)) {
      const len = (key as Uint8Array).length;
      throw sdkErrors.ErrInvalidPubKey.wrap(`signer ${index}: secp256k1 public key must be 33 bytes in compressed form, got ${len} bytes`);
    }
    pubkey = key;
  }
  const mi = si.modeInfo;
  if (!mi || (!mi.single && !mi.multi)) throw sdkErrors.ErrUnauthorized.wrap(`signer ${index}: missing mode info`);
  if (mi.single && mi.multi) throw decodeError(`signer ${index}: mode info has both single and multi set`);
  if (mi.multi) throw sdkErrors.ErrUnauthorized.wrap(`signer ${index}: multisig mode info is not supported`);
  const mode = mi.single!.mode;
  // UNSPECIFIED is what CosmJS puts in the unsigned tx it simulates; signature verification refuses it.
  if (mode !== SignMode.SIGN_MODE_DIRECT && mode !== SignMode.SIGN_MODE_LEGACY_AMINO_JSON && mode !== SignMode.SIGN_MODE_UNSPECIFIED) {
    throw sdkErrors.ErrUnauthorized.wrap(`signer ${index}: unsupported sign mode ${signModeName(mode)}`);
  }
  return { pubkey, mode, sequence: si.sequence };
}

function signModeName(mode: number): string {
  const name = signModeToJSON(mode);
  return name === "UNRECOGNIZED" ? String(mode) : name;
}

function decodeCoin(denom: string, amount: string): DecodedCoin {
  if (amount === "") throw sdkErrors.ErrInsufficientFee.wrap("invalid fee provided: null");
  if (!/^-?[0-9]+$/.test(amount)) throw decodeError(`invalid coin amount ${JSON.stringify(amount)}`);
  const value = BigInt(amount);
  const abs = value < 0n ? -value : value;
  if (abs >> MAX_INT_BITS !== 0n) throw decodeError("coin amount: integer out of range");
  if (value < 0n) throw sdkErrors.ErrInsufficientFee.wrap(`invalid fee provided: ${amount}${denom}`);
  return { denom, amount: value };
}

function checkAddress(addr: string, what: string): void {
  try {
    fromBech32(addr, ADDRESS_PREFIX);
  } catch (e) {
    throw sdkErrors.ErrInvalidAddress.wrap(`invalid ${what} address (${errText(e)})`, e);
  }
}

function errText(e: unknown): string {
  if (e instanceof SdkError || e instanceof WireError || e instanceof Error) return e.message;
  return String(e);
}
