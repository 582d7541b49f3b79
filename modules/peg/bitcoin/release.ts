/**
 * Peg-out: the deterministic Bitcoin release transaction. Every validator builds the same unsigned
 * transaction from the same state, the federation members sign its BIP143 digests, and the signed
 * transaction is assembled from the collected signatures. Pure functions: no clock, no randomness,
 * no floats, no iteration over unordered collections; amounts are BigInt; every bad input throws a
 * `ReleaseError` saying what is wrong.
 *
 * THE PROTOCOL (changing any rule below changes the transaction every node builds):
 *
 * Withdrawal addresses (`parseWithdrawalAddress`): P2PKH, P2SH (base58check, version bytes
 *   0x00/0x05 on mainnet, 0x6f/0xc4 on testnet3, testnet4 and regtest, which therefore accept each
 *   other's base58 addresses, as Bitcoin Core does), P2WPKH, P2WSH (segwit v0, bech32, program 20 or
 *   32 bytes) and P2TR (segwit v1, bech32m, program 32 bytes), bech32 prefix bc / tb / bcrt. Any other
 *   network, witness version (including v1 programs that are not 32 bytes, e.g. P2A), checksum
 *   variant, padding, length or mixed case is refused. An all-uppercase bech32 address is valid
 *   (BIP173) and gives the same script.
 *
 * Reserve witness scripts: every UTXO spent is a deposit script or a reserve script of kind.ts
 *   (`depositWitnessScript`, `reserveWitnessScript`), the change output pays a reserve script;
 *   `parseDepositWitnessScript` reads their members, weights
 *   and threshold back (and refuses anything that is not byte-for-byte such a script), which gives the
 *   member count of the size estimate.
 *
 * Transaction shape: version 2; locktime `input.locktime ?? 0`; every input has an empty scriptSig
 *   and sequence 0xfffffffd (opt-in RBF, BIP125; also enables the locktime); outputs are the payments
 *   in the order given (the caller sorts them by withdrawal id), then the change output, if any.
 *
 * Coin selection: the UTXOs sorted by value descending, then txid ascending (display hex, as given),
 *   then vout ascending; taken in that order until their sum is at least the sum of the payment
 *   amounts, plus one more when that would leave change above zero but below DUST_LIMIT and there is
 *   one. At most MAX_RELEASE_INPUTS (250). The inputs appear in the transaction in that order.
 *
 * Which payments: greedily, in the order given, a payment joins the release if the release paying it
 *   and the ones already in can be built under every rule here (enough inputs, at most 250 of them,
 *   standard weight, no payment output below dust); otherwise it is left for a later release and the
 *   next payment is tried. So one unpayable request never blocks the others, and the same state
 *   always gives the same release. Given exactly a release's inputs and the payments it pays, this
 *   rebuilds the same release (a signer's and a fee bump's rebuild). Not even one payable: error.
 *
 * Change: Σ selected inputs − Σ payment amounts (the fee is paid out of the payments, not the
 *   change). When it is at least DUST_LIMIT (546 sats) it goes to a last output paying the P2WSH of
 *   `changeWitnessScript`; below that there is no change output and those sats go to the miner on
 *   top of the fee below (the payment shares are not recomputed: the miner just gets more).
 *
 * Fee: min(feeRate × vsize, maxFee), vsize being the estimated virtual size of the fully signed
 *   transaction (with the change output when there is one), ceil(weight / 4). The estimate takes,
 *   for every input, a witness of `signersPerInput` signatures of MAX_SIGNATURE_SIZE (73) bytes
 *   (the largest DER signature plus the sighash byte), an empty item for each other member of that
 *   input's witness script, and the witness script itself. A signed release carries at most as many
 *   signatures as it needs (see assembleSignedRelease), so when `signersPerInput` is at least that
 *   number its real vsize is never above the estimate.
 *
 * Fee shares: fee / n (integer division) from each of the n payments, and one more sat from each of
 *   the first fee mod n payments. Payment output i pays amount_i − share_i, which must be at least
 *   DUST_LIMIT (a flat 546 sats, Bitcoin Core's dust threshold for P2PKH, the highest of the
 *   accepted output types at the default dust relay fee), otherwise the whole release is refused.
 *
 * So: Σ inputs = Σ outputs + actual fee, actual fee = fee + (change below dust, else 0) ≤ maxFee +
 *   DUST_LIMIT − 1.
 *
 * Standardness bounds: at most MAX_STANDARD_TX_WEIGHT (400 000) estimated weight.
 *
 * Sweeps (`buildSweep`: no payments; moving a retired federation's outputs to the current
 *   federation after a rotation): the UTXOs sorted as in coin selection, the first `maxInputs`
 *   (at most MAX_SWEEP_INPUTS = 100) taken in that order; while the estimated weight is over the
 *   standard limit the last one is left out. Same transaction shape, one output paying the P2WSH of
 *   `changeWitnessScript` Σ inputs − fee, with fee = min(feeRate × vsize, maxFee) estimated as above
 *   (`signersPerInput` being that of the inputs' federation). That output below DUST_LIMIT: error.
 *   No payments, no fee shares; the output is the change (vout 0); actual fee = fee exactly.
 *
 * Signatures: BIP143 SIGHASH_ALL digests (scriptCode = the input's witness script, amount = its
 *   value). Members sign with ECDSA over secp256k1, RFC6979 deterministic nonces, low S; they submit
 *   64-byte compact r || s; high-S signatures are refused. The spending witness is
 *   [sig_n | <>, ..., sig_1 | <>, witnessScript] with sig = DER(r, s) || 0x01.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { verifyDigest } from "../../../chain/crypto/secp256k1";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32, bech32m, createBase58check } from "@scure/base";
import { bytesEqual, concatBytes, fromDisplayHex, toDisplayHex, Writer } from "../../../light-client/bitcoin/bytes";
import { sha256d } from "../../../light-client/bitcoin/hash";
import { encodeTx, MAX_MONEY, parseTx, type Transaction } from "../../../light-client/bitcoin/tx";
import type { ReleaseUtxo } from "../kinds";
import { addressNetwork, depositWitnessScript, reserveWitnessScript } from "./kind";

export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

function fail(message: string): never {
  throw new ReleaseError(message);
}

export type BitcoinNetwork = "mainnet" | "testnet3" | "testnet4" | "regtest";

/** Smallest payment output and smallest change output, in sats. */
export const DUST_LIMIT = 546n;
/** Worst-case size of one signature item in a witness: 72-byte DER plus the sighash byte. */
export const MAX_SIGNATURE_SIZE = 73;
export const RELEASE_VERSION = 2;
/** Opt-in replace-by-fee (BIP125): below 0xfffffffe. */
export const RELEASE_SEQUENCE = 0xfffffffd;
/** Bitcoin Core's MAX_STANDARD_TX_WEIGHT. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;
/** Bitcoin Core's MAX_STANDARD_P2WSH_SCRIPT_SIZE. */
export const MAX_WITNESS_SCRIPT_SIZE = 3600;
export const SIGHASH_ALL = 1;

