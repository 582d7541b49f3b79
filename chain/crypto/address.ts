/**
 * Account addresses: ripemd160(sha256(compressed secp256k1 pubkey)), shown in bech32 with the
 * `peg` prefix, exactly as the Cosmos SDK (and CosmJS' `pubkeyToAddress`) derive them.
 */
import { bech32 } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sdkErrors } from "../tx/errors";

/** Bech32 human-readable prefix of account addresses on pegzone. */
export const ADDRESS_PREFIX = "peg";
/** Cosmos accepts 20-byte (account) and 32-byte (module / ICA / contract) addresses. */
export const ALLOWED_ADDRESS_LENGTHS: readonly number[] = [20, 32];
/** The bech32 length limit Cosmos uses (bech32.DecodeAndConvert allows up to 1023 characters). */
const BECH32_MAX_LENGTH = 1023;

/** ripemd160(sha256(pubkey)) of a 33-byte compressed secp256k1 public key. */
export function addressFromPubkey(pubkey33: Uint8Array): Uint8Array {
  if (!(pubkey33 instanceof Uint8Array) || pubkey33.length !== 33 || (pubkey33[0] !== 0x02 && pubkey33[0] !== 0x03)) {
    throw sdkErrors.ErrInvalidPubKey.wrap(
      `expected a 33-byte compressed secp256k1 public key, got ${pubkey33 instanceof Uint8Array ? `${pubkey33.length} bytes` : typeof pubkey33}`,
    );
  }
  return ripemd160(sha256(pubkey33));
}

/**
 * The same few thousand addresses are encoded and decoded for every tx (signers, events, messages);
 * bech32's checksum is costly enough to remember the latest results. Pure functions' memos.
 */
const MEMO_SIZE = 50_000;
const encoded = new Map<string, string>();
const decoded = new Map<string, Uint8Array>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  memo.set(key, value);
  if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
  return value;
}

/** Encodes bytes as bech32 with the given prefix. Rejects lengths Cosmos would not accept. */
export function toBech32(prefix: string, bytes: Uint8Array): string {
  checkLength(bytes.length);
  if (prefix.length === 0 || prefix !== prefix.toLowerCase()) {
    throw sdkErrors.ErrInvalidAddress.wrap(`invalid bech32 prefix ${JSON.stringify(prefix)}: must be non-empty lowercase`);
  }
  const key = `${prefix}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
  return encoded.get(key) ?? remember(encoded, key, bech32.encode(prefix, bech32.toWords(bytes), BECH32_MAX_LENGTH));
}

/**
 * Decodes a bech32 address, checking prefix, checksum and length (20 or 32 bytes).
 * Throws SdkError ErrInvalidAddress (sdk/7) with a message naming the problem.
 */
export function fromBech32(addr: string, expectedPrefix: string = ADDRESS_PREFIX): Uint8Array {
  if (typeof addr !== "string" || addr.trim().length === 0) {
    throw sdkErrors.ErrInvalidAddress.wrap("empty address string is not allowed");
  }
  const key = `${expectedPrefix}:${addr}`;
  const known = decoded.get(key);
  // a copy: callers own the bytes they get
  if (known !== undefined) return Uint8Array.from(known);
  return Uint8Array.from(remember(decoded, key, decodeBech32(addr, expectedPrefix)));
}

function decodeBech32(addr: string, expectedPrefix: string): Uint8Array {
  let prefix: string;
  let words: number[];
  try {
    ({ prefix, words } = bech32.decode(addr, BECH32_MAX_LENGTH));
  } catch (e) {
    throw sdkErrors.ErrInvalidAddress.wrap(`decoding bech32 failed: ${bech32ErrorText(e)} (${addr})`, e);
  }
  if (prefix !== expectedPrefix) {
    throw sdkErrors.ErrInvalidAddress.wrap(`invalid Bech32 prefix; expected ${expectedPrefix}, got ${prefix}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = bech32.fromWords(words);
  } catch (e) {
    throw sdkErrors.ErrInvalidAddress.wrap(`decoding bech32 failed: invalid padding (${addr})`, e);
  }
  checkLength(bytes.length);
  return bytes;
}

/** True if `addr` is a valid bech32 address with the expected prefix. */
export function isValidAddress(addr: string, expectedPrefix: string = ADDRESS_PREFIX): boolean {
  try {
    fromBech32(addr, expectedPrefix);
    return true;
  } catch {
    return false;
  }
}

/** bech32 `peg` address of a compressed secp256k1 pubkey. */
export function pubkeyToBech32Address(pubkey33: Uint8Array, prefix: string = ADDRESS_PREFIX): string {
  return toBech32(prefix, addressFromPubkey(pubkey33));
}

function checkLength(len: number): void {
  if (len === 0) throw sdkErrors.ErrUnknownAddress.wrap("addresses cannot be empty");
  if (!ALLOWED_ADDRESS_LENGTHS.includes(len)) {
    throw sdkErrors.ErrInvalidAddress.wrap(`invalid address length ${len}; expected 20 or 32 bytes`);
  }
}

function bech32ErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/checksum/i.test(msg)) return "invalid checksum";
  if (/mixed-case/i.test(msg)) return "mixed-case string not allowed";
  return msg;
}

/** A bech32 account address of a message field, refused with sdk 7 (ErrInvalidAddress) naming the field. */
export function parseAddress(address: string, field: string): Uint8Array {
  try {
    return fromBech32(address, ADDRESS_PREFIX);
  } catch (err) {
    throw sdkErrors.ErrInvalidAddress.wrap(`invalid ${field} address ${JSON.stringify(address)} (${err instanceof Error ? err.message : err})`);
  }
}
