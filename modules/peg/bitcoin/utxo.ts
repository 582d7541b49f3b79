/**
 * Coin selection and the release plan: which reserve outputs a release spends, its estimated size,
 * its fee, each payment's share of it and the change (as @scure/btc-signer keeps coin selection in
 * its utxo.ts). Part of the release protocol: changing a rule changes the transaction every node builds.
 *
 * Coin selection: the UTXOs sorted by value descending, then txid ascending (display hex, as given),
 *   then vout ascending; taken in that order until their sum is at least the sum of the payment
 *   amounts, plus one more when that would leave change above zero but below DUST_LIMIT and there is
 *   one. At most MAX_RELEASE_INPUTS (250). The inputs appear in the transaction in that order.
 *
 * Change: Σ selected inputs − Σ payment amounts (the fee is paid out of the payments, not the
 *   change). When it is at least DUST_LIMIT it goes to a last output paying the P2WSH of
 *   `changeWitnessScript`; below that there is no change output and those sats go to the miner on
 *   top of the fee below (the payment shares are not recomputed: the miner just gets more).
 *
 * Fee: min(feeRate × vsize, maxFee), vsize being the estimated virtual size of the fully signed
 *   transaction (with the change output when there is one), ceil(weight / 4). The estimate takes,
 *   for every input, a witness of `signersPerInput` signatures of MAX_SIGNATURE_SIZE (73) bytes
 *   (the largest DER signature plus the sighash byte), an empty item for each other member of that
 *   input's witness script, and the witness script itself. A signed release carries at most as many
 *   signatures as it needs (see assembleSignedRelease), so when `signersPerInput` is at least that
 *   number its real vsize is never above the estimate. At most MAX_STANDARD_TX_WEIGHT estimated weight.
 *
 * Fee shares: fee / n (integer division) from each of the n payments, and one more sat from each of
 *   the first fee mod n payments. Payment output i pays amount_i − share_i, which must be at least
 *   DUST_LIMIT, otherwise the whole release is refused.
 *
 * So: Σ inputs = Σ outputs + actual fee, actual fee = fee + (change below dust, else 0) ≤ maxFee +
 *   DUST_LIMIT − 1.
 */
import { MAX_MONEY } from "../../../light-client/bitcoin/tx";
import type { BuiltOutput, ReleasePayment } from "../kinds";
import type { ReleaseUtxo } from "./types";
import { fail } from "./errors";
import { DUST_LIMIT, MAX_STANDARD_TX_WEIGHT } from "./policy";
import { parseDepositWitnessScript } from "./script";

/** Inputs of one release at most: bounds the signing and verification work of every member and node. */
export const MAX_RELEASE_INPUTS = 250;
/** Worst-case size of one signature item in a witness: 72-byte DER plus the sighash byte. */
export const MAX_SIGNATURE_SIZE = 73;

const TXID_RE = /^[0-9a-f]{64}$/;

function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

export function isUint32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** The coin selection order: value descending, then txid ascending, then vout ascending. */
export function compareUtxos(a: ReleaseUtxo, b: ReleaseUtxo): number {
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout - b.vout;
}

/** Checks every UTXO: txid, vout, value, no duplicates. */
export function checkUtxos(utxos: readonly ReleaseUtxo[]): void {
  const seen = new Set<string>();
  utxos.forEach((u, i) => {
    if (typeof u.txid !== "string" || !TXID_RE.test(u.txid)) fail(`utxo ${i}: txid must be 64 lowercase hex characters (display order)`);
    if (!isUint32(u.vout)) fail(`utxo ${i}: vout must be an integer from 0 to 2^32-1, got ${u.vout}`);
    if (typeof u.value !== "bigint" || u.value <= 0n || u.value > MAX_MONEY) fail(`utxo ${u.txid}:${u.vout}: value must be a bigint from 1 to ${MAX_MONEY}`);
    const key = `${u.txid}:${u.vout}`;
    if (seen.has(key)) fail(`utxo ${key} is listed twice`);
    seen.add(key);
  });
}

/**
 * Estimated witness bytes of spending `u`: item count, `signersPerInput` worst-case signatures, an
 * empty item for each other member, the script. Throws if the script has fewer members than that.
 */