// ---------------------------------------------------------------------------------------------------
// Withdrawal addresses

const NETWORKS: readonly string[] = ["mainnet", "testnet3", "testnet4", "regtest"];
const BECH32_PREFIXES: Record<string, string> = { bc: "mainnet", tb: "testnet3/testnet4", bcrt: "regtest" };
const base58check = createBase58check(sha256);

/** The output script of a withdrawal address of exactly `network` (see the rules at the top). */
export function parseWithdrawalAddress(network: BitcoinNetwork, address: string): Uint8Array {
  if (!NETWORKS.includes(network)) fail(`unknown bitcoin network ${JSON.stringify(network)} (known: ${NETWORKS.join(", ")})`);
  const net = addressNetwork(network);
  if (typeof address !== "string") fail("address must be a string");
  // Longest valid form: a bech32 address of 90 characters; base58 ones are at most 35.
  if (address.length < 14 || address.length > 90) fail(`address must be 14 to 90 characters, got ${address.length}`);
  const lower = address.toLowerCase();
  const sep = lower.lastIndexOf("1");
  const hrp = sep > 0 ? lower.slice(0, sep) : "";
  if (Object.hasOwn(BECH32_PREFIXES, hrp)) {
    if (hrp !== net.bech32) fail(`${address} is a ${BECH32_PREFIXES[hrp]} address, not ${network}`);
    return segwitScript(address);
  }
  return base58Script(network, net, address);
}

function segwitScript(address: string): Uint8Array {
  let words: number[];
  let variant: "bech32" | "bech32m";
  try {
    words = bech32.decode(address as `${string}1${string}`, 90).words;
    variant = "bech32";
  } catch (e1) {
    try {
      words = bech32m.decode(address as `${string}1${string}`, 90).words;
      variant = "bech32m";
    } catch {
      fail(`${address} is not a valid bech32 address: ${(e1 as Error).message}`);
    }
  }
  if (words.length === 0) fail(`${address} has an empty data part`);
  const version = words[0];
  if (version > 16) fail(`${address}: invalid witness version ${version}`);
  if (version === 0 && variant !== "bech32") fail(`${address}: a witness v0 address must use the bech32 checksum, not bech32m`);
  if (version !== 0 && variant !== "bech32m") fail(`${address}: a witness v${version} address must use the bech32m checksum, not bech32`);
  let program: Uint8Array;
  try {
    program = bech32.fromWords(words.slice(1));
  } catch (e) {
    fail(`${address}: invalid witness program encoding (${(e as Error).message})`);
  }
  if (program.length < 2 || program.length > 40) fail(`${address}: witness program of ${program.length} bytes (must be 2 to 40)`);
  if (version === 0) {
    if (program.length !== 20 && program.length !== 32) fail(`${address}: a witness v0 program must be 20 or 32 bytes, got ${program.length}`);
    return concatBytes(Uint8Array.of(0x00, program.length), program);
  }
  if (version === 1) {
    if (program.length !== 32) fail(`${address}: only 32-byte witness v1 programs (P2TR) are accepted, got ${program.length} bytes`);
    return concatBytes(Uint8Array.of(0x51, 0x20), program);
  }
  fail(`${address}: witness version ${version} is not accepted (only v0 and v1)`);
}

function base58Script(network: string, net: { pubKeyHash: number; scriptHash: number }, address: string): Uint8Array {
  let data: Uint8Array;
  try {
    data = base58check.decode(address);
  } catch (e) {
    fail(`${address} is not a valid ${network} address (neither its bech32 nor base58check): ${(e as Error).message}`);
  }
  if (data.length !== 21) fail(`${address}: base58check payload of ${data.length} bytes, must be 21`);
  const hash = data.subarray(1);
  if (data[0] === net.pubKeyHash) return concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash, Uint8Array.of(0x88, 0xac));
  if (data[0] === net.scriptHash) return concatBytes(Uint8Array.of(0xa9, 0x14), hash, Uint8Array.of(0x87));
  const other = [0x00, 0x05].includes(data[0]) ? "mainnet" : [0x6f, 0xc4].includes(data[0]) ? "testnet/regtest" : undefined;
  fail(other ? `${address} is a ${other} address, not ${network}` : `${address}: unknown base58 version byte 0x${data[0].toString(16).padStart(2, "0")}`);
}

// ---------------------------------------------------------------------------------------------------
// Witness scripts

export interface DepositScriptInfo {
  /** The recipient a deposit script commits to; undefined for a reserve script. */
  readonly recipient?: Uint8Array;
  readonly members: ReadonlyArray<{ readonly pubkey: Uint8Array; readonly weight: number }>;
  readonly threshold: number;
}

const OP_0 = 0x00, OP_1 = 0x51, OP_16 = 0x60, OP_IF = 0x63, OP_ELSE = 0x67, OP_ENDIF = 0x68, OP_DROP = 0x75, OP_SWAP = 0x7c;
const OP_ADD = 0x93, OP_GREATERTHANOREQUAL = 0xa2, OP_CHECKSIG = 0xac;

/**
 * Members (in script order: member 1 first), weights and threshold of a federation witness script:
 * a deposit script (with its recipient) or a reserve script (none). Throws unless the script is
 * exactly `depositWitnessScript(federation, recipient)` or `reserveWitnessScript(federation)`.
 */
export function parseDepositWitnessScript(ws: Uint8Array): DepositScriptInfo {
  if (!(ws instanceof Uint8Array)) fail("witness script must be a Uint8Array");
  if (ws.length === 0 || ws.length > MAX_WITNESS_SCRIPT_SIZE) fail(`witness script of ${ws.length} bytes (must be 1 to ${MAX_WITNESS_SCRIPT_SIZE})`);
  let p = 0;
  const bad = (what: string): never => fail(`not a federation witness script: ${what} at byte ${p}`);
  const op = (code: number, what: string) => {
    if (ws[p] !== code) bad(`expected ${what}`);
    p++;
  };
  const push = (n: number, what: string): Uint8Array => {
    if (ws[p] !== n || p + 1 + n > ws.length) bad(`expected a ${n}-byte ${what}`);
    p += 1 + n;
    return ws.slice(p - n, p);
  };
  const num = (what: string): number => {
    const b = ws[p];
    if (b === undefined) bad(`expected ${what}`);
    if (b >= OP_1 && b <= OP_16) {
      p++;
      return b - OP_1 + 1;
    }
    // A minimal positive CScriptNum of 1 to 4 bytes (the re-encoding check below enforces minimality).
    if (b < 1 || b > 4 || p + 1 + b > ws.length) bad(`expected ${what}`);
    let v = 0;
    for (let i = b - 1; i >= 0; i--) v = v * 256 + ws[p + 1 + i];
    if (ws[p + b] & 0x80) bad(`negative ${what}`);
    p += 1 + b;
    return v;
  };
  let recipient: Uint8Array | undefined;
  if (ws[0] === 20) {
    recipient = push(20, "recipient");
    op(OP_DROP, "OP_DROP");
  }
  const members: Array<{ pubkey: Uint8Array; weight: number }> = [];
  for (;;) {
    if (members.length > 0) {
      if (ws[p] !== OP_SWAP) break;
      p++;
    }
    const pubkey = push(33, "public key");
    op(OP_CHECKSIG, "OP_CHECKSIG");
    op(OP_IF, "OP_IF");
    const weight = num("weight");
    op(OP_ELSE, "OP_ELSE");
    op(OP_0, "OP_0");
    op(OP_ENDIF, "OP_ENDIF");
    if (members.length > 0) op(OP_ADD, "OP_ADD");
    members.push({ pubkey, weight });
  }
  const threshold = num("threshold");
  op(OP_GREATERTHANOREQUAL, "OP_GREATERTHANOREQUAL");
  if (p !== ws.length) bad("trailing bytes");
  const rebuilt = recipient ? depositWitnessScript({ members, threshold }, recipient) : reserveWitnessScript({ members, threshold });
  if (!bytesEqual(rebuilt, ws)) fail("not a federation witness script: not in the canonical encoding");
  return { recipient, members, threshold };
}