function inputWitnessBytes(u: ReleaseUtxo, signersPerInput: number): number {
  const ws = u.witnessScript;
  const members = parseDepositWitnessScript(ws).members.length;
  if (signersPerInput > members) fail(`signersPerInput ${signersPerInput} is more than the ${members} members of the script of utxo ${u.txid}:${u.vout}`);
  return compactSizeLength(members + 1) + signersPerInput * (1 + MAX_SIGNATURE_SIZE) + (members - signersPerInput) + compactSizeLength(ws.length) + ws.length;
}

/** `inputWitnessBytes` of each of `utxos`, in their order; each distinct witness script is parsed once. */
export function inputWitnessSizes(utxos: readonly ReleaseUtxo[], signersPerInput: number): number[] {
  const byScript = new Map<string, number>();
  return utxos.map((u) => {
    const key = Buffer.from(u.witnessScript).toString("hex");
    let bytes = byScript.get(key);
    if (bytes === undefined) {
      bytes = inputWitnessBytes(u, signersPerInput);
      byScript.set(key, bytes);
    }
    return bytes;
  });
}

/** Size without witnesses of a release of `inputs` inputs (empty scriptSigs) paying `outputScripts`. */
function strippedSize(inputs: number, outputScripts: readonly Uint8Array[]): number {
  return (
    4 +
    compactSizeLength(inputs) +
    inputs * (32 + 4 + 1 + 4) +
    compactSizeLength(outputScripts.length) +
    outputScripts.reduce((sum, sc) => sum + 8 + compactSizeLength(sc.length) + sc.length, 0) +
    4
  );
}

/** Size without witnesses and estimated weight of the fully signed transaction spending `inputs` to `outputScripts`. */
export function estimateSize(inputs: readonly ReleaseUtxo[], outputScripts: readonly Uint8Array[], signersPerInput: number): { strippedSize: number; weight: number } {
  let witnessBytes = 2; // marker and flag
  for (const u of inputs) witnessBytes += inputWitnessBytes(u, signersPerInput);
  const stripped = strippedSize(inputs.length, outputScripts);
  return { strippedSize: stripped, weight: stripped * 4 + witnessBytes };
}

export interface Plan {
  readonly inputs: number;
  readonly changeValue: bigint;
  readonly hasChange: boolean;
  readonly strippedSize: number;
  readonly vsize: number;
  readonly fee: bigint;
  readonly feeShares: bigint[];
  readonly outputs: BuiltOutput[];
}

/**
 * The release paying all of `payments` from a prefix of `sorted` (see "Coin selection" and "Change"
 * at the top), or why it cannot be built. `witnessBytes[i]` is input i's estimated witness size.
 */
export function planRelease(
  sorted: readonly ReleaseUtxo[],
  witnessBytes: readonly number[],
  payments: readonly ReleasePayment[],
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
  const stripped = strippedSize(k, outputScripts);
  let weight = stripped * 4 + 2; // marker and flag
  for (let i = 0; i < k; i++) weight += witnessBytes[i];
  if (weight > MAX_STANDARD_TX_WEIGHT) return `the release would weigh about ${weight} weight units, over the standard limit ${MAX_STANDARD_TX_WEIGHT}`;
  const vsize = Math.ceil(weight / 4);
  const byRate = feeRate * BigInt(vsize);
  const fee = byRate < maxFee ? byRate : maxFee;
  const n = BigInt(payments.length);
  const feeShares = payments.map((_, i) => fee / n + (BigInt(i) < fee % n ? 1n : 0n));
  const outputs: BuiltOutput[] = [];
  for (const [i, pm] of payments.entries()) {
    const value = pm.amount - feeShares[i];
    if (value < DUST_LIMIT) return `withdrawal ${pm.id}: ${pm.amount} sats minus its fee share ${feeShares[i]} leaves ${value}, below the dust limit ${DUST_LIMIT}`;
    outputs.push({ paymentId: pm.id, script: pm.script, value });
  }
  if (hasChange) outputs.push({ script: changeScript, value: changeValue });
  return { inputs: k, changeValue, hasChange, strippedSize: stripped, vsize, fee, feeShares, outputs };
}