/**
 * An upper bound on the signatures `assembleSignedRelease` puts in one witness of this script
 * (signatures are taken in member order until the threshold is reached; the bound assumes the
 * smallest weights come first, whatever the order): the number of smallest weights it takes to reach
 * the threshold. As `signersPerInput`, it makes the fee estimate an upper bound whoever signs.
 */
export function maxSignatures(witnessScript: Uint8Array): number {
  const { members, threshold } = parseDepositWitnessScript(witnessScript);
  const weights = members.map((m) => m.weight).sort((a, b) => a - b);
  let sum = 0;
  let k = 0;
  while (k < weights.length && sum < threshold) sum += weights[k++];
  return k;
}

/** The federation public keys of a deposit witness script, in script order. */
export function witnessScriptMembers(witnessScript: Uint8Array): Uint8Array[] {
  return parseDepositWitnessScript(witnessScript).members.map((m) => m.pubkey);
}

// ---------------------------------------------------------------------------------------------------
// Building

/** A reserve output (txid in display hex, as RPCs print it, lowercase): the peg's generic `ReleaseUtxo`. */
export type ReserveUtxo = ReleaseUtxo;

export interface Payment {
  /** Withdrawal id. */
  readonly id: number;
  readonly script: Uint8Array;
  readonly amount: bigint;
}

export interface ReleaseInput {
  readonly utxos: readonly ReserveUtxo[];
  /** In output order (the caller sorts them by id). */
  readonly payments: readonly Payment[];
  /** Sats per vbyte. */
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  readonly changeWitnessScript: Uint8Array;
  /** How many signatures a spending witness carries, for the size estimate. */
  readonly signersPerInput: number;
  readonly locktime?: number;
}

export interface ReleaseOutput {
  readonly paymentId?: number;
  readonly script: Uint8Array;
  readonly value: bigint;
}

export interface UnsignedRelease {
  /** Unsigned, without witness. */
  readonly tx: Uint8Array;
  /** Display hex. */
  readonly txid: string;
  /** The UTXOs spent, in input order. */
  readonly inputs: readonly ReserveUtxo[];
  readonly outputs: readonly ReleaseOutput[];
  /** feeRate × estimated vsize, capped at maxFee; the miner also gets any sub-dust change. */
  readonly fee: bigint;
  /** Per payment, in the order of the payments. */
  readonly feeShares: readonly bigint[];
  readonly change?: { readonly vout: number; readonly value: bigint };
  /** Estimated virtual size of the fully signed transaction. */
  readonly vsize: number;
}

const TXID_RE = /^[0-9a-f]{64}$/;

function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

function isUint32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function p2wsh(witnessScript: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x00, 0x20), sha256(witnessScript));
}

/** Estimated witness bytes of one input: item count, `signers` worst-case signatures, empty items, the script. */
function witnessEstimate(witnessScript: Uint8Array, members: number, signers: number): number {
  return (
    compactSizeLength(members + 1) +
    signers * (1 + MAX_SIGNATURE_SIZE) +
    (members - signers) +
    compactSizeLength(witnessScript.length) +
    witnessScript.length
  );
}

function compareUtxos(a: ReserveUtxo, b: ReserveUtxo): number {
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout - b.vout;
}

/** The checks shared by releases and sweeps; returns the locktime. */
function checkBuildParams(input: { feeRate: bigint; maxFee: bigint; changeWitnessScript: Uint8Array; signersPerInput: number; locktime?: number }): number {
  const { feeRate, maxFee, changeWitnessScript, signersPerInput } = input;
  const locktime = input.locktime ?? 0;
  if (!isUint32(locktime)) fail(`locktime must be an integer from 0 to 2^32-1, got ${locktime}`);
  if (typeof feeRate !== "bigint" || feeRate < 0n) fail(`feeRate must be a non-negative bigint, got ${String(feeRate)}`);
  if (typeof maxFee !== "bigint" || maxFee < 0n) fail(`maxFee must be a non-negative bigint, got ${String(maxFee)}`);
  if (!Number.isInteger(signersPerInput) || signersPerInput < 1) fail(`signersPerInput must be a positive integer, got ${signersPerInput}`);
  parseDepositWitnessScript(changeWitnessScript);
  return locktime;
}

/** Checks every UTXO (txid, vout, value, no duplicates); returns their sum. */
function checkUtxos(utxos: readonly ReserveUtxo[]): bigint {
  const seen = new Set<string>();
  let available = 0n;
  utxos.forEach((u, i) => {
    if (typeof u.txid !== "string" || !TXID_RE.test(u.txid)) fail(`utxo ${i}: txid must be 64 lowercase hex characters (display order)`);
    if (!isUint32(u.vout)) fail(`utxo ${i}: vout must be an integer from 0 to 2^32-1, got ${u.vout}`);
    if (typeof u.value !== "bigint" || u.value <= 0n || u.value > MAX_MONEY) fail(`utxo ${u.txid}:${u.vout}: value must be a bigint from 1 to ${MAX_MONEY}`);
    const key = `${u.txid}:${u.vout}`;
    if (seen.has(key)) fail(`utxo ${key} is listed twice`);
    seen.add(key);
    available += u.value;
  });
  return available;
}

/** Size without witnesses and estimated weight of the fully signed transaction spending `inputs` to `outputScripts`. */
function estimateSize(inputs: readonly ReserveUtxo[], outputScripts: readonly Uint8Array[], signersPerInput: number): { strippedSize: number; weight: number } {
  let witnessBytes = 2; // marker and flag
  for (const u of inputs) {
    const members = parseDepositWitnessScript(u.witnessScript).members.length;
    if (signersPerInput > members) fail(`signersPerInput ${signersPerInput} is more than the ${members} members of the script of utxo ${u.txid}:${u.vout}`);
    witnessBytes += witnessEstimate(u.witnessScript, members, signersPerInput);
  }
  const strippedSize =
    4 +
    compactSizeLength(inputs.length) +
    inputs.length * (32 + 4 + 1 + 4) +
    compactSizeLength(outputScripts.length) +
    outputScripts.reduce((s, sc) => s + 8 + compactSizeLength(sc.length) + sc.length, 0) +
    4;
  return { strippedSize, weight: strippedSize * 4 + witnessBytes };
}

/** The unsigned transaction (see "Transaction shape") and its txid. */
function unsignedTx(inputs: readonly ReserveUtxo[], outputs: readonly ReleaseOutput[], locktime: number, strippedSize: number): { raw: Uint8Array; txid: string } {
  const tx: Transaction = {
    version: RELEASE_VERSION,
    inputs: inputs.map((u) => ({ prevTxid: fromDisplayHex(u.txid), prevIndex: u.vout, scriptSig: new Uint8Array(0), sequence: RELEASE_SEQUENCE, witness: [] })),
    outputs: outputs.map((o) => ({ value: o.value, scriptPubKey: o.script })),
    locktime,
  };
  const raw = encodeTx(tx, false);
  if (raw.length !== strippedSize) throw new Error(`internal: size estimate ${strippedSize} != ${raw.length}`);
  return { raw, txid: toDisplayHex(sha256d(raw)) };
}

/** Inputs of one release at most: bounds the signing and verification work of every member and node. */
export const MAX_RELEASE_INPUTS = 250;

interface Plan {
  readonly inputs: number;
  readonly changeValue: bigint;
  readonly hasChange: boolean;
  readonly strippedSize: number;
  readonly vsize: number;
  readonly fee: bigint;
  readonly feeShares: bigint[];
  readonly outputs: ReleaseOutput[];
}

/**
 * The release paying all of `payments` from a prefix of `sorted` (see "Coin selection" and "Change"
 * at the top), or why it cannot be built. `inputWitnessBytes[i]` is input i's estimated witness size.
 */
function planRelease(
  sorted: readonly ReserveUtxo[],
  inputWitnessBytes: readonly number[],
  payments: readonly Payment[],
  changeScript: Uint8Array,
  feeRate: bigint,
  maxFee: bigint,
): Plan | string {
  const totalAmount = payments.reduce((sum, pm) => sum + pm.amount, 0n);
  let k = 0;
  let totalIn = 0n;
  while (k < sorted.length && totalIn < totalAmount) totalIn += sorted[k++].value;
  if (totalIn < totalAmount) return `insufficient reserve: the payments need ${totalAmount} sats, the ${sorted.length} UTXOs hold ${totalIn}`;
  // Change below dust would go to the miner out of the backing: take one more input when there is one.
  if (totalIn - totalAmount > 0n && totalIn - totalAmount < DUST_LIMIT && k < sorted.length) totalIn += sorted[k++].value;
  if (k > MAX_RELEASE_INPUTS) return `the payments need ${k} inputs, more than ${MAX_RELEASE_INPUTS}`;
  const changeValue = totalIn - totalAmount;
  const hasChange = changeValue >= DUST_LIMIT;
  const outputScripts = payments.map((pm) => pm.script);
  if (hasChange) outputScripts.push(changeScript);
  const strippedSize =
    4 +
    compactSizeLength(k) +
    k * (32 + 4 + 1 + 4) +
    compactSizeLength(outputScripts.length) +
    outputScripts.reduce((sum, sc) => sum + 8 + compactSizeLength(sc.length) + sc.length, 0) +
    4;
  let weight = strippedSize * 4 + 2; // marker and flag
  for (let i = 0; i < k; i++) weight += inputWitnessBytes[i];
  if (weight > MAX_STANDARD_TX_WEIGHT) return `the release would weigh about ${weight} weight units, over the standard limit ${MAX_STANDARD_TX_WEIGHT}`;
  const vsize = Math.ceil(weight / 4);
  const byRate = feeRate * BigInt(vsize);
  const fee = byRate < maxFee ? byRate : maxFee;
  const n = BigInt(payments.length);
  const feeShares = payments.map((_, i) => fee / n + (BigInt(i) < fee % n ? 1n : 0n));
  const outputs: ReleaseOutput[] = [];
  for (const [i, pm] of payments.entries()) {
    const value = pm.amount - feeShares[i];
    if (value < DUST_LIMIT) return `withdrawal ${pm.id}: ${pm.amount} sats minus its fee share ${feeShares[i]} leaves ${value}, below the dust limit ${DUST_LIMIT}`;
    outputs.push({ paymentId: pm.id, script: pm.script, value });
  }
  if (hasChange) outputs.push({ script: changeScript, value: changeValue });
  return { inputs: k, changeValue, hasChange, strippedSize, vsize, fee, feeShares, outputs };
}

/**
 * The unsigned release paying as many of `payments` as fit, in their order, from `utxos` (see the
 * rules at the top). Deterministic. Throws only when not even one payment can be paid.
 */
export function buildRelease(input: ReleaseInput): UnsignedRelease {
  const { utxos, payments, feeRate, maxFee, changeWitnessScript, signersPerInput } = input;
  const locktime = checkBuildParams(input);

  if (payments.length === 0) fail("no payments");
  payments.forEach((pm, i) => {
    if (!Number.isSafeInteger(pm.id) || pm.id < 0) fail(`payment ${i}: id must be a non-negative integer, got ${pm.id}`);
    if (!(pm.script instanceof Uint8Array) || pm.script.length === 0 || pm.script.length > 10_000)
      fail(`payment ${i} (withdrawal ${pm.id}): output script must be 1 to 10000 bytes`);
    if (typeof pm.amount !== "bigint" || pm.amount <= 0n || pm.amount > MAX_MONEY)
      fail(`payment ${i} (withdrawal ${pm.id}): amount must be a bigint from 1 to ${MAX_MONEY}, got ${String(pm.amount)}`);
  });
  checkUtxos(utxos);

  const sorted = [...utxos].sort(compareUtxos);
  // Each distinct witness script is parsed once: its members size the witness estimate.
  const witnessBytes = new Map<string, number>();
  const inputWitnessBytes = sorted.map((u) => {
    const key = Buffer.from(u.witnessScript).toString("hex");
    let bytes = witnessBytes.get(key);
    if (bytes === undefined) {
      const members = parseDepositWitnessScript(u.witnessScript).members.length;
      if (signersPerInput > members) fail(`signersPerInput ${signersPerInput} is more than the ${members} members of the script of utxo ${u.txid}:${u.vout}`);
      bytes = witnessEstimate(u.witnessScript, members, signersPerInput);
      witnessBytes.set(key, bytes);
    }
    return bytes;
  });
  const changeScript = p2wsh(changeWitnessScript);

  // Greedy, in order: a payment joins if the release with it can still be built; otherwise it waits
  // for a later release, and the ones after it still get their chance.
  const paid: Payment[] = [];
  let plan: Plan | undefined;
  let firstRefusal: string | undefined;
  let total = 0n;
  for (const pm of payments) {
    if (total + pm.amount > MAX_MONEY) continue;
    const next = planRelease(sorted, inputWitnessBytes, [...paid, pm], changeScript, feeRate, maxFee);
    if (typeof next === "string") {
      firstRefusal ??= next;
      continue;
    }
    paid.push(pm);
    total += pm.amount;
    plan = next;
  }
  if (plan === undefined) fail(firstRefusal ?? "no payment fits");

  const selected = sorted.slice(0, plan.inputs);
  const { raw, txid } = unsignedTx(selected, plan.outputs, locktime, plan.strippedSize);
  return {
    tx: raw,
    txid,
    inputs: selected,
    outputs: plan.outputs,
    fee: plan.fee,
    feeShares: plan.feeShares,
    ...(plan.hasChange ? { change: { vout: paid.length, value: plan.changeValue } } : {}),
    vsize: plan.vsize,
  };
}

/** Inputs of one sweep at most. */
export const MAX_SWEEP_INPUTS = 100;

export interface SweepInput {
  /** Outputs of one (retired) federation. */
  readonly utxos: readonly ReserveUtxo[];
  /** Sats per vbyte. */
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  /** The witness script the single output pays (the receiving federation's reserve script). */
  readonly changeWitnessScript: Uint8Array;
  /** How many signatures a spending witness carries (from the inputs' federation), for the size estimate. */
  readonly signersPerInput: number;
  readonly locktime?: number;
  /** Inputs at most: 1 to MAX_SWEEP_INPUTS (the default). */
  readonly maxInputs?: number;
}

/** The unsigned sweep moving `utxos` to the P2WSH of `changeWitnessScript` (see "Sweeps" at the top). Deterministic. */
export function buildSweep(input: SweepInput): UnsignedRelease {
  const { utxos, feeRate, maxFee, changeWitnessScript, signersPerInput } = input;
  const locktime = checkBuildParams(input);
  const maxInputs = input.maxInputs ?? MAX_SWEEP_INPUTS;
  if (!Number.isInteger(maxInputs) || maxInputs < 1 || maxInputs > MAX_SWEEP_INPUTS) fail(`maxInputs must be an integer from 1 to ${MAX_SWEEP_INPUTS}, got ${maxInputs}`);
  checkUtxos(utxos);
  if (utxos.length === 0) fail("nothing to sweep: no UTXOs");

  const selected = [...utxos].sort(compareUtxos).slice(0, maxInputs);
  const changeScript = p2wsh(changeWitnessScript);
  let size = estimateSize(selected, [changeScript], signersPerInput);
  while (size.weight > MAX_STANDARD_TX_WEIGHT && selected.length > 1) {
    selected.pop();
    size = estimateSize(selected, [changeScript], signersPerInput);
  }
  if (size.weight > MAX_STANDARD_TX_WEIGHT) fail(`a sweep of one UTXO would weigh about ${size.weight} weight units, over the standard limit ${MAX_STANDARD_TX_WEIGHT}`);
  const vsize = Math.ceil(size.weight / 4);
  const totalIn = selected.reduce((sum, u) => sum + u.value, 0n);

  const byRate = feeRate * BigInt(vsize);
  const fee = byRate < maxFee ? byRate : maxFee;
  const value = totalIn - fee;
  if (value < DUST_LIMIT) fail(`the sweep's ${selected.length} inputs hold ${totalIn} sats; less the fee ${fee} that leaves ${value}, below the dust limit ${DUST_LIMIT}`);
  const outputs: ReleaseOutput[] = [{ script: changeScript, value }];

  const { raw, txid } = unsignedTx(selected, outputs, locktime, size.strippedSize);
  return { tx: raw, txid, inputs: selected, outputs, fee, feeShares: [], change: { vout: 0, value }, vsize };
}

// ---------------------------------------------------------------------------------------------------
// Signing

/** What signing needs of a release (an `UnsignedRelease` or anything with these fields). */
export type ReleaseTx = Pick<UnsignedRelease, "tx" | "txid" | "inputs">;

/** The release's transaction, checked against its inputs (same outpoints, in order). */
function releaseTx(release: ReleaseTx) {
  let tx: ReturnType<typeof parseTx>;
  try {
    tx = parseTx(release.tx);
  } catch (e) {
    fail(`release transaction does not parse: ${(e as Error).message}`);
  }
  if (tx.hasWitness) fail("release transaction must be unsigned (no witness)");
  if (toDisplayHex(tx.txid) !== release.txid) fail(`release txid ${release.txid} does not match its transaction (${toDisplayHex(tx.txid)})`);
  if (tx.inputs.length !== release.inputs.length) fail(`release lists ${release.inputs.length} inputs, its transaction has ${tx.inputs.length}`);
  tx.inputs.forEach((ti, i) => {
    const u = release.inputs[i];
    if (toDisplayHex(ti.prevTxid) !== u.txid || ti.prevIndex !== u.vout) fail(`release input ${i} is ${u.txid}:${u.vout}, its transaction spends something else`);
  });
  return tx;
}

/** BIP143 SIGHASH_ALL digest of each input (scriptCode = its witness script, amount = its value). */
export function releaseSighashes(release: ReleaseTx): Uint8Array[] {
  const tx = releaseTx(release);
  const prevouts = new Writer();
  const sequences = new Writer();
  for (const i of tx.inputs) {
    prevouts.bytes(i.prevTxid).u32(i.prevIndex);
    sequences.u32(i.sequence);
  }
  const outs = new Writer();
  for (const o of tx.outputs) outs.u64(o.value).varBytes(o.scriptPubKey);
  const hashPrevouts = sha256d(prevouts.finish());
  const hashSequence = sha256d(sequences.finish());
  const hashOutputs = sha256d(outs.finish());
  return tx.inputs.map((ti, idx) => {
    const u = release.inputs[idx];
    const preimage = new Writer()
      .u32(tx.version >>> 0)
      .bytes(hashPrevouts)
      .bytes(hashSequence)
      .bytes(ti.prevTxid)
      .u32(ti.prevIndex)
      .varBytes(u.witnessScript)
      .u64(u.value)
      .u32(ti.sequence)
      .bytes(hashOutputs)
      .u32(tx.locktime)
      .u32(SIGHASH_ALL)
      .finish();
    return sha256d(preimage);
  });
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) fail(`${what} must be ${n} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
}

/**
 * Whether `signature64` (compact r || s) is a valid low-S ECDSA signature of the 32-byte digest
 * `sighash` (used as is, not hashed again) by the compressed key `pubkey33`. Wrong lengths throw;
 * an invalid, high-S or out-of-range signature or an invalid key gives false.
 */
export function verifyReleaseSignature(pubkey33: Uint8Array, sighash: Uint8Array, signature64: Uint8Array): boolean {
  checkLength(pubkey33, 33, "public key");
  checkLength(sighash, 32, "sighash");
  checkLength(signature64, 64, "signature");
  if (pubkey33[0] !== 2 && pubkey33[0] !== 3) return false;
  // libsecp256k1, the verifier chosen by measurement for transactions (bench/secp256k1.ts)
  return verifyDigest(pubkey33, signature64, sighash);
}

/** Sign a release digest: 64-byte compact r || s, low S, RFC6979 deterministic nonce. */
export function signReleaseInput(privateKey: Uint8Array, sighash: Uint8Array): Uint8Array {
  checkLength(privateKey, 32, "private key");
  checkLength(sighash, 32, "sighash");
  return secp256k1.sign(sighash, privateKey, { prehash: false, lowS: true, format: "compact", extraEntropy: false });
}

/** DER(r, s) || SIGHASH_ALL, as a witness carries it. */
export function witnessSignature(signature64: Uint8Array): Uint8Array {
  checkLength(signature64, 64, "signature");
  const der = secp256k1.Signature.fromBytes(signature64, "compact").toBytes("der");
  return concatBytes(der, Uint8Array.of(SIGHASH_ALL));
}

/**
 * The fully signed release. `members` are the federation's public keys in witness-script order and
 * must be exactly those of every input's script; `signatures[i]` maps member index (0 = member 1) to
 * that member's 64-byte signature of input i's digest. Every signature is verified. Signatures are
 * used in member order until their weights reach the script's threshold; the later ones are left
 * out (smaller transaction, never above the size estimate). Below the threshold: error.
 */
export function assembleSignedRelease(
  release: ReleaseTx,
  members: readonly Uint8Array[],
  signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>,
): Uint8Array {
  const tx = releaseTx(release);
  if (signatures.length !== tx.inputs.length) fail(`${signatures.length} signature sets for ${tx.inputs.length} inputs`);
  const sighashes = releaseSighashes(release);
  const inputs = tx.inputs.map((ti, i) => {
    const u = release.inputs[i];
    const info = parseDepositWitnessScript(u.witnessScript);
    if (info.members.length !== members.length || info.members.some((m, j) => !bytesEqual(m.pubkey, members[j])))
      fail(`input ${i} (${u.txid}:${u.vout}): its witness script's members are not the given federation members`);
    const sigs = signatures[i];
    for (const k of sigs.keys())
      if (!Number.isInteger(k) || k < 0 || k >= members.length) fail(`input ${i}: signature for unknown member index ${k}`);
    const chosen: Array<Uint8Array | undefined> = members.map(() => undefined);
    let weight = 0;
    for (let j = 0; j < members.length && weight < info.threshold; j++) {
      const sig = sigs.get(j);
      if (sig === undefined) continue;
      if (!verifyReleaseSignature(members[j], sighashes[i], sig)) fail(`input ${i}: the signature of member ${j} is invalid`);
      chosen[j] = witnessSignature(sig);
      weight += info.members[j].weight;
    }
    if (weight < info.threshold) fail(`input ${i}: signatures worth ${weight}, below the threshold ${info.threshold}`);
    // [sig_n | <>, ..., sig_1 | <>, witnessScript]
    const witness = [...chosen].reverse().map((s) => s ?? new Uint8Array(0));
    witness.push(u.witnessScript);
    return { ...ti, witness };
  });
  return encodeTx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime }, true);
}
